/**
 * tlsprobe's core library: errors, the JSON envelope, and (as they land) the
 * registry, wire codec, handshake engine, cipher-string engine, X.509 decoder
 * and policies. Everything here but `net/` is pure: no `Deno.*`, no `node:*`.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./version.ts";
export * from "./report/envelope.ts";
export * from "./x509/mod.ts";
export * as registry from "./registry/mod.ts";
export * as wire from "./wire/mod.ts";
export * as handshake from "./handshake/mod.ts";
export * from "./report/probe.ts";
export * as policy from "./policy/mod.ts";
export * as scan from "./scan/mod.ts";
