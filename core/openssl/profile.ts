/**
 * OpenSSL version profiles: the data that differs between OpenSSL versions
 * and builds (which suites exist, their internal bit masks, which algorithms
 * the build disables, the default strings and security level). The engine in
 * `cipher_string.ts` is the same for every profile.
 *
 * Bit values follow OpenSSL's `ssl/ssl_local.h` so traces compare directly.
 *
 * @module
 */
import {
  type CipherSuite,
  cipherSuiteByCode,
  cipherSuiteName,
  formatCode,
  TLS13_DEFAULT_ORDER,
} from "../registry/cipher_suites.ts";
import { SSL3, TLS1_0, TLS1_2, TLS1_3, versionByName } from "../registry/versions.ts";
import { OPENSSL_3_0_CIPHERS, OPENSSL_3_0_TLS13, OPENSSL_3_0_VERSION } from "./data_3_0.ts";

// algorithm_mkey
export const kRSA = 0x1, kDHE = 0x2, kECDHE = 0x4, kPSK = 0x8, kGOST = 0x10, kSRP = 0x20;
export const kRSAPSK = 0x40, kECDHEPSK = 0x80, kDHEPSK = 0x100, kGOST18 = 0x200;
export const PSK_ALL = kPSK | kRSAPSK | kECDHEPSK | kDHEPSK;
// algorithm_auth
export const aRSA = 0x1, aDSS = 0x2, aNULL = 0x4, aECDSA = 0x8, aPSK = 0x10, aGOST01 = 0x20;
export const aSRP = 0x40, aGOST12 = 0x80;
// algorithm_enc
export const eDES = 0x1, e3DES = 0x2, eRC4 = 0x4, eRC2 = 0x8, eIDEA = 0x10, eNULL = 0x20;
export const eAES128 = 0x40, eAES256 = 0x80, eCAMELLIA128 = 0x100, eCAMELLIA256 = 0x200;
export const eGOST89 = 0x400, eSEED = 0x800, eAES128GCM = 0x1000, eAES256GCM = 0x2000;
export const eAES128CCM = 0x4000, eAES256CCM = 0x8000, eAES128CCM8 = 0x10000;
export const eAES256CCM8 = 0x20000, eGOST89_12 = 0x40000, eCHACHA20 = 0x80000;
export const eARIA128GCM = 0x100000, eARIA256GCM = 0x200000, eMAGMA = 0x400000;
export const eKUZNYECHIK = 0x800000;
export const eAESGCM = eAES128GCM | eAES256GCM;
export const eAESCCM = eAES128CCM | eAES256CCM | eAES128CCM8 | eAES256CCM8;
export const eAES = eAES128 | eAES256 | eAESGCM | eAESCCM;
export const eCBC = eDES | e3DES | eRC2 | eIDEA | eAES128 | eAES256 | eCAMELLIA128 |
  eCAMELLIA256 | eSEED;
// algorithm_mac
export const mMD5 = 0x1, mSHA1 = 0x2, mGOST94 = 0x4, mGOST89MAC = 0x8, mSHA256 = 0x10;
export const mSHA384 = 0x20, mAEAD = 0x40, mGOST12_256 = 0x80, mGOST89MAC12 = 0x100;
export const mGOST12_512 = 0x200, mMAGMAOMAC = 0x400, mKUZNYECHIKOMAC = 0x800;
// algo_strength
export const STRONG_NONE = 0x1, LOW = 0x2, MEDIUM = 0x4, HIGH = 0x8, FIPS = 0x10;
export const STRONG_MASK = 0x1f, NOT_DEFAULT = 0x20, DEFAULT_MASK = 0x20;

/** One suite as OpenSSL holds it internally (`SSL_CIPHER`). */
export interface OsslCipher {
  /** The registry entry. */
  suite: CipherSuite;
  /** OpenSSL's id: `0x0300HHLL`. */
  id: number;
  /** The OpenSSL name (for TLS 1.3 suites and SCSVs, the standard name). */
  name: string;
  /** The standard (IANA) name. */
  stdname: string;
  /** `algorithm_mkey` bits. */
  mkey: number;
  /** `algorithm_auth` bits. */
  auth: number;
  /** `algorithm_enc` bits. */
  enc: number;
  /** `algorithm_mac` bits. */
  mac: number;
  /** Lowest protocol version (`0x0301` for TLS 1.0; 0 for SCSVs). */
  minTls: number;
  /** Highest protocol version. */
  maxTls: number;
  /** `algo_strength` bits (HIGH, MEDIUM, LOW, FIPS, NOT_DEFAULT, ...). */
  strength: number;
  /** Strength bits `@STRENGTH` sorts by. */
  strengthBits: number;
}

