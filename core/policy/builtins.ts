/**
 * The built-in policies: Python's `ssl.create_default_context()` for clients
 * and servers (today's Python 3.13, and Python 3.4 as the book describes it),
 * the book's hand-locked TLS 1.2 `ECDH+AES128` server, and Mozilla's Server
 * Side TLS profiles (guidelines version 5.7).
 *
 * @module
 */
import type { Policy } from "./model.ts";
import { cipherSuiteName, TLS13_DEFAULT_ORDER } from "../registry/cipher_suites.ts";

/** Python 3.10+'s default cipher string (`PY_SSL_DEFAULT_CIPHER_STRING`, `Modules/_ssl.c`). */
export const PYTHON_313_CIPHER_STRING: string =
  "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM";

/** Python 3.4's client cipher string (`_DEFAULT_CIPHERS`, `Lib/ssl.py`). */
export const PYTHON_34_CLIENT_CIPHER_STRING: string =
  "ECDH+AESGCM:DH+AESGCM:ECDH+AES256:DH+AES256:ECDH+AES128:DH+AES:ECDH+HIGH:" +
  "DH+HIGH:ECDH+3DES:DH+3DES:RSA+AESGCM:RSA+AES:RSA+HIGH:RSA+3DES:!aNULL:!eNULL:!MD5";

/** Python 3.4's server cipher string (`_RESTRICTED_SERVER_CIPHERS`, `Lib/ssl.py`). */
export const PYTHON_34_SERVER_CIPHER_STRING: string = PYTHON_34_CLIENT_CIPHER_STRING + ":!DSS:!RC4";

/** OpenSSL 3.0's default TLS 1.3 suites (`TLS_DEFAULT_CIPHERSUITES`), which Python keeps. */
export const OPENSSL_DEFAULT_TLS13_SUITES: string[] = TLS13_DEFAULT_ORDER.map(cipherSuiteName);

const CPYTHON_313 = "https://github.com/python/cpython/blob/3.13/";
const PY313_NOTES = [
  "Modules/_ssl.c (SSLContext constructor): minimum protocol version TLS 1.2, cipher string " +
  "PY_SSL_DEFAULT_CIPHER_STRING and security level 2 since Python 3.10 (bpo-43998, " +
  "python/cpython#25778); options OP_NO_SSLv2, OP_NO_SSLv3, OP_NO_COMPRESSION, " +
  "OP_CIPHER_SERVER_PREFERENCE, OP_SINGLE_DH_USE, OP_SINGLE_ECDH_USE.",
  "Lib/ssl.py (create_default_context): PROTOCOL_TLS_CLIENT with CERT_REQUIRED and " +
  "check_hostname for Purpose.SERVER_AUTH, PROTOCOL_TLS_SERVER (CERT_NONE) for " +
  "Purpose.CLIENT_AUTH; adds VERIFY_X509_PARTIAL_CHAIN | VERIFY_X509_STRICT (3.13); loads the " +
  "platform CA store only when no cafile/capath/cadata is given and the verify mode is not " +
  "CERT_NONE.",
  "Client and server share the cipher list today; they differ in verification only.",
  "@SECLEVEL=2 means at least 112-bit security: RSA and DH keys of 2048 bits, EC keys of " +
  "224 bits (OpenSSL SSL_CTX_set_security_level(3)).",
  "TLS 1.3 suites and groups are OpenSSL's defaults: Python does not set them.",
];

const PY34_NOTES = [
  "Lib/ssl.py of Python 3.4 (the book's Python): create_default_context() starts from " +
  "PROTOCOL_SSLv23 with OP_NO_SSLv2, OP_NO_SSLv3 and OP_NO_COMPRESSION, so TLS 1.0 to 1.2.",
  "The client keeps SSLContext's _DEFAULT_CIPHERS; the server sets _RESTRICTED_SERVER_CIPHERS " +
  "(the same list without DSS and RC4) plus OP_CIPHER_SERVER_PREFERENCE, OP_SINGLE_DH_USE " +
  "and OP_SINGLE_ECDH_USE.",
  "The cipher strings are expanded with OpenSSL 3.0 semantics, not the OpenSSL 1.0 of 2014: " +
  "RC4 and single DES are gone, 3DES is MEDIUM rather than HIGH.",
];

