/**
 * OpenSSL cipher-string semantics in pure TypeScript: the list and order
 * `SSL_CTX_set_cipher_list()` gives for a string such as `ECDH+AES128` or
 * `HIGH:!aNULL:!MD5:@STRENGTH`, with TLS 1.3 suites prepended as OpenSSL does
 * (`SSL_CTX_set_ciphersuites()`), and the `openssl ciphers -s` filter
 * (protocol versions, PSK/SRP, security level).
 *
 * The algorithm follows OpenSSL 3.0 `ssl/ssl_ciph.c`: a default preference
 * order computed once (ECDHE first, AES-GCM then ChaCha20 then AES, MD5,
 * anonymous, RSA and PSK key exchange and RC4 last, then a stable sort by
 * strength bits, then TLS 1.2, AEAD, (EC)DHE and (EC)DHE+AEAD bumped to the
 * front), then the rules of the string applied to a linked list in which
 * every suite is present but inactive.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { type CipherSuite, cipherSuiteByName } from "../registry/cipher_suites.ts";
import {
  aECDSA,
  aNULL,
  aPSK,
  aSRP,
  DEFAULT_MASK,
  eAES,
  eAESGCM,
  eCHACHA20,
  eRC4,
  kDHE,
  kDHEPSK,
  kECDHE,
  kECDHEPSK,
  kPSK,
  kRSA,
  kSRP,
  mAEAD,
  mMD5,
  mSHA1,
  type OpensslProfile,
  type OsslCipher,
  PROFILES,
  PSK_ALL,
  STRONG_MASK,
} from "./profile.ts";
import { TLS1_1, TLS1_2, TLS1_3, versionByName } from "../registry/versions.ts";

/** OpenSSL versions the engine models. */
export type OpensslVersion = "3.0";

/** Protocol names as `openssl ciphers` flags and `-v` name them. */
export type ProtocolName = "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

/** Options of {@link expandCipherString}. */
export interface ExpandOptions {
  /** The OpenSSL version to model (default "3.0"). */
  version?: OpensslVersion;
  /** The TLS 1.3 list (`-ciphersuites`); default OpenSSL's default. */
  ciphersuites?: string;
  /**
   * Keep only suites usable with these protocol versions (lowest to highest)
   * and the security level, as `openssl ciphers -s -tls1_2` does (`-tls1_2`
   * is `["TLSv1.2"]`). Giving it implies the `supportedOnly` filter.
   */
  protocols?: ProtocolName[];
  /** Apply the `openssl ciphers -s` filter. */
  supportedOnly?: boolean;
  /** With `supportedOnly`: a PSK callback is set (`-psk`), keeping PSK suites. */
  psk?: boolean;
  /** With `supportedOnly`: SRP is set up (`-srp`), keeping SRP suites. */
  srp?: boolean;
}

/** The result of {@link expandCipherString}. */
export interface Expansion {
  /** The suites in preference order, TLS 1.3 first. */
  suites: CipherSuite[];
  /** OpenSSL's view of each suite (its name, with SCSVs, as `openssl ciphers` prints it). */
  ciphers: OsslCipher[];
  /** The security level after `@SECLEVEL=n` (or the build's default). */
  securityLevel: number;
}

const CIPHER_ADD = 1, CIPHER_KILL = 2, CIPHER_DEL = 3, CIPHER_ORD = 4, CIPHER_SPECIAL = 5;
const CIPHER_BUMP = 6;

/** The doubly linked list `ssl_create_cipher_list()` works on, over array indices. */
class Order {
  next: Int32Array;
  prev: Int32Array;
  active: Uint8Array;
  head = -1;
  tail = -1;

  constructor(readonly ciphers: OsslCipher[], order: number[]) {
    const n = ciphers.length;
    this.next = new Int32Array(n);
    this.prev = new Int32Array(n);
    this.active = new Uint8Array(n);
    for (let i = 0; i < order.length; i++) {
      this.prev[order[i]] = i > 0 ? order[i - 1] : -1;
      this.next[order[i]] = i < order.length - 1 ? order[i + 1] : -1;
    }
    if (order.length) {
      this.head = order[0];
      this.tail = order[order.length - 1];
    }
  }