/** An alias of `cipher_aliases[]` in `ssl/ssl_ciph.c`. */
export interface OsslAlias {
  /** The alias as written in cipher strings (case-sensitive). */
  name: string;
  /** `algorithm_mkey` bits it selects (0: any). */
  mkey: number;
  /** `algorithm_auth` bits it selects (0: any). */
  auth: number;
  /** `algorithm_enc` bits it selects (0: any). */
  enc: number;
  /** `algorithm_mac` bits it selects (0: any). */
  mac: number;
  /** The exact `min_tls` it selects (0: any). */
  minTls: number;
  /** `algo_strength` bits it selects (0: any). */
  strength: number;
}

/** Everything the engine needs to model one OpenSSL version and build. */
export interface OpensslProfile {
  /** The version family modelled, e.g. "3.0". */
  version: string;
  /** The `openssl version` line of the build the data came from. */
  build: string;
  /** TLS 1.2-and-earlier suites compiled in and enabled. */
  ciphers: OsslCipher[];
  /** TLS 1.3 suites compiled in. */
  tls13: OsslCipher[];
  /** Compiled in but disabled (their standard names still parse in `-ciphersuites`). */
  disabledStdnames: Set<string>;
  /** Signalling values, found by standard name in `-ciphersuites`. */
  scsvs: OsslCipher[];
  /** `cipher_aliases[]`, in OpenSSL's order. */
  aliases: OsslAlias[];
  /** Algorithms the build lacks at run time (`ssl_load_ciphers()`). */
  disabled: { mkey: number; auth: number; enc: number; mac: number };
  /** `OSSL_default_cipher_list()`. */
  defaultCipherList: string;
  /** `OSSL_default_ciphersuites()`. */
  defaultCiphersuites: string;
  /** The build's default security level (`OPENSSL_TLS_SECURITY_LEVEL`). */
  defaultSecurityLevel: number;
  /** Lowest protocol version the build has (no SSLv3 here). */
  minProtocol: number;
  /** Highest protocol version the build has. */
  maxProtocol: number;
}

const KX: Record<string, number> = {
  RSA: kRSA,
  DH: kDHE,
  ECDH: kECDHE,
  PSK: kPSK,
  RSAPSK: kRSAPSK,
  ECDHEPSK: kECDHEPSK,
  DHEPSK: kDHEPSK,
  SRP: kSRP,
  GOST: kGOST,
  GOST18: kGOST18,
  any: 0,
};
const AU: Record<string, number> = {
  RSA: aRSA,
  DSS: aDSS,
  None: aNULL,
  ECDSA: aECDSA,
  PSK: aPSK,
  SRP: aSRP,
  GOST01: aGOST01,
  GOST12: aGOST12,
  any: 0,
};
const MAC: Record<string, number> = {
  MD5: mMD5,
  SHA1: mSHA1,
  SHA256: mSHA256,
  SHA384: mSHA384,
  AEAD: mAEAD,
  GOST94: mGOST94,
  GOST89: mGOST89MAC,
};

function encMask(enc: string, bits: number): number {
  const big = bits === 256;
  switch (enc) {
    case "None":
      return eNULL;
    case "AES":
      return big ? eAES256 : eAES128;
    case "AESGCM":
      return big ? eAES256GCM : eAES128GCM;
    case "AESCCM":
      return big ? eAES256CCM : eAES128CCM;
    case "AESCCM8":
      return big ? eAES256CCM8 : eAES128CCM8;
    case "Camellia":
      return big ? eCAMELLIA256 : eCAMELLIA128;
    case "ARIAGCM":
      return big ? eARIA256GCM : eARIA128GCM;
    case "CHACHA20/POLY1305":
      return eCHACHA20;
    case "3DES":
      return e3DES;
    case "RC4":
      return eRC4;
    case "SEED":
      return eSEED;
    case "IDEA":
      return eIDEA;
  }
  throw new Error(`no OpenSSL mask for cipher ${enc}(${bits})`);
}

function strengthFlags(flags: string): number {
  let s = 0;
  for (const f of flags.split("|")) {
    s |= { STRONG_NONE, LOW, MEDIUM, HIGH, FIPS, NOT_DEFAULT }[f] ?? 0;
  }
  return s;
}

