/**
 * The differential corpus for `tlsprobe ciphers` against `openssl ciphers`:
 * cipher strings from real configurations (nginx, Apache, Mozilla
 * modern/intermediate/old, Python's and Node's defaults, the book's
 * `ECDH+AES128`), deterministic random combinations of aliases, suite names,
 * operators and specials, and invalid strings; each paired with flag sets.
 *
 * Pure and seeded: the same corpus every run, so fixtures stay valid.
 *
 * @module
 */
import { prng as rng } from "../tests/_helpers/prng.ts";

/** Cipher strings from real configurations and documentation. */
export const REAL_STRINGS: string[] = [
  // The book's hand-locked TLS 1.2 server.
  "ECDH+AES128",
  // nginx default, and common nginx/Apache snippets.
  "HIGH:!aNULL:!MD5",
  "HIGH:MEDIUM:!MD5:!RC4:!3DES",
  "HIGH:!aNULL:!eNULL:!EXPORT:!DES:!MD5:!PSK:!RC4",
  "EECDH+AESGCM:EDH+AESGCM",
  "EECDH+AESGCM:EDH+AESGCM:AES256+EECDH:AES256+EDH",
  "EECDH+CHACHA20:EECDH+AES128:RSA+AES128:EECDH+AES256:RSA+AES256:EECDH+3DES:RSA+3DES:!MD5",
  "ECDHE-RSA-AES256-GCM-SHA512:DHE-RSA-AES256-GCM-SHA512:ECDHE-RSA-AES256-GCM-SHA384:" +
  "DHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-SHA384",
  "kEECDH+ECDSA+AES128:kEECDH+ECDSA+AES256:kEECDH+AES128:kEECDH+AES256:kEDH+AES128:kEDH+AES256:" +
  "DES-CBC3-SHA:+SHA:!aNULL:!eNULL:!LOW:!kECDH:!DSS:!MD5:!RC4:!EXP:!PSK:!SRP:!CAMELLIA:!SEED",
  // Apache mod_ssl defaults across versions.
  "DEFAULT:!EXP:!SSLv2:!DES:!IDEA:!SEED:+3DES",
  "ALL:!ADH:!EXPORT:!SSLv2:RC4+RSA:+HIGH:+MEDIUM:+LOW",
  "HIGH:MEDIUM:!aNULL:!MD5",
  "HIGH:MEDIUM:!SSLv3:!kRSA",
  "RC4-SHA:AES128-SHA:HIGH:!aNULL:!MD5",
  // Mozilla intermediate (v5) and old (v5), and intermediate v4.
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" +
  "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" +
  "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305",
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" +
  "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" +
  "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305:" +
  "ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:" +
  "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:" +
  "DHE-RSA-AES128-SHA256:DHE-RSA-AES256-SHA256:AES128-GCM-SHA256:AES256-GCM-SHA384:" +
  "AES128-SHA256:AES256-SHA256:AES128-SHA:AES256-SHA:DES-CBC3-SHA",
  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:" +
  "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" +
  "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-SHA256:" +
  "ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA:" +
  "ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:DHE-RSA-AES128-SHA256:" +
  "DHE-RSA-AES128-SHA:DHE-RSA-AES256-SHA256:DHE-RSA-AES256-SHA:ECDHE-ECDSA-DES-CBC3-SHA:" +
  "ECDHE-RSA-DES-CBC3-SHA:EDH-RSA-DES-CBC3-SHA:AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:" +
  "AES256-SHA256:AES128-SHA:AES256-SHA:DES-CBC3-SHA:!DSS",
  // Python: 3.10+ _DEFAULT_CIPHERS, 3.6-3.9, 2.7/3.4 restricted server ciphers.
  "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM",
  "ECDH+AESGCM:ECDH+CHACHA20:DH+AESGCM:DH+CHACHA20:ECDH+AES256:DH+AES256:ECDH+AES128:DH+AES:" +
  "ECDH+HIGH:DH+HIGH:RSA+AESGCM:RSA+AES:RSA+HIGH:!aNULL:!eNULL:!MD5:!3DES",
  "ECDH+AESGCM:DH+AESGCM:ECDH+AES256:DH+AES256:ECDH+AES128:DH+AES:ECDH+3DES:DH+3DES:" +
  "RSA+AESGCM:RSA+AES:RSA+3DES:!aNULL:!MD5:!DSS",
  "ECDH+AESGCM:DH+AESGCM:ECDH+AES256:DH+AES256:ECDH+AES128:DH+AES:ECDH+HIGH:DH+HIGH:" +
  "RSA+AESGCM:RSA+AES:RSA+HIGH:!aNULL:!eNULL:!MD5",
  "DEFAULT:!aNULL:!eNULL:!MD5:!3DES:!DES:!RC4:!IDEA:!SEED:!aDSS:!SRP:!PSK",
  // Node.js default (TLS 1.3 names in the list are ignored by OpenSSL's parser).
  "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:" +
  "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:" +
  "ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256:" +
  "DHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:DHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-SHA256:" +
  "DHE-RSA-AES256-SHA256:HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!PSK:!SRP:!CAMELLIA",
  "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:" +
  "ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256:" +
  "DHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:DHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-SHA256:" +
  "DHE-RSA-AES256-SHA256:HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!PSK:!SRP:!CAMELLIA",
  // HAProxy, Postfix, curl, Twisted and assorted documentation.
  "ECDH+AESGCM:DH+AESGCM:ECDH+AES256:DH+AES256:ECDH+AES128:DH+AES:RSA+AESGCM:RSA+AES:" +
  "!aNULL:!MD5:!DSS",
  "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH",
  "ALL:!EXPORT:!LOW:!aNULL:!eNULL:!SSLv2",
  "DEFAULT:!EXPORT:!LOW:!RC4:!MD5:!DSS:!SSLv2",
  "HIGH:!DSS:!aNULL@STRENGTH",
  "DEFAULT:@SECLEVEL=1",
  "DEFAULT:@SECLEVEL=0",
  "ALL:@SECLEVEL=0",
  "PROFILE=SYSTEM",
  "DEFAULT",
  "ALL",
  "ALL:COMPLEMENTOFALL",
  "ALL:COMPLEMENTOFALL:@SECLEVEL=0",
  "COMPLEMENTOFDEFAULT",
  "COMPLEMENTOFALL",
  "SUITEB128",
  "SUITEB128ONLY",
  "SUITEB128C2",
  "SUITEB192",
  "FIPS",
  "FIPS:!aNULL:!eNULL",
  "MEDIUM",
  "LOW",
  "eNULL",
  "NULL",
  "aNULL",
  "kRSA",
  "RSA",
  "ECDHE+AESGCM:ECDHE+CHACHA20",
  "PSK",
  "SRP",
  "TLSv1.2",
  "TLSv1.0",
  "TLSv1",
  "SSLv3",
  "",
];