  appendTail(c: number): void {
    if (c === this.tail) return;
    if (c === this.head) this.head = this.next[c];
    if (this.prev[c] !== -1) this.next[this.prev[c]] = this.next[c];
    if (this.next[c] !== -1) this.prev[this.next[c]] = this.prev[c];
    this.next[this.tail] = c;
    this.prev[c] = this.tail;
    this.next[c] = -1;
    this.tail = c;
  }

  appendHead(c: number): void {
    if (c === this.head) return;
    if (c === this.tail) this.tail = this.prev[c];
    if (this.next[c] !== -1) this.prev[this.next[c]] = this.prev[c];
    if (this.prev[c] !== -1) this.next[this.prev[c]] = this.next[c];
    this.prev[this.head] = c;
    this.next[c] = this.head;
    this.prev[c] = -1;
    this.head = c;
  }

  /** `ssl_cipher_apply_rule()`: select by masks (or by strength bits when >= 0) and act. */
  apply(rule: Rule, action: number, strengthBits = -1): void {
    const reverse = action === CIPHER_DEL || action === CIPHER_BUMP;
    let next = reverse ? this.tail : this.head;
    const last = reverse ? this.head : this.tail;
    let curr = -2;
    for (;;) {
      if (curr === last) break;
      curr = next;
      if (curr === -1) break;
      next = reverse ? this.prev[curr] : this.next[curr];
      const cp = this.ciphers[curr];
      if (strengthBits >= 0) {
        if (strengthBits !== cp.strengthBits) continue;
      } else {
        if (rule.id !== 0 && rule.id !== cp.id) continue;
        if (rule.mkey && !(rule.mkey & cp.mkey)) continue;
        if (rule.auth && !(rule.auth & cp.auth)) continue;
        if (rule.enc && !(rule.enc & cp.enc)) continue;
        if (rule.mac && !(rule.mac & cp.mac)) continue;
        if (rule.minTls && rule.minTls !== cp.minTls) continue;
        if ((rule.strength & STRONG_MASK) && !(rule.strength & STRONG_MASK & cp.strength)) {
          continue;
        }
        if ((rule.strength & DEFAULT_MASK) && !(rule.strength & DEFAULT_MASK & cp.strength)) {
          continue;
        }
      }
      if (action === CIPHER_ADD) {
        if (!this.active[curr]) {
          this.appendTail(curr);
          this.active[curr] = 1;
        }
      } else if (action === CIPHER_ORD) {
        if (this.active[curr]) this.appendTail(curr);
      } else if (action === CIPHER_DEL) {
        if (this.active[curr]) {
          this.appendHead(curr);
          this.active[curr] = 0;
        }
      } else if (action === CIPHER_BUMP) {
        if (this.active[curr]) this.appendHead(curr);
      } else if (action === CIPHER_KILL) {
        if (this.head === curr) this.head = this.next[curr];
        else this.next[this.prev[curr]] = this.next[curr];
        if (this.tail === curr) this.tail = this.prev[curr];
        this.active[curr] = 0;
        if (this.next[curr] !== -1) this.prev[this.next[curr]] = this.prev[curr];
        if (this.prev[curr] !== -1) this.next[this.prev[curr]] = this.next[curr];
        this.next[curr] = -1;
        this.prev[curr] = -1;
      }
    }
  }

  /** `ssl_cipher_strength_sort()`: a stable sort by descending strength bits. */
  strengthSort(): void {
    const used = new Set<number>();
    for (let c = this.head; c !== -1; c = this.next[c]) {
      if (this.active[c]) used.add(this.ciphers[c].strengthBits);
    }
    for (const bits of [...used].sort((a, b) => b - a)) this.apply(NO_RULE, CIPHER_ORD, bits);
  }

  list(): number[] {
    const out: number[] = [];
    for (let c = this.head; c !== -1; c = this.next[c]) out.push(c);
    return out;
  }
}

interface Rule {
  id: number;
  mkey: number;
  auth: number;
  enc: number;
  mac: number;
  minTls: number;
  strength: number;
}

const NO_RULE: Rule = { id: 0, mkey: 0, auth: 0, enc: 0, mac: 0, minTls: 0, strength: 0 };
const rule = (r: Partial<Rule>): Rule => ({ ...NO_RULE, ...r });

/** Per-profile state computed once: the default order and the name table. */
interface Prepared {
  profile: OpensslProfile;
  ciphers: OsslCipher[];
  order: number[];
  names: Map<string, { entry: Rule; valid: boolean }>;
  byStdname: Map<string, OsslCipher | null>;
}