function toOssl(code: number, flags: string): OsslCipher {
  const suite = cipherSuiteByCode(code);
  if (!suite?.openssl) throw new Error(`registry lacks suite ${formatCode(code)}`);
  const v = versionByName(suite.definedIn)!.code;
  const tls13 = v === TLS1_3;
  return {
    suite,
    id: 0x03000000 | code,
    name: suite.openssl,
    stdname: suite.iana,
    mkey: KX[suite.kx],
    auth: AU[suite.au],
    enc: encMask(suite.enc, suite.bits),
    mac: MAC[suite.mac],
    minTls: v,
    maxTls: tls13 ? TLS1_3 : TLS1_2,
    strength: strengthFlags(flags),
    // 3DES counts 112 bits of strength for 168 key bits (s3_lib.c).
    strengthBits: suite.enc === "3DES" ? 112 : suite.bits,
  };
}

const A = (
  name: string,
  mkey: number,
  auth = 0,
  enc = 0,
  mac = 0,
  minTls = 0,
  strength = 0,
): OsslAlias => ({ name, mkey, auth, enc, mac, minTls, strength });

/**
 * `cipher_aliases[]` of OpenSSL 3.0 `ssl/ssl_ciph.c`, in its order (the
 * first name that matches wins). The two trailing 3DES entries are
 * cipher-name aliases kept for backward compatibility.
 */
export const ALIASES_3_0: OsslAlias[] = [
  A("ALL", 0, 0, ~eNULL),
  A("COMPLEMENTOFALL", 0, 0, eNULL),
  A("COMPLEMENTOFDEFAULT", 0, 0, 0, 0, 0, NOT_DEFAULT),
  A("kRSA", kRSA),
  A("kEDH", kDHE),
  A("kDHE", kDHE),
  A("DH", kDHE),
  A("kEECDH", kECDHE),
  A("kECDHE", kECDHE),
  A("ECDH", kECDHE),
  A("kPSK", kPSK),
  A("kRSAPSK", kRSAPSK),
  A("kECDHEPSK", kECDHEPSK),
  A("kDHEPSK", kDHEPSK),
  A("kSRP", kSRP),
  A("kGOST", kGOST),
  A("kGOST18", kGOST18),
  A("aRSA", 0, aRSA),
  A("aDSS", 0, aDSS),
  A("DSS", 0, aDSS),
  A("aNULL", 0, aNULL),
  A("aECDSA", 0, aECDSA),
  A("ECDSA", 0, aECDSA),
  A("aPSK", 0, aPSK),
  A("aGOST01", 0, aGOST01),
  A("aGOST12", 0, aGOST12),
  A("aGOST", 0, aGOST01 | aGOST12),
  A("aSRP", 0, aSRP),
  A("EDH", kDHE, ~aNULL),
  A("DHE", kDHE, ~aNULL),
  A("EECDH", kECDHE, ~aNULL),
  A("ECDHE", kECDHE, ~aNULL),
  A("NULL", 0, 0, eNULL),
  A("RSA", kRSA, aRSA),
  A("ADH", kDHE, aNULL),
  A("AECDH", kECDHE, aNULL),
  A("PSK", PSK_ALL),
  A("SRP", kSRP),
  A("3DES", 0, 0, e3DES),
  A("RC4", 0, 0, eRC4),
  A("RC2", 0, 0, eRC2),
  A("IDEA", 0, 0, eIDEA),
  A("SEED", 0, 0, eSEED),
  A("eNULL", 0, 0, eNULL),
  A("GOST89", 0, 0, eGOST89 | eGOST89_12 | eMAGMA | eKUZNYECHIK),
  A("AES128", 0, 0, eAES128 | eAES128GCM | eAES128CCM | eAES128CCM8),
  A("AES256", 0, 0, eAES256 | eAES256GCM | eAES256CCM | eAES256CCM8),
  A("AES", 0, 0, eAES),
  A("AESGCM", 0, 0, eAESGCM),
  A("AESCCM", 0, 0, eAESCCM),
  A("AESCCM8", 0, 0, eAES128CCM8 | eAES256CCM8),
  A("CAMELLIA128", 0, 0, eCAMELLIA128),
  A("CAMELLIA256", 0, 0, eCAMELLIA256),
  A("CAMELLIA", 0, 0, eCAMELLIA128 | eCAMELLIA256),
  A("CHACHA20", 0, 0, eCHACHA20),
  A("GOST2012-GOST8912-GOST8912", 0, 0, eGOST89_12),
  A("ARIA", 0, 0, eARIA128GCM | eARIA256GCM),
  A("ARIAGCM", 0, 0, eARIA128GCM | eARIA256GCM),
  A("ARIA128", 0, 0, eARIA128GCM),
  A("ARIA256", 0, 0, eARIA256GCM),
  A("CBC", 0, 0, eCBC),
  A("MD5", 0, 0, 0, mMD5),
  A("SHA1", 0, 0, 0, mSHA1),
  A("SHA", 0, 0, 0, mSHA1),
  A("GOST94", 0, 0, 0, mGOST94),
  A("GOST89MAC", 0, 0, 0, mGOST89MAC | mGOST89MAC12),
  A("SHA256", 0, 0, 0, mSHA256),
  A("SHA384", 0, 0, 0, mSHA384),
  A("GOST12", 0, 0, 0, mGOST12_256),
  A("SSLv3", 0, 0, 0, 0, SSL3),
  A("TLSv1", 0, 0, 0, 0, TLS1_0),
  A("TLSv1.0", 0, 0, 0, 0, TLS1_0),
  A("TLSv1.2", 0, 0, 0, 0, TLS1_2),
  A("LOW", 0, 0, 0, 0, 0, LOW),
  A("MEDIUM", 0, 0, 0, 0, 0, MEDIUM),
  A("HIGH", 0, 0, 0, 0, 0, HIGH),
  A("FIPS", 0, 0, ~eNULL, 0, 0, FIPS),
  A("EDH-DSS-DES-CBC3-SHA", kDHE, aDSS, e3DES, mSHA1, 0, HIGH | FIPS),
  A("EDH-RSA-DES-CBC3-SHA", kDHE, aRSA, e3DES, mSHA1, 0, HIGH | FIPS),
];

