/**
 * The odd-certificate corpus (tests/_helpers/odd_certs.ts: 200+ unusual and
 * broken certificates) against `openssl x509 -noout -text`, field by field:
 * subject, issuer, subjectAltName, key algorithm and size, signature
 * algorithm. Every certificate openssl can display must be shown by the
 * tolerant decoder; each case's violations must be named as findings; the
 * strict decoder must refuse exactly what has an `error` finding. Each expected
 * disagreement is listed in the corpus with its reason, and a listed one that
 * no longer happens fails too (the list stays exact).
 */
import assert from "node:assert/strict";
import {
  type CertificateInfo,
  decodeCertificateSync,
  decodeForDisplay,
} from "../../../core/x509/decode.ts";
import { TlsprobeError } from "../../../core/errors.ts";
import { type DiffField, type OddCert, oddCertificates } from "../../_helpers/odd_certs.ts";
import { pool } from "../../_helpers/process.ts";
import { opensslIp, opensslX509Text, splitOpensslNames } from "../../_helpers/openssl_x509.ts";

const corpus = oddCertificates();

/** What openssl shows of the compared fields (undefined: not shown). */
function opensslFields(text: string): Partial<Record<DiffField, string>> {
  const [head, body = ""] = text.split(/^Certificate:$/m);
  const line = (re: RegExp, s: string) => re.exec(s)?.[1]?.trim();
  const sanAt = head.split("\n").findIndex((l) => l.startsWith("X509v3 Subject Alternative Name"));
  return {
    subject: line(/^subject=(.*)$/m, head),
    issuer: line(/^issuer=(.*)$/m, head),
    signature: line(/Signature Algorithm: (.*)/, body),
    keyAlgorithm: line(/Public Key Algorithm: (.*)/, body),
    keyBits: line(/Public Key Algorithm: .*\n\s*(?:\S+ )?Public-Key: \((\d+) bit\)/, body),
    san: sanAt < 0 ? undefined : head.split("\n")[sanAt + 1].trim(),
  };
}

/** Ours, in openssl's notation for the comparison. */
function ourFields(c: CertificateInfo): Partial<Record<DiffField, string>> {
  return {
    subject: c.subject.rfc2253,
    issuer: c.issuer.rfc2253,
    signature: c.signatureAlgorithm,
    keyAlgorithm: c.key.algorithm,
    keyBits: c.key.bits !== undefined ? String(c.key.bits) : undefined,
    san: c.hasSan ? sanText(c) : undefined,
  };
}

function sanText(c: CertificateInfo): string {
  const basic = [
    ...c.sans.dns.map((d) => `DNS:${d}`),
    ...c.sans.ip.map((i) => `IP Address:${opensslIp(i)}`),
    ...c.sans.email.map((e) => `email:${e}`),
    ...c.sans.uri.map((u) => `URI:${u}`),
  ].sort();
  return `${basic.join(", ")} (+${c.sans.other.length} other)`;
}

/** OpenSSL's SAN line in the same notation: basic entries sorted, other kinds counted. */
function opensslSan(line: string): string {
  const entries = line === "<EMPTY>" ? [] : splitOpensslNames(line);
  const basic = entries.filter((x) => /^(DNS|IP Address|email|URI):/.test(x)).sort();
  return `${basic.join(", ")} (+${entries.length - basic.length} other)`;
}

/** The fields that differ between openssl and us (openssl printing nothing is no difference). */
function differences(c: CertificateInfo, text: string): Partial<Record<DiffField, string>> {
  const theirs = opensslFields(text);
  const ours = ourFields(c);
  const out: Partial<Record<DiffField, string>> = {};
  for (const f of Object.keys(theirs) as DiffField[]) {
    let t = theirs[f];
    let o = ours[f];
    if (t === undefined) continue;
    if (f === "san") {
      t = opensslSan(t);
    }
    if (f === "signature" && o !== undefined && t.startsWith(`${o} `)) o = t; // "rsassaPss  (INVALID PSS PARAMETERS)"
    if (o !== t) out[f] = `tlsprobe ${JSON.stringify(o)}, openssl ${JSON.stringify(t)}`;
  }
  return out;
}