const prepared = new Map<string, Prepared>();

function prepare(version: OpensslVersion): Prepared {
  const hit = prepared.get(version);
  if (hit) return hit;
  const make = PROFILES[version];
  if (!make) {
    throw new TlsprobeError("UNSUPPORTED", `Cannot model OpenSSL ${version}: only 3.0 is known`, {
      field: "version",
    });
  }
  const profile = make();
  const d = profile.disabled;
  // ssl_cipher_collect_ciphers(): OpenSSL sorts its table by id and walks it backwards.
  const ciphers = profile.ciphers
    .filter((c) => !(c.mkey & d.mkey || c.auth & d.auth || c.enc & d.enc || c.mac & d.mac))
    .sort((a, b) => b.id - a.id);
  const o = new Order(ciphers, ciphers.map((_, i) => i));
  o.apply(rule({ mkey: kECDHE, auth: aECDSA }), CIPHER_ADD);
  o.apply(rule({ mkey: kECDHE }), CIPHER_ADD);
  o.apply(rule({ mkey: kECDHE }), CIPHER_DEL);
  o.apply(rule({ enc: eAESGCM }), CIPHER_ADD);
  o.apply(rule({ enc: eCHACHA20 }), CIPHER_ADD);
  o.apply(rule({ enc: eAES ^ eAESGCM }), CIPHER_ADD);
  o.apply(NO_RULE, CIPHER_ADD);
  o.apply(rule({ mac: mMD5 }), CIPHER_ORD);
  o.apply(rule({ auth: aNULL }), CIPHER_ORD);
  o.apply(rule({ mkey: kRSA }), CIPHER_ORD);
  o.apply(rule({ mkey: kPSK }), CIPHER_ORD);
  o.apply(rule({ enc: eRC4 }), CIPHER_ORD);
  o.strengthSort();
  o.apply(rule({ minTls: TLS1_2 }), CIPHER_BUMP);
  o.apply(rule({ mac: mAEAD }), CIPHER_BUMP);
  o.apply(rule({ mkey: kDHE | kECDHE }), CIPHER_BUMP);
  o.apply(rule({ mkey: kDHE | kECDHE, mac: mAEAD }), CIPHER_BUMP);
  o.apply(NO_RULE, CIPHER_DEL);

  // ssl_cipher_collect_aliases(): suite names first, then the aliases whose
  // algorithms the build has (an alias of only disabled algorithms is unknown).
  const names = new Map<string, { entry: Rule; valid: boolean }>();
  for (const c of ciphers) {
    if (!names.has(c.name)) {
      names.set(c.name, {
        entry: {
          id: c.id,
          mkey: c.mkey,
          auth: c.auth,
          enc: c.enc,
          mac: c.mac,
          minTls: c.minTls,
          strength: c.strength,
        },
        valid: true,
      });
    }
  }
  for (const a of profile.aliases) {
    if (a.mkey && !(a.mkey & ~d.mkey)) continue;
    if (a.auth && !(a.auth & ~d.auth)) continue;
    if (a.enc && !(a.enc & ~d.enc)) continue;
    if (a.mac && !(a.mac & ~d.mac)) continue;
    if (!names.has(a.name)) names.set(a.name, { entry: { id: 0, ...a }, valid: false });
  }
  const byStdname = new Map<string, OsslCipher | null>();
  for (const c of [...profile.tls13, ...profile.ciphers, ...profile.scsvs]) {
    if (!byStdname.has(c.stdname)) byStdname.set(c.stdname, c);
  }
  for (const n of profile.disabledStdnames) if (!byStdname.has(n)) byStdname.set(n, null);
  const p: Prepared = { profile, ciphers, order: o.list(), names, byStdname };
  prepared.set(version, p);
  return p;
}

const isSep = (ch: string) => ch === ":" || ch === " " || ch === ";" || ch === ",";
const isWord = (ch: string) =>
  (ch >= "A" && ch <= "Z") || (ch >= "0" && ch <= "9") || (ch >= "a" && ch <= "z") ||
  ch === "-" || ch === "." || ch === "=";

/**
 * OpenSSL's error-queue entries (`ERR_print_errors()` without thread id and
 * source line); errors carry them as `detail.openssl`, one per raised error.
 */
