/**
 * Turns the probe's user-facing options into an offer: `-p` protocol names
 * and ranges, `-C` cipher lists (colon-separated OpenSSL or IANA names), and
 * `--groups` names.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { cipherSuiteByName } from "../registry/cipher_suites.ts";
import { groupByName } from "../registry/groups.ts";
import { TLS1_0, TLS1_3, versionByName, VERSIONS } from "../registry/versions.ts";
import { DEFAULT_TLS13_SUITES } from "./defaults.ts";
import { expandCipherString } from "../openssl/cipher_string.ts";

/**
 * Parses a protocol option: one version (`TLSv1.2`, `SSLv3`) or a range
 * `min:max` (either side may be empty). The book's `SSLv23` means "any".
 *
 * @param spec the option value
 * @returns the wire versions, highest first
 * @throws TlsprobeError BAD_INPUT for an unknown name or an empty range
 * @example
 * ```ts
 * import { parseProtocols } from "./offer.ts";
 * console.assert(parseProtocols("TLSv1:TLSv1.2").join() === "771,770,769");
 * ```
 */
export function parseProtocols(spec: string): number[] {
  const s = spec.trim();
  if (/^(sslv23|tls|any)$/i.test(s)) return range(TLS1_0, TLS1_3);
  const one = (name: string, dflt: number) => {
    if (!name.trim()) return dflt;
    const v = versionByName(name);
    if (!v || v.code < 0x0300) {
      throw new TlsprobeError(
        "BAD_INPUT",
        `Unknown protocol ${
          JSON.stringify(name)
        }: use SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 or MIN:MAX`,
      );
    }
    return v.code;
  };
  if (s.includes(":")) {
    const [a, b, ...more] = s.split(":");
    if (more.length) throw new TlsprobeError("BAD_INPUT", `Cannot parse protocol range ${s}`);
    const lo = one(a, TLS1_0), hi = one(b, TLS1_3);
    if (lo > hi) {
      throw new TlsprobeError("BAD_INPUT", `Protocol range ${s} is empty (minimum above maximum)`);
    }
    return range(lo, hi);
  }
  return [one(s, TLS1_3)];
}

function range(lo: number, hi: number): number[] {
  return VERSIONS.filter((v) => v.code >= lo && v.code <= hi).map((v) => v.code).reverse();
}

/**
 * Parses the `-C` option: a colon-separated list of OpenSSL or IANA suite
 * names (any suite the registry knows, even ones this OpenSSL build lacks,
 * such as RC4), or else a full OpenSSL cipher string (`ECDH+AES128`,
 * `HIGH:!aNULL`, `ALL:@SECLEVEL=0`) expanded as OpenSSL 3.0 would. Without a
 * TLS 1.3 suite in the list, the default TLS 1.3 suites stay on offer, as
 * with OpenSSL's separate `-ciphersuites`.
 *
 * @param spec the option value
 * @returns suite codes in preference order
 * @throws TlsprobeError BAD_INPUT when it is neither a list of names nor a valid cipher string
 * @example
 * ```ts
 * import { parseCipherList } from "./offer.ts";
 * console.assert(parseCipherList("ECDHE-RSA-AES128-GCM-SHA256").includes(0xc02f));
 * ```
 */
export function parseCipherList(spec: string): number[] {
  const names = spec.split(/[:,\s]+/).filter(Boolean);
  if (!names.length) throw new TlsprobeError("BAD_INPUT", "The cipher list is empty");
  const found = names.map((n) => cipherSuiteByName(n) ?? cipherSuiteByName(n.toUpperCase()));
  let codes: number[];
  if (found.every((s) => s !== undefined)) {
    codes = [...new Set(found.map((s) => s!.code))];
  } else {
    let expanded: number[];
    try {
      expanded = expandCipherString(spec).suites.map((s) => s.code);
    } catch (e) {
      const unknown = names.filter((_, i) => !found[i]);
      throw new TlsprobeError(
        "BAD_INPUT",
        `Cannot use -C ${JSON.stringify(spec)}: not a list of suite names (unknown: ${
          unknown.join(", ")
        }) nor an OpenSSL cipher string OpenSSL 3.0 accepts (${
          e instanceof Error ? e.message : String(e)
        })`,
      );
    }
    return expanded;
  }
  const has13 = codes.some((c) => c >> 8 === 0x13);
  return has13 ? codes : [...DEFAULT_TLS13_SUITES, ...codes];
}

/**
 * Parses group names (IANA or OpenSSL: `x25519`, `P-256`, `secp384r1`,
 * `X25519MLKEM768`), separated by colons or commas.
 *
 * @param spec the option value
 * @returns group codes in order
 * @throws TlsprobeError BAD_INPUT for unknown names
 */
export function parseGroupList(spec: string): number[] {
  const names = spec.split(/[:,\s]+/).filter(Boolean);
  const unknown = names.filter((n) => !groupByName(n));
  if (unknown.length || !names.length) {
    throw new TlsprobeError(
      "BAD_INPUT",
      `Unknown group name(s): ${
        unknown.join(", ") || "(empty)"
      } (for example x25519, P-256, P-384, X25519MLKEM768, ffdhe2048)`,
    );
  }
  return [...new Set(names.map((n) => groupByName(n)!.code))];
}
