/**
 * Extension lists (RFC 8446 §4.2): parsing with duplicates rejected, unknown
 * types kept as `{ type, data }`, and the small extension bodies shared by
 * several messages (ALPN, supported_versions, key_share, server_name).
 *
 * @module
 */
import { malformed, Reader, Writer } from "./codec.ts";
import { extensionName } from "../registry/extensions.ts";

/** One extension as received: the type and its opaque body. */
export interface Extension {
  /** Extension type. */
  type: number;
  /** The body. */
  data: Uint8Array;
  /** Absolute offset of the body. */
  offset: number;
}

/**
 * Reads an extension list (a vector with a 2-byte length). RFC 8446 §4.2:
 * "There MUST NOT be more than one extension of the same type".
 *
 * @param r the reader, positioned at the list's length
 * @param field name for errors
 * @returns the extensions in order
 * @throws TlsprobeError PEER_MALFORMED for overruns and duplicates
 */
export function readExtensions(r: Reader, field: string): Extension[] {
  const list = r.sub16(field);
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (list.remaining) {
    const at = list.offset;
    const type = list.u16(`${field}.type`);
    const name = extensionName(type);
    const offset = list.offset + 2;
    const data = list.vec16(`${field}.${name}`);
    if (seen.has(type)) throw malformed(`Duplicate extension ${name}`, at, field);
    seen.add(type);
    out.push({ type, data, offset });
  }
  return out;
}

/**
 * Writes an extension list.
 *
 * @param w the writer
 * @param exts the extensions
 */
export function writeExtensions(w: Writer, exts: { type: number; data: Uint8Array }[]): void {
  w.lengthPrefixed(2, (l) => {
    for (const e of exts) l.u16(e.type).vec16(e.data);
  });
}

/**
 * Finds an extension by type.
 *
 * @param exts the list
 * @param type the type
 * @returns the extension, or undefined
 */
export function findExtension(exts: Extension[], type: number): Extension | undefined {
  return exts.find((e) => e.type === type);
}

/**
 * A reader over an extension's body, with absolute offsets.
 *
 * @param e the extension
 * @returns the reader
 */
export function extReader(e: Extension): Reader {
  return new Reader(e.data, e.offset);
}

/**
 * Parses an ALPN body (RFC 7301 §3.1): a list of non-empty protocol names.
 *
 * @param e the extension
 * @returns the protocol names
 */
export function parseAlpn(e: Extension): string[] {
  const r = extReader(e);
  const list = r.sub16("alpn.protocol_name_list", 2);
  r.expectEmpty("alpn");
  const out: string[] = [];
  while (list.remaining) {
    out.push(new TextDecoder().decode(list.vec8("alpn.protocol_name", 1)));
  }
  return out;
}

/**
 * Encodes an ALPN body.
 *
 * @param protocols protocol names
 * @returns the body
 */
export function encodeAlpn(protocols: string[]): Uint8Array {
  return new Writer().lengthPrefixed(2, (w) => {
    for (const p of protocols) w.vec8(new TextEncoder().encode(p));
  }).finish();
}

/**
 * Parses a server_name body as a client sends it (RFC 6066 §3): the host_name.
 *
 * @param e the extension
 * @returns the host names
 */
export function parseServerNameList(e: Extension): string[] {
  const r = extReader(e);
  const list = r.sub16("server_name.list", 1);
  r.expectEmpty("server_name");
  const out: string[] = [];
  while (list.remaining) {
    const type = list.u8("server_name.name_type");
    const name = list.vec16("server_name.host_name", 1);
    if (type === 0) out.push(new TextDecoder().decode(name));
  }
  return out;
}

/** Throws when an extension body that must be empty is not. */
export function expectEmptyExtension(e: Extension): void {
  if (e.data.length) {
    throw malformed(`Extension ${extensionName(e.type)} must be empty`, e.offset, "extension");
  }
}
