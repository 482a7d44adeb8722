/**
 * A test PKI made fresh by each test run with openssl: the same layout as the
 * committed `certs/` (made by `certs/make.sh`), plus certificates for the
 * failure cases (wrong name, expired, not yet valid, self-signed, CA as leaf).
 *
 * @module
 */
import { ROOT, run } from "./process.ts";

/** Paths of a test PKI. */
export interface TestPki {
  dir: string;
  caCrt: string;
  caKey: string;
  /** localhost leaf + key bundle (the book's `localhost.pem`). */
  localhostPem: string;
  localhostCrt: string;
  localhostKey: string;
  clientPem: string;
  clientCrt: string;
  clientKey: string;
  /** A second, unrelated CA (for "unknown issuer"). */
  otherCaCrt: string;
  /** Leaf for `wrong.example` only, signed by the CA. */
  wrongNamePem: string;
  /** Leaf for localhost that expired in 2021. */
  expiredPem: string;
  /** Leaf for localhost valid only from 2099. */
  notYetValidPem: string;
  /** Self-signed leaf (CA:FALSE) for localhost. */
  selfSignedPem: string;
  /** The CA certificate and key used as a server certificate. */
  caAsLeafPem: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await run("openssl", args, { cwd });
  if (r.code !== 0) throw new Error(`openssl ${args.join(" ")} failed:\n${r.stderr}`);
}

/**
 * The book's sample PKI, as `certs/make.sh` and `tlsprobe certs init` write
 * it: a CA, a localhost server certificate and a client certificate, each
 * with its key, the leaves also as certificate+key bundles.
 */
export const SAMPLE_PKI_FILES: readonly string[] = [
  "ca.crt",
  "ca.key",
  "localhost.crt",
  "localhost.key",
  "localhost.pem",
  "client.crt",
  "client.key",
  "client.pem",
];

/** The files every test PKI holds (what {@link generateTestPki} writes and a copy copies). */
const PKI_FILES = [
  ...SAMPLE_PKI_FILES,
  "other-ca.crt",
  "other-ca.key",
  "wrong-name.crt",
  "wrong-name.key",
  "wrong-name.pem",
  "expired.crt",
  "expired.key",
  "expired.pem",
  "not-yet-valid.crt",
  "not-yet-valid.key",
  "not-yet-valid.pem",
  "self.crt",
  "self.key",
  "self.pem",
  "ca-as-leaf.crt",
  "ca-as-leaf.pem",
];

/**
 * The environment variable naming a PKI the test runner generated for this
 * run (`tools/run_tests.ts`): each {@link makeTestPki} copies it instead of
 * generating keys again (a generation costs seconds of RSA key generation).
 * `fresh` makes every call generate its own, as the suite once did (to
 * measure what the shared PKI saves).
 */
export const TEST_PKI_ENV = "TLSPROBE_TEST_PKI";

/** This process's own template, when the runner gave none. */
let template: Promise<string> | undefined;

function templateDir(): Promise<string> {
  const given = Deno.env.get(TEST_PKI_ENV);
  if (given) return Promise.resolve(given);
  template ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "tlsprobe-pki-template-" });
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch { /* already removed */ }
    });
    await generateTestPki(dir);
    return dir;
  })();
  return template;
}

/**
 * Makes a test PKI in a new temporary directory: a copy of the one generated
 * for this test run (file modes kept: keys stay 0600), so a test may change or delete its
 * files without touching another test's.
 *
 * @returns the paths
 */
export async function makeTestPki(): Promise<TestPki> {
  const fresh = Deno.env.get(TEST_PKI_ENV) === "fresh";
  const from = fresh ? undefined : await templateDir();
  const dir = await Deno.makeTempDir({ prefix: "tlsprobe-pki-" });
  // Removed when the test module's process ends, whichever test ran last.
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* already removed */ }
  });
  if (from) {
    await Promise.all(PKI_FILES.map((f) => Deno.copyFile(`${from}/${f}`, `${dir}/${f}`)));
  } else await generateTestPki(dir);
  return pkiPaths(dir);
}

/**
 * Generates a test PKI with openssl into `dir` (`certs/make.sh`, then the
 * certificates for the failure cases), fresh keys each time.
 *
 * @param dir an existing, empty directory
 */