const OPENSSL_ERRORS = {
  invalidCommand: "error:0A000118:SSL routines:ssl_cipher_process_rulestr:invalid command",
  noCipherMatch: "error:0A0000B9:SSL routines:SSL_CTX_set_cipher_list:no cipher match",
  noCiphersuiteMatch: "error:0A0000B9:SSL routines:set_ciphersuites:no cipher match",
};

function badCipherList(
  reason: string,
  openssl: string[],
  detail: Record<string, unknown> = {},
): TlsprobeError {
  return new TlsprobeError("BAD_INPUT", `Error in cipher list: ${reason}`, {
    field: "cipherList",
    reason,
    openssl,
    ...detail,
  });
}

/**
 * `ssl_cipher_process_rulestr()`. Returns false on an invalid command (after
 * processing the rest, as OpenSSL does); sets `state.secLevel`.
 */
function processRules(
  str: string,
  order: Order,
  p: Prepared,
  state: { secLevel: number; error?: string; offset?: number; raised: number },
): boolean {
  let ok = true;
  let l = 0;
  const at = (i: number) => (i < str.length ? str[i] : "\0");
  for (;;) {
    let ch = at(l);
    if (ch === "\0") break;
    let action: number;
    if (ch === "-") {
      action = CIPHER_DEL;
      l++;
    } else if (ch === "+") {
      action = CIPHER_ORD;
      l++;
    } else if (ch === "!") {
      action = CIPHER_KILL;
      l++;
    } else if (ch === "@") {
      action = CIPHER_SPECIAL;
      l++;
    } else {
      action = CIPHER_ADD;
    }
    if (isSep(ch)) {
      l++;
      continue;
    }
    let mkey = 0, auth = 0, enc = 0, mac = 0, minTls = 0, strength = 0, id = 0;
    let found = false;
    let buf = l, buflen = 0;
    for (;;) {
      ch = at(l);
      buf = l;
      buflen = 0;
      while (isWord(ch)) {
        ch = at(++l);
        buflen++;
      }
      if (buflen === 0) {
        state.error ??= `unexpected ${JSON.stringify(at(l))} at offset ${l}`;
        state.offset ??= l;
        state.raised++;
        return false;
      }
      if (action === CIPHER_SPECIAL) break;
      let multi = false;
      if (ch === "+") {
        multi = true;
        l++;
      }
      const hit = p.names.get(str.slice(buf, buf + buflen));
      id = 0;
      found = hit !== undefined;
      if (!hit) break;
      const e = hit.entry;
      if (e.mkey) {
        if (mkey) {
          mkey &= e.mkey;
          if (!mkey) {
            found = false;
            break;
          }
        } else mkey = e.mkey;
      }
      if (e.auth) {
        if (auth) {
          auth &= e.auth;
          if (!auth) {
            found = false;
            break;
          }
        } else auth = e.auth;
      }
      if (e.enc) {
        if (enc) {
          enc &= e.enc;
          if (!enc) {
            found = false;
            break;
          }
        } else enc = e.enc;
      }
      if (e.mac) {
        if (mac) {
          mac &= e.mac;
          if (!mac) {
            found = false;
            break;
          }
        } else mac = e.mac;
      }
      if (e.strength & STRONG_MASK) {
        if (strength & STRONG_MASK) {
          strength &= (e.strength & STRONG_MASK) | ~STRONG_MASK;
          if (!(strength & STRONG_MASK)) {
            found = false;
            break;
          }
        } else strength = e.strength & STRONG_MASK;
      }
      if (e.strength & DEFAULT_MASK) {
        if (strength & DEFAULT_MASK) {
          strength &= (e.strength & DEFAULT_MASK) | ~DEFAULT_MASK;
          if (!(strength & DEFAULT_MASK)) {
            found = false;
            break;
          }
        } else strength |= e.strength & DEFAULT_MASK;
      }
      if (hit.valid) {
        // An explicit suite: its protocol version is not part of the pattern.
        id = e.id;
      } else if (e.minTls) {
        if (minTls !== 0 && minTls !== e.minTls) {
          found = false;
          break;
        }
        minTls = e.minTls;
      }
      if (!multi) break;
    }
    if (action === CIPHER_SPECIAL) {
      const word = str.slice(buf, buf + buflen);
      if (word === "STRENGTH") {
        order.strengthSort();
      } else if (buflen === 10 && word.startsWith("SECLEVEL=")) {
        const level = word.charCodeAt(9) - 48;
        if (level < 0 || level > 5) {
          ok = false;
          state.error ??= `invalid security level in @${word} (0 to 5)`;
          state.offset ??= buf - 1;
          state.raised++;
        } else state.secLevel = level;
      } else {
        ok = false;
        state.error ??= `unknown command @${word} (@STRENGTH or @SECLEVEL=n)`;
        state.offset ??= buf - 1;
        state.raised++;
      }
      while (at(l) !== "\0" && !isSep(at(l))) l++;
    } else if (found) {
      order.apply({ id, mkey, auth, enc, mac, minTls, strength }, action);
    } else {
      while (at(l) !== "\0" && !isSep(at(l))) l++;
    }
    if (at(l) === "\0") break;
  }
  return ok;
}

