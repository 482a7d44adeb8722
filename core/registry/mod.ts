/**
 * Registry tables: one source of truth for TLS code points (cipher suites,
 * named groups, signature schemes, extensions, alerts, versions). Pure data
 * and lookups.
 *
 * @module
 */
export * from "./cipher_suites.ts";
export * from "./versions.ts";
export * from "./groups.ts";
export * from "./signature_schemes.ts";
export * from "./extensions.ts";
export * from "./alerts.ts";
