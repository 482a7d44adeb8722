/**
 * Text renderers for policies: a policy in the book's dotted layout, an
 * evaluation's verdict and findings, and the JSON form of a resolved policy's
 * lists. Pure: colour comes in as a {@link TextStyle}.
 *
 * @module
 */
import { dotted } from "./pyrepr.ts";
import {
  allowedVersions,
  type Evaluation,
  type Policy,
  type ResolvedPolicy,
  type SuiteRef,
  type VersionName,
} from "../policy/mod.ts";
import { PLAIN, type TextStyle } from "./style.ts";

export { PLAIN, type TextStyle };

const suiteLabel = (s: SuiteRef) => s.openssl ?? s.iana ?? `0x${s.code.toString(16)}`;

/** A resolved policy's lists as JSON (null: unrestricted). */
export interface ResolvedPolicyJson {
  /** Versions allowed, newest first. */
  versions: VersionName[];
  /** TLS 1.0–1.2 suites allowed, in order. */
  suites: SuiteRef[] | null;
  /** TLS 1.3 suites allowed, in order. */
  tls13Suites: SuiteRef[] | null;
  /** Groups allowed (IANA names, lower case). */
  groups: string[] | null;
}

/**
 * The JSON form of a resolved policy's lists.
 *
 * @param rp the resolved policy
 * @returns its versions, suites and groups
 */
export function resolvedJson(rp: ResolvedPolicy): ResolvedPolicyJson {
  const suite = (s: SuiteRef) => ({ code: s.code, iana: s.iana, openssl: s.openssl });
  return {
    versions: allowedVersions(rp),
    suites: rp.suites?.map(suite) ?? null,
    tls13Suites: rp.tls13Suites?.map(suite) ?? null,
    groups: rp.groups ? [...rp.groups] : null,
  };
}

/**
 * Renders a policy in the book's dotted layout.
 *
 * @param rp the resolved policy
 * @returns lines
 */
export function renderPolicy(rp: ResolvedPolicy): string[] {
  const p: Policy = rp.policy;
  const lines: string[] = [];
  const say = (title: string, ...words: unknown[]) => lines.push(dotted(title, ...words));
  const any = "any (not restricted)";
  say("Policy", p.name);
  say("Role", p.role);
  if (p.description) say("Description", p.description);
  if (p.source) {
    say("Modelled on", p.source.title + (p.source.version ? ` (version ${p.source.version})` : ""));
    if (p.source.url) say("Source", p.source.url);
  }
  say("Protocol versions allowed", ...(p.versions ?? [any]));
  if (p.ciphers?.string !== undefined) say("OpenSSL cipher string", p.ciphers.string);
  if (rp.suites === null) say("Cipher suites (TLS 1.0-1.2)", any);
  else {
    say("Cipher suites (TLS 1.0-1.2)", rp.suites.length === 0 ? "none" : rp.suites.length);
    for (const s of rp.suites) lines.push(`    ${suiteLabel(s)}`);
  }
  if (rp.tls13Suites === null) say("Cipher suites (TLS 1.3)", any);
  else {say(
      "Cipher suites (TLS 1.3)",
      ...(rp.tls13Suites.length ? rp.tls13Suites.map(suiteLabel) : ["none"]),
    );}
  say("Key exchange groups", ...(rp.groups ? [...rp.groups] : [any + "; OpenSSL's defaults"]));
  const k = p.minKeySizes;
  if (k) {
    say(
      "Minimum key sizes",
      [k.rsa && `RSA ${k.rsa}`, k.dh && `DH ${k.dh}`, k.ec && `EC ${k.ec}`].filter(Boolean).join(
        ", ",
      ),
    );
  }
  if (p.certificateKeyTypes) say("Certificate key types", ...p.certificateKeyTypes);
  if (p.verification) {
    say(
      "Certificate verification",
      p.verification.mode + (p.verification.trust ? `, trust ${p.verification.trust}` : "") +
        (p.verification.caFile ? ` (${p.verification.caFile})` : ""),
    );
  }
  if (p.checkHostname !== undefined) say("Hostname check", p.checkHostname ? "yes" : "no");
  if (p.clientCertificate) say("Client certificate", p.clientCertificate);
  if (p.alpn) say("ALPN", ...p.alpn.protocols, p.alpn.required ? "(required)" : "");
  if (p.compression !== undefined) say("Compression", p.compression ? "allowed" : "forbidden");
  if (p.serverCipherPreference !== undefined) {
    say("Server cipher preference", p.serverCipherPreference ? "yes" : "no");
  }
  for (const n of p.source?.notes ?? []) lines.push(`  note: ${n}`);
  return lines;
}

/**
 * Renders an evaluation: the verdict, then one line per finding.
 *
 * @param ev the evaluation
 * @param s colours (none by default)
 * @returns lines
 */
export function renderEvaluation(ev: Evaluation, s: TextStyle = PLAIN): string[] {
  const lines = [
    dotted(
      "Policy verdict",
      ev.verdict === "pass" ? s.green("pass") : s.red("fail"),
      `(${ev.policy})`,
    ),
  ];
  for (const f of ev.findings) {
    const tag = f.severity === "error"
      ? s.red("error")
      : f.severity === "warning"
      ? s.yellow("warning")
      : s.dim("info");
    lines.push(`  ${tag} ${f.rule}: ${f.message}`);
  }
  return lines;
}
