/**
 * Registry tables: cipher suites (and, as they land, groups, signature
 * schemes, alerts and versions). Pure data and lookups.
 *
 * @module
 */
export * from "./cipher_suites.ts";