/** Words the random strings are built from. */
const WORDS: string[] = [
  "ALL",
  "COMPLEMENTOFALL",
  "COMPLEMENTOFDEFAULT",
  "DEFAULT",
  "HIGH",
  "MEDIUM",
  "LOW",
  "FIPS",
  "eNULL",
  "NULL",
  "aNULL",
  "kRSA",
  "RSA",
  "kEDH",
  "kDHE",
  "EDH",
  "DHE",
  "DH",
  "ADH",
  "kEECDH",
  "kECDHE",
  "EECDH",
  "ECDHE",
  "ECDH",
  "AECDH",
  "aRSA",
  "aDSS",
  "DSS",
  "aECDSA",
  "ECDSA",
  "PSK",
  "kPSK",
  "kRSAPSK",
  "kECDHEPSK",
  "kDHEPSK",
  "aPSK",
  "SRP",
  "kSRP",
  "aSRP",
  "TLSv1.2",
  "TLSv1.0",
  "TLSv1",
  "SSLv3",
  "AES",
  "AES128",
  "AES256",
  "AESGCM",
  "AESCCM",
  "AESCCM8",
  "ARIA",
  "ARIAGCM",
  "ARIA128",
  "ARIA256",
  "CAMELLIA",
  "CAMELLIA128",
  "CAMELLIA256",
  "CHACHA20",
  "3DES",
  "DES",
  "RC4",
  "RC2",
  "IDEA",
  "SEED",
  "GOST89",
  "kGOST",
  "aGOST",
  "MD5",
  "SHA1",
  "SHA",
  "SHA256",
  "SHA384",
  "GOST94",
  "GOST12",
  "CBC",
  "SUITEB128",
  "EXP",
  "EXPORT",
  "TLSv1.1",
  "TLSv1.3",
  "aes",
  "FOO",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "AES128-SHA",
  "AES256-SHA256",
  "DHE-RSA-CHACHA20-POLY1305",
  "PSK-AES128-CBC-SHA",
  "ADH-AES128-SHA",
  "NULL-SHA256",
  "ECDHE-RSA-AES256-SHA",
  "DHE-DSS-AES128-SHA256",
  "SRP-AES-128-CBC-SHA",
  "AES128-CCM8",
  "ECDHE-ARIA128-GCM-SHA256",
  "CAMELLIA256-SHA",
  "DES-CBC3-SHA",
  "RC4-SHA",
  "EDH-RSA-DES-CBC3-SHA",
  "TLS_AES_128_GCM_SHA256",
  "NULL-MD5",
  "RSA-PSK-AES256-GCM-SHA384",
];

