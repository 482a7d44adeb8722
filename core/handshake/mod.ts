/**
 * The inspection client: a TLS 1.0–1.3 handshake that observes what a server
 * negotiates (version, suite, group, ALPN, chain, client-certificate request,
 * OCSP staple, tickets) over a {@link Transport}. Pure: the socket lives in
 * `core/net/transport.ts`.
 *
 * @module
 */
export * from "./transport.ts";
export * from "./inspect.ts";
export * from "./defaults.ts";
export * from "./key_exchange.ts";
export * from "./key_schedule.ts";
export * from "./signature.ts";
export * from "./offer.ts";
export * from "./capabilities.ts";
export * from "./server.ts";
export * from "./server_keys.ts";
export * from "./server_suites.ts";
export * from "./prf.ts";
export * from "./record_legacy.ts";
export * from "./dh_params.ts";