let cached: OpensslProfile | undefined;

/**
 * The OpenSSL 3.0 profile, as built on this project's reference machine
 * (Debian `no-weak-ssl-ciphers`: no 3DES or RC4 suites; default provider
 * only: IDEA, SEED, RC2, DES and GOST disabled; security level 2).
 *
 * @returns the profile (built once)
 */
export function openssl30(): OpensslProfile {
  if (cached) return cached;
  const sc = (code: number, name: string): OsslCipher => {
    const suite = cipherSuiteByCode(code)!;
    return {
      suite,
      id: 0x03000000 | code,
      name,
      stdname: name,
      mkey: 0,
      auth: 0,
      enc: 0,
      mac: 0,
      minTls: 0,
      maxTls: 0,
      strength: 0,
      strengthBits: 0,
    };
  };
  cached = {
    version: "3.0",
    build: OPENSSL_3_0_VERSION,
    ciphers: OPENSSL_3_0_CIPHERS.map(([code, flags]) => toOssl(code, flags)),
    tls13: OPENSSL_3_0_TLS13.map((code) => toOssl(code, "HIGH")),
    disabledStdnames: new Set([
      "TLS_RSA_WITH_IDEA_CBC_SHA",
      "TLS_RSA_WITH_SEED_CBC_SHA",
      "TLS_DHE_DSS_WITH_SEED_CBC_SHA",
      "TLS_DHE_RSA_WITH_SEED_CBC_SHA",
      "TLS_DH_anon_WITH_SEED_CBC_SHA",
      "TLS_GOSTR341001_WITH_28147_CNT_IMIT",
      "TLS_GOSTR341001_WITH_NULL_GOSTR3411",
    ]),
    scsvs: [
      sc(0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
      sc(0x5600, "TLS_FALLBACK_SCSV"),
    ],
    aliases: ALIASES_3_0,
    disabled: {
      mkey: kGOST | kGOST18,
      auth: aGOST01 | aGOST12,
      enc: eDES | eRC4 | eRC2 | eIDEA | eSEED | eGOST89 | eGOST89_12 | eMAGMA | eKUZNYECHIK,
      mac: mGOST94 | mGOST89MAC | mGOST89MAC12 | mGOST12_256 | mGOST12_512 | mMAGMAOMAC |
        mKUZNYECHIKOMAC,
    },
    defaultCipherList: "ALL:!COMPLEMENTOFDEFAULT:!eNULL",
    defaultCiphersuites: TLS13_DEFAULT_ORDER.map(cipherSuiteName).join(":"),
    defaultSecurityLevel: 2,
    minProtocol: TLS1_0,
    maxProtocol: TLS1_3,
  };
  return cached;
}

/**
 * The profiles the engine can model, by version family. Another version is
 * one more entry here: its suite data (generated like `data_3_0.ts`), its
 * alias table, disabled algorithms and defaults.
 */
export const PROFILES: Record<string, () => OpensslProfile> = {
  "3.0": openssl30,
};