export async function generateTestPki(dir: string): Promise<void> {
  const r = await run("bash", [ROOT + "certs/make.sh", dir]);
  if (r.code !== 0) throw new Error(`certs/make.sh failed:\n${r.stderr}`);

  const leafExt = (san: string) =>
    [
      "basicConstraints = critical, CA:FALSE",
      "keyUsage = critical, digitalSignature, keyEncipherment",
      "extendedKeyUsage = serverAuth",
      `subjectAltName = ${san}`,
    ].join("\n") + "\n";
  await Deno.writeTextFile(`${dir}/wrong.ext`, leafExt("DNS:wrong.example"));
  await Deno.writeTextFile(`${dir}/leaf.ext`, leafExt("DNS:localhost, IP:127.0.0.1"));

  const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const selfSigned = (name: string, subject: string, extra: string[] = []) =>
    openssl([
      "req",
      "-x509",
      ...EC_KEY,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
      "-days",
      "30",
      "-subj",
      subject,
      ...extra,
    ], dir);
  const bundle = async (name: string, key = name) =>
    await Deno.writeTextFile(
      `${dir}/${name}.pem`,
      (await Deno.readTextFile(`${dir}/${name}.crt`)) +
        (await Deno.readTextFile(`${dir}/${key}.key`)),
    );

  // Unknown issuer: a second CA nobody passes to the client.
  await selfSigned("other-ca", "/CN=Some Other CA");

  // sign(name, ext, dates): a leaf signed by the CA; `dates` uses `openssl ca`
  // because `openssl x509` (3.0) cannot set an arbitrary notBefore.
  const sign = async (name: string, ext: string, dates?: [string, string]) => {
    await openssl([
      "req",
      "-new",
      ...EC_KEY,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      "/CN=localhost",
    ], dir);
    if (!dates) {
      await openssl([
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "30",
        "-extfile",
        ext,
        "-out",
        `${name}.crt`,
      ], dir);
    } else {
      await Deno.mkdir(`${dir}/ca-db`, { recursive: true });
      await Deno.writeTextFile(`${dir}/ca-db/index.txt`, "");
      await Deno.writeTextFile(
        `${dir}/ca.cnf`,
        [
          "[ca]",
          "default_ca = test",
          "[test]",
          `database = ${dir}/ca-db/index.txt`,
          `new_certs_dir = ${dir}/ca-db`,
          "rand_serial = yes",
          "default_md = sha256",
          "policy = anything",
          "unique_subject = no",
          "copy_extensions = none",
          "[anything]",
          "commonName = supplied",
        ].join("\n") + "\n",
      );
      await openssl([
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-cert",
        "ca.crt",
        "-keyfile",
        "ca.key",
        "-in",
        `${name}.csr`,
        "-out",
        `${name}.crt`,
        "-extfile",
        ext,
        "-startdate",
        dates[0],
        "-enddate",
        dates[1],
        "-notext",
      ], dir);
    }
    await bundle(name);
  };
  await sign("wrong-name", `${dir}/wrong.ext`);
  await sign("expired", `${dir}/leaf.ext`, ["20200101000000Z", "20210101000000Z"]);
  await sign("not-yet-valid", `${dir}/leaf.ext`, ["20990101000000Z", "20991231000000Z"]);

  // A self-signed leaf with CA:FALSE, and the CA itself as a server certificate.
  await selfSigned("self", "/CN=localhost", [
    "-addext",
    "basicConstraints=critical,CA:FALSE",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
  ]);
  await bundle("self");
  await Deno.copyFile(`${dir}/ca.crt`, `${dir}/ca-as-leaf.crt`);
  await bundle("ca-as-leaf", "ca");
}

function pkiPaths(dir: string): TestPki {
  return {
    dir,
    caCrt: `${dir}/ca.crt`,
    caKey: `${dir}/ca.key`,
    localhostPem: `${dir}/localhost.pem`,
    localhostCrt: `${dir}/localhost.crt`,
    localhostKey: `${dir}/localhost.key`,
    clientPem: `${dir}/client.pem`,
    clientCrt: `${dir}/client.crt`,
    clientKey: `${dir}/client.key`,
    otherCaCrt: `${dir}/other-ca.crt`,
    wrongNamePem: `${dir}/wrong-name.pem`,
    expiredPem: `${dir}/expired.pem`,
    notYetValidPem: `${dir}/not-yet-valid.pem`,
    selfSignedPem: `${dir}/self.pem`,
    caAsLeafPem: `${dir}/ca-as-leaf.pem`,
  };
}

/** Removes a test PKI's directory. */
export async function removeTestPki(pki: TestPki): Promise<void> {
  await Deno.remove(pki.dir, { recursive: true }).catch(() => {});
}

/**
 * Makes a self-signed ECDSA P-256 certificate for `localhost` (`ec.crt`,
 * `ec.key` in `dir`), for servers that must sign with ECDSA.
 *
 * @param dir where to write
 * @param days validity
 * @returns the two paths
 */
export async function makeEcdsaLeaf(
  dir: string,
  days: number,
): Promise<{ crt: string; key: string }> {
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    "ec.key",
    "-out",
    "ec.crt",
    "-days",
    String(days),
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost",
  ], dir);
  return { crt: `${dir}/ec.crt`, key: `${dir}/ec.key` };
}

/**
 * Makes an OCSP response saying `cert` is good, signed by its CA
 * (`resp.der` in `dir`), for `openssl s_server -status_file`.
 *
 * @param dir where to write
 * @param o the CA certificate and key, the certificate, and the validity in days
 * @returns the response's path
 * @throws Error when openssl cannot make it
 */
export async function makeOcspResponse(
  dir: string,
  o: { caCrt: string; caKey: string; cert: string; days: number },
): Promise<string> {
  const serial = (await run("openssl", ["x509", "-in", o.cert, "-noout", "-serial"]))
    .stdout.trim().split("=")[1];
  await Deno.writeTextFile(
    `${dir}/index.txt`,
    `V\t361231000000Z\t\t${serial}\tunknown\t/CN=localhost\n`,
  );
  await openssl(
    ["ocsp", "-issuer", o.caCrt, "-cert", o.cert, "-no_nonce", "-reqout", "req.der"],
    dir,
  );
  await openssl([
    "ocsp",
    "-index",
    "index.txt",
    "-rsigner",
    o.caCrt,
    "-rkey",
    o.caKey,
    "-CA",
    o.caCrt,
    "-reqin",
    "req.der",
    "-respout",
    "resp.der",
    "-ndays",
    String(o.days),
  ], dir);
  return `${dir}/resp.der`;
}
