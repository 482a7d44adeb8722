/**
 * The TLS wire codec: one bounds-checked {@link Reader} and one
 * {@link Writer}, the record layer, the ClientHello builder and parser, and
 * parsers for every message a server sends in its first flight. Pure: bytes in,
 * values out; malformed input raises `TlsprobeError` (`PEER_MALFORMED` or
 * `NOT_TLS`) with the byte offset and field.
 *
 * @module
 */
export * from "./codec.ts";
export * from "./record.ts";
export * from "./extensions.ts";
export * from "./client_hello.ts";
export * from "./server_hello.ts";
export * from "./messages.ts";
export * from "./sslv2.ts";
export * from "./flight.ts";
export * from "./encode.ts";