/**
 * Parses a TLS 1.3 list as `SSL_CTX_set_ciphersuites()` does: `:`-separated
 * standard names, blanks around names ignored, unknown names skipped, an
 * empty string allowed; an error when nothing in a non-empty string matches.
 */
function parseCiphersuites(str: string, p: Prepared): (OsslCipher | null)[] {
  const out: (OsslCipher | null)[] = [];
  if (str === "") return out;
  for (const part of str.split(":")) {
    const name = part.replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g, "");
    if (name === "" || name.length > 79) continue;
    const c = p.byStdname.get(name);
    if (c !== undefined) out.push(c);
  }
  if (out.length === 0) {
    throw new TlsprobeError("BAD_INPUT", "Error setting TLSv1.3 ciphersuites: no cipher match", {
      field: "ciphersuites",
      reason: "no cipher match",
      openssl: [OPENSSL_ERRORS.noCiphersuiteMatch],
    });
  }
  return out;
}

const SUITEB: [string, string][] = [
  ["SUITEB128ONLY", "ECDHE-ECDSA-AES128-GCM-SHA256"],
  ["SUITEB128C2", "ECDHE-ECDSA-AES256-GCM-SHA384"],
  ["SUITEB128", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"],
  ["SUITEB192", "ECDHE-ECDSA-AES256-GCM-SHA384"],
];

/** Minimum security bits per level (`ssl_get_security_level_bits()`). */
const LEVEL_BITS = [0, 80, 112, 128, 192, 256];

/**
 * Whether `openssl ciphers -s` keeps a suite (`ssl_cipher_disabled()` with the
 * default security callback of `ssl/ssl_cert.c`).
 */
function supported(
  c: OsslCipher,
  range: [number, number],
  level: number,
  opts: ExpandOptions,
): boolean {
  if (!opts.psk && (c.mkey & PSK_ALL || c.auth & aPSK)) return false;
  if (!opts.srp && (c.mkey & kSRP || c.auth & aSRP)) return false;
  if (c.minTls > range[1] || c.maxTls < range[0]) return false;
  if (level === 0) return true;
  const minbits = LEVEL_BITS[level];
  if (c.strengthBits < minbits) return false;
  if (c.auth & aNULL) return false;
  if (c.mac & mMD5) return false;
  if (minbits > 160 && c.mac & mSHA1) return false;
  if (level >= 2 && c.enc === eRC4) return false;
  if (
    level >= 3 && c.minTls !== TLS1_3 && !(c.mkey & (kDHE | kECDHE | kDHEPSK | kECDHEPSK))
  ) {
    return false;
  }
  return true;
}

/** The enabled protocol range after the security level, or undefined when empty. */
function protocolRange(
  p: OpensslProfile,
  level: number,
  protocols?: ProtocolName[],
): [number, number] | undefined {
  let lo = p.minProtocol, hi = p.maxProtocol;
  if (protocols?.length) {
    const v = protocols.map((n) => versionByName(n)!.code);
    lo = Math.max(lo, Math.min(...v));
    hi = Math.min(hi, Math.max(...v));
  }
  // SSL_SECOP_VERSION: TLS 1.0 needs level < 3, TLS 1.1 needs level < 4.
  if (level >= 3) lo = Math.max(lo, TLS1_1);
  if (level >= 4) lo = Math.max(lo, TLS1_2);
  return lo <= hi ? [lo, hi] : undefined;
}

/**
 * Expands an OpenSSL cipher string to the suites OpenSSL would use, in order.
 *
 * With no string (undefined), gives OpenSSL's default list. TLS 1.3 suites
 * come first, from `ciphersuites` (OpenSSL's default when absent), as
 * `openssl ciphers` prints them.
 *
 * @param str the cipher string (`SSL_CTX_set_cipher_list()`), or undefined for the default
 * @param opts version, TLS 1.3 list, and the `-s` filter options
 * @returns the suites and OpenSSL's view of them
 * @throws {TlsprobeError} `BAD_INPUT` when OpenSSL would reject the string
 *   ("Error in cipher list") or the TLS 1.3 list ("Error setting TLSv1.3 ciphersuites")
 * @example
 * ```ts
 * import { expandCipherString } from "./cipher_string.ts";
 * const { suites } = expandCipherString("ECDH+AES128", { ciphersuites: "" });
 * console.assert(suites[0].openssl === "ECDHE-ECDSA-AES128-GCM-SHA256");
 * ```
 */
export function expandCipherString(str: string | undefined, opts: ExpandOptions = {}): Expansion {
  const p = prepare(opts.version ?? "3.0");
  const tls13 = parseCiphersuites(opts.ciphersuites ?? p.profile.defaultCiphersuites, p);
  const state: { secLevel: number; error?: string; offset?: number; raised: number } = {
    secLevel: p.profile.defaultSecurityLevel,
    raised: 0,
  };
  let rules = str ?? p.profile.defaultCipherList;
  for (const [prefix, replacement] of SUITEB) {
    if (rules.startsWith(prefix)) {
      rules = replacement;
      break;
    }
  }
  const order = new Order(p.ciphers, p.order);
  let ok = true;
  let rest = rules;
  if (rules.startsWith("DEFAULT")) {
    ok = processRules(p.profile.defaultCipherList, order, p, state);
    rest = rules.slice(7);
    if (rest.startsWith(":")) rest = rest.slice(1);
  }
  if (ok && rest !== "") ok = processRules(rest, order, p, state);
  if (!ok) {
    // Offsets count in the string as given (DEFAULT's expansion cannot fail).
    const offset = state.offset !== undefined
      ? state.offset + (rules.length - rest.length)
      : undefined;
    const queue = Array(Math.max(1, state.raised)).fill(OPENSSL_ERRORS.invalidCommand);
    throw badCipherList(state.error ?? "invalid command", queue, {
      input: str,
      ...(offset !== undefined && rules === str ? { offset } : {}),
    });
  }
  const d = p.profile.disabled;
  const list: OsslCipher[] = [];
  for (const c of tls13) if (c && !(c.enc & d.enc)) list.push(c);
  for (let c = order.head; c !== -1; c = order.next[c]) {
    if (order.active[c]) list.push(p.ciphers[c]);
  }
  // SSL_CTX_set_cipher_list() fails when no suite below TLS 1.3 is left
  // (`cipher_list_tls12_num()` counts the whole list, -ciphersuites entries too).
  if (str !== undefined && !list.some((c) => c.minTls < TLS1_3)) {
    throw badCipherList(
      "no cipher matched (unknown names are ignored)",
      [OPENSSL_ERRORS.noCipherMatch],
      { input: str },
    );
  }
  let out = list;
  if (opts.supportedOnly || opts.protocols?.length) {
    const range = protocolRange(p.profile, state.secLevel, opts.protocols);
    out = range ? list.filter((c) => supported(c, range, state.secLevel, opts)) : [];
  }
  return { suites: out.map((c) => c.suite), ciphers: out, securityLevel: state.secLevel };
}

/**
 * OpenSSL's name for a standard (IANA) name, as `openssl ciphers -convert`
 * prints it: the OpenSSL name, or `(NONE)` when the build has no such suite.
 *
 * @param stdname an IANA name such as `TLS_RSA_WITH_AES_128_CBC_SHA`
 * @param version the OpenSSL version to model
 * @returns the OpenSSL name or `(NONE)`
 */
export function opensslCipherName(stdname: string, version: OpensslVersion = "3.0"): string {
  const p = prepare(version);
  const c = p.byStdname.get(stdname);
  if (c) return c.name;
  if (c === null) return cipherSuiteByName(stdname)?.openssl ?? "(NONE)";
  return "(NONE)";
}