Deno.test("the odd-certificate corpus holds at least 200 distinct certificates", () => {
  assert.ok(corpus.length >= 200, `only ${corpus.length}`);
  assert.equal(new Set(corpus.map((c) => c.name)).size, corpus.length, "names are unique");
  const ders = new Set(corpus.map((c) => Array.from(c.der).join(",")));
  assert.equal(ders.size, corpus.length, "every certificate differs");
});

Deno.test("decodeForDisplay() names each violation of the corpus, and the strict decoder refuses exactly the error ones", async () => {
  let findings = 0, refused = 0;
  for (const c of corpus) {
    const shown = await decodeForDisplay(c.der);
    const rules = shown.findings.map((f) => f.rule);
    for (const r of c.findings ?? []) {
      assert.ok(rules.includes(r), `${c.name}: ${r} not found (found ${rules.join(", ")})`);
    }
    for (const f of shown.findings) {
      assert.match(f.clause, /^(RFC|X\.6)/, `${c.name}: ${f.rule} names no clause`);
    }
    findings += shown.findings.length;
    const high = shown.findings.filter((f) => f.severity === "error");
    let strictError: unknown;
    try {
      decodeCertificateSync(c.der);
    } catch (e) {
      strictError = e;
    }
    if (high.length || rules.includes("x509.strict-decoder-refuses")) {
      refused++;
      assert.ok(
        strictError instanceof TlsprobeError && strictError.code === "CERT_INVALID",
        `${c.name}: the strict decoder accepts what has an error finding (${high[0]?.rule})`,
      );
    } else {
      assert.equal(strictError, undefined, `${c.name}: the strict decoder refuses ${strictError}`);
    }
  }
  console.log(
    `odd corpus: ${corpus.length} certificates, ${findings} findings, ${refused} refused by the strict decoder and shown by the tolerant one`,
  );
});

Deno.test("the odd-certificate corpus agrees with openssl x509 -text, except the listed differences", async () => {
  const unexpected: string[] = [];
  let shownByBoth = 0, fields = 0, listed = 0, refusedByOpenssl = 0;
  const check = async (c: OddCert) => {
    const view = await opensslX509Text(c.der, { der: true });
    if (view.code !== 0) {
      refusedByOpenssl++;
      if (!c.opensslRefuses) unexpected.push(`${c.name}: openssl cannot show it (${view.error})`);
      // We show it anyway (or refuse it as openssl does): never an exception other than ours.
      await decodeForDisplay(c.der).catch((e) => assert.ok(e instanceof TlsprobeError, String(e)));
      return;
    }
    if (c.opensslRefuses) {
      unexpected.push(`${c.name}: listed as refused by openssl, but it shows it`);
    }
    // Acceptance: what openssl can display, tlsprobe shows (never refused).
    const ours = await decodeForDisplay(c.der);
    shownByBoth++;
    const diff = differences(ours, view.text);
    fields += Object.values(opensslFields(view.text)).filter((v) => v !== undefined).length;
    for (const [f, why] of Object.entries(diff) as [DiffField, string][]) {
      if (c.differs?.[f]) listed++;
      else unexpected.push(`${c.name}: ${f} differs: ${why}`);
    }
    for (const f of Object.keys(c.differs ?? {}) as DiffField[]) {
      if (!(f in diff)) unexpected.push(`${c.name}: ${f} is listed as differing but agrees`);
    }
  };
  // Four openssl processes at a time: the machine is shared.
  await pool(corpus, 4, check);
  assert.deepEqual(unexpected, []);
  console.log(
    `odd corpus vs openssl: ${shownByBoth} shown by both (${fields} fields compared, ${listed} listed differences), ${refusedByOpenssl} openssl cannot show`,
  );
});
