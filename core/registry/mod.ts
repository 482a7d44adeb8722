/**
 * Registry tables: one source of truth for TLS code points (cipher suites,
 * named groups, signature schemes, extensions, alerts, versions).
 *
 * @module
 */
export * from "./versions.ts";
export * from "./groups.ts";
export * from "./signature_schemes.ts";
export * from "./extensions.ts";
export * from "./alerts.ts";