const MOZILLA_URL = "https://ssl-config.mozilla.org/guidelines/5.7.json";
const MOZILLA_NOTES = [
  "Mozilla Server Side TLS guidelines 5.7 (2023-05-15), the 'openssl' cipher list, " +
  "'ciphersuites', 'tls_versions', 'tls_curves', 'rsa_key_size', 'dh_param_size', " +
  "'ecdh_param_size', 'certificate_types' and 'server_preferred_order'.",
  "server_preferred_order false means the client's order may decide; it is not a requirement " +
  "that the server ignore its own order, so it is not checked.",
];

const MOZILLA_INTERMEDIATE_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
  "DHE-RSA-AES128-GCM-SHA256",
  "DHE-RSA-AES256-GCM-SHA384",
  "DHE-RSA-CHACHA20-POLY1305",
];

const MOZILLA_OLD_CIPHERS = [
  ...MOZILLA_INTERMEDIATE_CIPHERS,
  "ECDHE-ECDSA-AES128-SHA256",
  "ECDHE-RSA-AES128-SHA256",
  "ECDHE-ECDSA-AES128-SHA",
  "ECDHE-RSA-AES128-SHA",
  "ECDHE-ECDSA-AES256-SHA384",
  "ECDHE-RSA-AES256-SHA384",
  "ECDHE-ECDSA-AES256-SHA",
  "ECDHE-RSA-AES256-SHA",
  "DHE-RSA-AES128-SHA256",
  "DHE-RSA-AES256-SHA256",
  "AES128-GCM-SHA256",
  "AES256-GCM-SHA384",
  "AES128-SHA256",
  "AES256-SHA256",
  "AES128-SHA",
  "AES256-SHA",
  "DES-CBC3-SHA",
];

const MOZILLA_TLS13 = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
];

const MOZILLA_GROUPS = ["x25519", "secp256r1", "secp384r1"];

