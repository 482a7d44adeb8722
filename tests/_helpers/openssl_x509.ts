/**
 * Test helper: what `openssl x509 -text` shows of a certificate, read into
 * fields, for the differential tests of the certificate decoder.
 *
 * @module
 */

/** OpenSSL's view of one certificate, or why it could not show it. */
export interface OpensslCertView {
  /** Exit status of `openssl x509`. */
  code: number;
  /** Its whole stdout. */
  text: string;
  /** Its first stderr line (why it failed). */
  error: string;
}

/**
 * Runs `openssl x509 -noout -text` (plus `-nameopt RFC2253,-esc_msb -subject
 * -issuer` and the listed `-ext` extensions first) on DER or PEM bytes.
 *
 * @param cert the certificate
 * @param options `der` when the bytes are DER; `ext` the extensions printed before the text
 */
export async function opensslX509Text(
  cert: Uint8Array,
  options: { der?: boolean; ext?: string; extraArgs?: string[] } = {},
): Promise<OpensslCertView> {
  const child = new Deno.Command("openssl", {
    args: [
      "x509",
      ...(options.der ? ["-inform", "DER"] : []),
      "-noout",
      "-nameopt",
      "RFC2253,-esc_msb",
      "-subject",
      "-issuer",
      ...(options.extraArgs ?? []),
      "-ext",
      options.ext ?? "subjectAltName",
      "-text",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(cert);
  await w.close();
  const { code, stdout, stderr } = await child.output();
  const d = new TextDecoder();
  return { code, text: d.decode(stdout), error: d.decode(stderr).split("\n")[0] };
}

/** OpenSSL prints IPv6 as eight upper-case groups without compression. */
export function opensslIp(ip: string): string {
  if (!ip.includes(":")) return ip;
  const [l, r] = ip.split("::");
  const left = l ? l.split(":") : [];
  const right = r !== undefined && r ? r.split(":") : [];
  const groups = r === undefined
    ? left
    : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return groups.map((g) => g.replace(/^0+(?=.)/, "").toUpperCase()).join(":");
}

/**
 * Splits OpenSSL's one-line GeneralNames (`DNS:a, IP Address:1.2.3.4, …`) into
 * entries; a value holding ", " stays whole.
 */
export function splitOpensslNames(line: string): string[] {
  return line.split(
    /, (?=(?:DNS|IP Address|email|URI|DirName|othername|Registered ID|X400Name|EdiPartyName):)/,
  );
}
