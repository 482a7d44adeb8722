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
export * from "./report/finding.ts";
// The types an Observation is made of, so the report types stand on their own.
export type { InspectOptions } from "./handshake/inspect.ts";
export type { HandshakeSignature } from "./handshake/signature.ts";
export type { ServerHello } from "./wire/server_hello.ts";
export type { Extension } from "./wire/extensions.ts";
export type {
  CertificateRequest,
  EncryptedExtensions,
  KeyExchangeKind,
  ServerKeyExchange,
} from "./wire/messages.ts";
export * as policy from "./policy/mod.ts";
export * as starttls from "./starttls/all.ts";
export * as scan from "./scan/mod.ts";