/** Every built-in policy, in the order `policy list` shows them. */
export const BUILTIN_POLICIES: readonly Policy[] = [
  {
    name: "python-default-client",
    description: "What Python 3.13's ssl.create_default_context() gives a client " +
      "(Purpose.SERVER_AUTH): TLS 1.2+, the @SECLEVEL=2 list, verified chain and name.",
    role: "client",
    source: {
      title: "Python 3.13 ssl.create_default_context(Purpose.SERVER_AUTH)",
      version: "3.13",
      url: CPYTHON_313 + "Lib/ssl.py",
      notes: PY313_NOTES,
    },
    versions: ["TLSv1.2", "TLSv1.3"],
    ciphers: { string: PYTHON_313_CIPHER_STRING },
    tls13Suites: OPENSSL_DEFAULT_TLS13_SUITES,
    minKeySizes: { rsa: 2048, dh: 2048, ec: 224 },
    verification: { mode: "required", trust: "platform" },
    checkHostname: true,
    clientCertificate: "none",
    compression: false,
  },
  {
    name: "python-default-server",
    description: "What Python 3.13's ssl.create_default_context() gives a server " +
      "(Purpose.CLIENT_AUTH): TLS 1.2+, the @SECLEVEL=2 list, server preference, no client " +
      "certificate check.",
    role: "server",
    source: {
      title: "Python 3.13 ssl.create_default_context(Purpose.CLIENT_AUTH)",
      version: "3.13",
      url: CPYTHON_313 + "Modules/_ssl.c",
      notes: PY313_NOTES,
    },
    versions: ["TLSv1.2", "TLSv1.3"],
    ciphers: { string: PYTHON_313_CIPHER_STRING },
    tls13Suites: OPENSSL_DEFAULT_TLS13_SUITES,
    minKeySizes: { rsa: 2048, dh: 2048, ec: 224 },
    verification: { mode: "none" },
    checkHostname: false,
    clientCertificate: "none",
    compression: false,
    serverCipherPreference: true,
  },
  {
    name: "python3.4-default-client",
    description: "The book's client context: Python 3.4's create_default_context() for " +
      "Purpose.SERVER_AUTH: TLS 1.0-1.2, the wide _DEFAULT_CIPHERS list (DSS allowed).",
    role: "client",
    source: {
      title: "Python 3.4 ssl.create_default_context(Purpose.SERVER_AUTH)",
      version: "3.4",
      url: "https://github.com/python/cpython/blob/3.4/Lib/ssl.py",
      notes: PY34_NOTES,
    },
    versions: ["TLSv1", "TLSv1.1", "TLSv1.2"],
    ciphers: { string: PYTHON_34_CLIENT_CIPHER_STRING },
    verification: { mode: "required", trust: "platform" },
    checkHostname: true,
    clientCertificate: "none",
    compression: false,
  },
  {
    name: "python3.4-default-server",
    description: "The book's server context: Python 3.4's create_default_context() for " +
      "Purpose.CLIENT_AUTH: TLS 1.0-1.2, _RESTRICTED_SERVER_CIPHERS (no DSS, no RC4), " +
      "server preference.",
    role: "server",
    source: {
      title: "Python 3.4 ssl.create_default_context(Purpose.CLIENT_AUTH)",
      version: "3.4",
      url: "https://github.com/python/cpython/blob/3.4/Lib/ssl.py",
      notes: PY34_NOTES,
    },
    versions: ["TLSv1", "TLSv1.1", "TLSv1.2"],
    ciphers: { string: PYTHON_34_SERVER_CIPHER_STRING },
    verification: { mode: "none" },
    checkHostname: false,
    clientCertificate: "none",
    compression: false,
    serverCipherPreference: true,
  },
  {
    name: "book-locked-server",
    description: "The book's hand-locked server context: TLS 1.2 only, 'ECDH+AES128', server " +
      "preference, no compression, no client certificate.",
    role: "server",
    source: {
      title: "Foundations of Python Network Programming (3rd ed.), chapter 6: " +
        "SSLContext(PROTOCOL_TLSv1_2) with set_ciphers('ECDH+AES128')",
      notes: [
        "OP_CIPHER_SERVER_PREFERENCE, OP_NO_COMPRESSION, OP_SINGLE_DH_USE, OP_SINGLE_ECDH_USE, " +
        "verify_mode CERT_NONE.",
        "PROTOCOL_TLSv1_2 speaks TLS 1.2 and nothing else, so no TLS 1.3 suites.",
      ],
    },
    versions: ["TLSv1.2"],
    ciphers: { string: "ECDH+AES128" },
    tls13Suites: [],
    verification: { mode: "none" },
    checkHostname: false,
    clientCertificate: "none",
    compression: false,
    serverCipherPreference: true,
  },
  {
    name: "mozilla-modern",
    description: "Mozilla Server Side TLS 5.7 'modern': TLS 1.3 only.",
    role: "server",
    source: {
      title: "Mozilla Server Side TLS guidelines, modern",
      version: "5.7",
      url: MOZILLA_URL,
      notes: MOZILLA_NOTES,
    },
    versions: ["TLSv1.3"],
    ciphers: { suites: [] },
    tls13Suites: MOZILLA_TLS13,
    groups: MOZILLA_GROUPS,
    minKeySizes: { ec: 256 },
    certificateKeyTypes: ["ecdsa"],
    compression: false,
  },
  {
    name: "mozilla-intermediate",
    description: "Mozilla Server Side TLS 5.7 'intermediate': TLS 1.2 with ECDHE/DHE AEAD " +
      "suites, and TLS 1.3.",
    role: "server",
    source: {
      title: "Mozilla Server Side TLS guidelines, intermediate",
      version: "5.7",
      url: MOZILLA_URL,
      notes: MOZILLA_NOTES,
    },
    versions: ["TLSv1.2", "TLSv1.3"],
    ciphers: { suites: MOZILLA_INTERMEDIATE_CIPHERS },
    tls13Suites: MOZILLA_TLS13,
    groups: MOZILLA_GROUPS,
    minKeySizes: { rsa: 2048, dh: 2048, ec: 256 },
    certificateKeyTypes: ["ecdsa", "rsa"],
    compression: false,
  },
  {
    name: "mozilla-old",
    description: "Mozilla Server Side TLS 5.7 'old': TLS 1.0 to 1.3 with CBC, RSA key " +
      "exchange and 3DES for the oldest clients, server preference.",
    role: "server",
    source: {
      title: "Mozilla Server Side TLS guidelines, old",
      version: "5.7",
      url: MOZILLA_URL,
      notes: MOZILLA_NOTES,
    },
    versions: ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"],
    ciphers: { suites: MOZILLA_OLD_CIPHERS },
    tls13Suites: MOZILLA_TLS13,
    groups: MOZILLA_GROUPS,
    minKeySizes: { rsa: 2048, dh: 1024, ec: 256 },
    certificateKeyTypes: ["rsa"],
    compression: false,
    serverCipherPreference: true,
  },
];

/**
 * Finds a built-in policy by name.
 *
 * @param name the policy name
 * @returns the policy, or undefined
 * @example
 * ```ts
 * import { builtinPolicy } from "./builtins.ts";
 * console.assert(builtinPolicy("book-locked-server")?.versions?.[0] === "TLSv1.2");
 * ```
 */
export function builtinPolicy(name: string): Policy | undefined {
  return BUILTIN_POLICIES.find((p) => p.name === name);
}