const SPECIALS = [
  "@STRENGTH",
  "@SECLEVEL=0",
  "@SECLEVEL=1",
  "@SECLEVEL=2",
  "@SECLEVEL=3",
  "@SECLEVEL=4",
  "@SECLEVEL=5",
  "@SECLEVEL=6",
  "@SECLEVEL=10",
  "@FOO",
  "@strength",
];
const PREFIXES = ["", "", "", "!", "-", "+"];
const SEPARATORS = [":", ":", ":", ",", " ", ";", "::"];
const JUNK = ["_", "#", "(", "*", "/", "$", "'", "\t", "é"];

/**
 * Random cipher strings: 1-8 terms, each an optional operator and 1-3 words
 * joined by `+`, sometimes a special, sometimes junk (invalid strings).
 *
 * @param n how many
 * @param seed the PRNG seed
 * @returns the strings (deterministic for a seed)
 */
export function randomStrings(n: number, seed = 20261122): string[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const terms: string[] = [];
    const count = 1 + Math.floor(r() * 8);
    for (let t = 0; t < count; t++) {
      if (r() < 0.1) {
        terms.push(pick(SPECIALS));
        continue;
      }
      const words = Array.from(
        { length: 1 + Math.floor(r() * (r() < 0.7 ? 1 : 3)) },
        () => pick(WORDS),
      );
      terms.push(pick(PREFIXES) + words.join("+"));
    }
    let s = terms[0];
    for (const t of terms.slice(1)) s += pick(SEPARATORS) + t;
    if (r() < 0.08) {
      const at = Math.floor(r() * (s.length + 1));
      s = s.slice(0, at) + pick(JUNK) + s.slice(at);
    }
    if (r() < 0.05) s = "DEFAULT" + (r() < 0.5 ? ":" : "") + s;
    out.push(s);
  }
  return out;
}

/** Flag sets of `openssl ciphers` the corpus rotates through. */
export const FLAG_SETS: string[][] = [
  [],
  ["-v"],
  ["-V"],
  ["-stdname"],
  ["-V", "-stdname"],
  ["-s"],
  ["-s", "-v"],
  ["-s", "-tls1_2"],
  ["-s", "-tls1_1"],
  ["-s", "-tls1"],
  ["-s", "-tls1_3", "-v"],
  ["-s", "-psk"],
  ["-s", "-srp", "-V"],
  ["-s", "-psk", "-srp", "-tls1_2"],
  ["-tls1_2"],
  ["-ciphersuites", "TLS_AES_128_CCM_SHA256:TLS_AES_128_GCM_SHA256", "-v"],
  ["-ciphersuites", ""],
  ["-s", "-ciphersuites", "TLS_AES_128_CCM_8_SHA256:TLS_RSA_WITH_NULL_MD5"],
  ["-ciphersuites", "FOO"],
  ["-ciphersuites", " TLS_CHACHA20_POLY1305_SHA256 :TLS_EMPTY_RENEGOTIATION_INFO_SCSV", "-V"],
];

/** One differential case: the arguments after `ciphers`. */
export interface CorpusCase {
  args: string[];
}

/**
 * The corpus: every real string under every flag set, and each random string
 * under no flags and under one rotating flag set.
 *
 * @param randomCount how many random strings
 * @returns the cases
 */
export function corpus(randomCount = 1000): CorpusCase[] {
  const cases: CorpusCase[] = [];
  for (const s of REAL_STRINGS) {
    for (const f of FLAG_SETS) cases.push({ args: [...f, s] });
  }
  cases.push({ args: [] }, { args: ["-v"] }, { args: ["-s", "-V"] });
  randomStrings(randomCount).forEach((s, i) => {
    cases.push({ args: [s] });
    cases.push({ args: [...FLAG_SETS[1 + (i % (FLAG_SETS.length - 1))], s] });
  });
  // OpenSSL-style argument handling.
  for (
    const args of [
      ["-foo"],
      ["ALL", "-v"],
      ["-v", "--", "-ALL"],
      ["-ALL"],
      ["--v", "HIGH"],
      ["-ciphersuites"],
      ["-ciphersuites=TLS_AES_128_GCM_SHA256", "HIGH"],
      ["-v=1", "HIGH"],
      ["-convert", "TLS_RSA_WITH_AES_128_CBC_SHA"],
      ["-convert", "TLS_RSA_WITH_SEED_CBC_SHA"],
      ["-convert", "TLS_RSA_WITH_RC4_128_SHA"],
      ["-convert", "TLS_AES_128_CCM_8_SHA256"],
      ["-convert", "TLS_FALLBACK_SCSV"],
      ["-convert", "ECDHE-RSA-AES128-GCM-SHA256"],
      ["a", "b"],
      ["-help"],
      ["-v", "-help", "x", "y"],
      ["-provider", "default", "-v", "ECDH+AES128"],
      ["-propq", "", "HIGH"],
      ["-provider-path", "/nonexistent", "HIGH"],
    ]
  ) cases.push({ args });
  return cases;
}
