/**
 * Maps the runtime's network and TLS errors (Deno's error classes and
 * rustls's messages) to tlsprobe's stable codes, with a one-line message that
 * says what to do next. The raw message is kept in `detail.raw`.
 *
 * The messages matched here were recorded from Deno 2.9.6 (rustls/webpki);
 * see tests/core/net/classify_test.ts for each, and the integration tests
 * that produce them against real peers.
 *
 * @module
 */
import { formatAddress } from "../address.ts";
import { TlsprobeError } from "../errors.ts";

/** What was being attempted when the error happened. */
export interface FailureContext {
  /** The host connected to. */
  host: string;
  /** The port connected to. */
  port: number;
  /** The name the certificate was checked against. */
  serverName?: string;
  /** The CA file in use, if any. */
  caFile?: string;
  /** Whether a client certificate was presented. */
  clientCert?: boolean;
  /** Which side we are: the client (default) or a server reporting on its client. */
  role?: "client" | "server";
  /** The phase: tcp connect, TLS handshake, or data exchange. */
  phase: "connect" | "handshake" | "data";
  /** The timeout in force, in milliseconds. */
  timeoutMs?: number;
  /** Whether our own timer closed the connection. */
  timedOut?: boolean;
}

/** Splits rustls's `only valid for DnsName("a"), IpAddress(…)` list into names. */
function presentedNames(raw: string): string[] {
  const names: string[] = [];
  for (const m of raw.matchAll(/(?:DnsName|IpAddress|DnsNameRef)\(\s*"?([^")]*)"?\s*\)/g)) {
    names.push(m[1]);
  }
  if (names.length === 0) {
    const m = raw.match(/only valid for (.*)$/);
    if (m) names.push(m[1]);
  }
  return names;
}

/** The alert name rustls puts in `received fatal alert: X`, or undefined. */
function receivedAlert(raw: string): string | undefined {
  return raw.match(/received fatal alert: (\w+)/)?.[1];
}

/**
 * Classifies an error thrown by `Deno.connect`, `Deno.connectTls`,
 * `Deno.startTls`, `handshake()`, `read()` or `write()`.
 *
 * @param e the thrown value
 * @param ctx what was being attempted
 * @returns a TlsprobeError with a stable code
 */
export function classifyNetError(e: unknown, ctx: FailureContext): TlsprobeError {
  if (e instanceof TlsprobeError) return e;
  const err = e as { name?: string; message?: string; code?: string };
  const name = err?.name ?? "";
  const raw = String(err?.message ?? e);
  const target = formatAddress(ctx.host, ctx.port);
  const detail = { raw, phase: ctx.phase, errorName: name };
  const wanted = ctx.serverName ?? ctx.host;

  if (ctx.timedOut || name === "TimedOut" || name === "TimeoutError") {
    const secs = ctx.timeoutMs !== undefined
      ? ` within ${Math.round(ctx.timeoutMs / 100) / 10} s`
      : "";
    const what = ctx.phase === "connect"
      ? "did not accept the connection"
      : ctx.phase === "handshake"
      ? "did not complete the TLS handshake"
      : "sent nothing";
    return new TlsprobeError(
      "TIMEOUT",
      `${target} ${what}${secs}: check the port speaks TLS`,
      { ...detail, advice: "timeout" },
    );
  }
  if (name === "ConnectionRefused") {
    return new TlsprobeError(
      "CONNECTION_REFUSED",
      `Connection refused by ${target}: is a server listening on that port?`,
      detail,
    );
  }
  if (name === "NotCapable" || name === "PermissionDenied") {
    return new TlsprobeError("PERMISSION", `Not allowed to connect to ${target}: ${raw}`, detail);
  }
  if (name === "URIError" || /invalid host|invalid char found in FQDN/i.test(raw)) {
    return new TlsprobeError(
      "BAD_INPUT",
      `Cannot use ${
        JSON.stringify(ctx.host)
      } as a host name: it is not a valid DNS name or IP address`,
      detail,
    );
  }
  if (
    /failed to lookup address|Name or service not known|No address associated|nodename nor servname|Temporary failure in name resolution/i
      .test(raw)
  ) {
    return new TlsprobeError(
      "DNS",
      `Cannot resolve ${ctx.host}: check the spelling or your DNS (a literal IP address also works)`,
      detail,
    );
  }

  if (/invalid peer certificate/i.test(raw)) {
    if (/UnknownIssuer/.test(raw)) {
      const trusted = ctx.caFile ? `the CA file ${ctx.caFile}` : "the platform's trusted roots";
      return new TlsprobeError(
        "CERT_UNKNOWN_ISSUER",
        `The server's certificate is not signed by a CA in ${trusted}`,
        { ...detail, advice: "cafile" },
      );
    }
    if (/CaUsedAsEndEntity/.test(raw)) {
      return new TlsprobeError(
        "CERT_CA_AS_LEAF",
        "The server presents a CA certificate (basicConstraints CA:TRUE) as its own: issue it a leaf certificate signed by that CA",
        detail,
      );
    }
    if (/not valid for name|NotValidForName|CertNotValidForName/.test(raw)) {
      const names = presentedNames(raw);
      return new TlsprobeError(
        "CERT_NAME_MISMATCH",
        `The certificate is not valid for ${wanted}; it names ${
          names.length ? names.join(", ") : "other hosts"
        }: connect by one of those names`,
        { ...detail, wanted, presented: names, advice: "servername" },
      );
    }
    if (/expired/i.test(raw)) {
      return new TlsprobeError(
        "CERT_EXPIRED",
        "The server's certificate has expired: renew it (or check this machine's clock)",
        detail,
      );
    }
    if (/not valid yet|NotValidYet/i.test(raw)) {
      return new TlsprobeError(
        "CERT_NOT_YET_VALID",
        "The server's certificate is not valid yet: check its notBefore date and this machine's clock",
        detail,
      );
    }
    if (/BadSignature|InvalidSignature/i.test(raw)) {
      return new TlsprobeError(
        "CERT_BAD_SIGNATURE",
        "A signature in the server's certificate chain does not verify",
        detail,
      );
    }
    return new TlsprobeError(
      "CERT_INVALID",
      `The server's certificate was refused: ${raw.replace(/^invalid peer certificate: /, "")}`,
      detail,
    );
  }

  const alert = receivedAlert(raw);
  if (alert && ctx.role === "server") {
    const refusedOurs = [
      "UnknownCA",
      "BadCertificate",
      "CertificateUnknown",
      "UnsupportedCertificate",
    ]
      .includes(alert);
    return new TlsprobeError(
      "ALERT",
      refusedOurs
        ? `The client at ${target} refused this server's certificate (alert ${alert}): it does not trust the CA that signed it`
        : `The client ended the handshake with alert ${alert}`,
      { ...detail, alert },
    );
  }
  if (alert) {
    const alertDetail = { ...detail, alert };
    switch (alert) {
      case "CertificateRequired":
        return new TlsprobeError(
          "CLIENT_CERT_REQUIRED",
          "The server requires a client certificate",
          { ...alertDetail, advice: "client-cert" },
        );
      case "ProtocolVersion":
        return new TlsprobeError(
          "PROTOCOL_VERSION",
          `${target} refused the TLS versions offered (this client speaks TLS 1.2 and 1.3): use \`tlsprobe probe\` to see what it accepts`,
          alertDetail,
        );
      case "HandshakeFailure":
      case "InsufficientSecurity":
        return new TlsprobeError(
          ctx.clientCert === false && ctx.phase === "data"
            ? "CLIENT_CERT_REQUIRED"
            : "HANDSHAKE_FAILURE",
          `${target} refused the handshake (alert ${alert}): no cipher suite, group or signature scheme in common${
            ctx.clientCert ? "" : ", or it wants a client certificate"
          }; \`tlsprobe probe\` shows what it accepts`,
          alertDetail,
        );
      case "UnknownCA":
      case "BadCertificate":
      case "UnsupportedCertificate":
      case "CertificateUnknown":
      case "CertificateRevoked":
      case "CertificateExpired":
      case "AccessDenied":
        if (ctx.clientCert) {
          return new TlsprobeError(
            "CLIENT_CERT_REJECTED",
            `The server refused our client certificate (alert ${alert}): is it signed by a CA the server trusts?`,
            alertDetail,
          );
        }
        break;
    }
    return new TlsprobeError(
      "ALERT",
      `${target} ended the handshake with alert ${alert}`,
      alertDetail,
    );
  }

  if (
    !/InvalidContentType/.test(raw) &&
    /unexpected (handshake )?message|cannot decrypt|decrypt ?error|peer misbehaved|peer sent no certificates|InvalidMessage|corrupt message of type (?!InvalidContentType)/i
      .test(raw)
  ) {
    // The peer spoke TLS but broke the protocol: a TLS error (exit 4), blamed on it.
    const who = ctx.role === "server" ? `The client at ${target}` : target;
    return new TlsprobeError(
      "PEER_MALFORMED",
      `${who} broke the TLS protocol (${raw})`,
      detail,
    );
  }
  if (
    /corrupt message|InvalidContentType|InvalidMessage|peer is incompatible|peer misbehaved/i.test(
      raw,
    )
  ) {
    if (ctx.role === "server") {
      return new TlsprobeError(
        "NOT_TLS",
        `The client at ${target} did not speak TLS (it sent something else, e.g. plaintext HTTP)`,
        detail,
      );
    }
    return new TlsprobeError(
      "NOT_TLS",
      `${target} did not answer with TLS: is this a plaintext port, or does it need STARTTLS?`,
      detail,
    );
  }
  if (
    name === "UnexpectedEof" ||
    /unexpected end of file|peer closed connection without sending TLS close_notify/i.test(raw)
  ) {
    const hint = ctx.role === "server"
      ? ""
      : ctx.phase === "connect" || ctx.phase === "handshake"
      ? ctx.clientCert
        ? ": the server may have refused our client certificate"
        : ": it may require a client certificate (pass -c/--cert), or not speak TLS on this port"
      : "";
    return new TlsprobeError(
      "CONNECTION_CLOSED",
      `${target} closed the connection during the ${
        ctx.phase === "data" ? "exchange" : "handshake"
      }${hint}`,
      detail,
    );
  }
  if (
    name === "ConnectionReset" || name === "BrokenPipe" || /reset by peer|broken pipe/i.test(raw)
  ) {
    return new TlsprobeError(
      "CONNECTION_RESET",
      `${target} reset the connection${
        ctx.clientCert ? ": the server may have refused our client certificate" : ""
      }`,
      detail,
    );
  }
  if (name === "Interrupted" || name === "BadResource") {
    return new TlsprobeError("CONNECTION_CLOSED", `The connection to ${target} was closed`, detail);
  }
  if (
    [
      "NotConnected",
      "AddrNotAvailable",
      "ConnectionAborted",
      "AddrInUse",
      "NetworkUnreachable",
      "HostUnreachable",
    ]
      .includes(name) || /unreachable/i.test(raw)
  ) {
    return new TlsprobeError("NETWORK", `Cannot reach ${target}: ${raw}`, detail);
  }
  return new TlsprobeError("NETWORK", `${target}: ${raw}`, detail);
}

/** rustls's alert names (`UnknownCA`) in the RFC's spelling (`unknown_ca`). */
function rfcAlertName(name: string): string {
  return name.replace(/CA$/, "Ca").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

/** The runtime's verification codes for a client certificate, in words. */
const CLIENT_CERT_ERRORS: Record<string, string> = {
  UNABLE_TO_GET_ISSUER_CERT: "it is not signed by a CA in the client CA file",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "it is not signed by a CA in the client CA file",
  DEPTH_ZERO_SELF_SIGNED_CERT: "it is self-signed, not signed by a CA in the client CA file",
  SELF_SIGNED_CERT_IN_CHAIN: "its chain ends in a CA that is not in the client CA file",
  CERT_HAS_EXPIRED: "it has expired",
  CERT_NOT_YET_VALID: "it is not valid yet",
  CERT_SIGNATURE_FAILURE: "its signature does not verify",
  INVALID_PURPOSE: "its extended key usage does not allow client authentication",
};

/**
 * Classifies why the server's TLS engine failed a client's handshake, from
 * the server's side: what the client sent, refused or lacked.
 *
 * @param f the engine's failure (runtime code, message, client certificate)
 * @param who the client's address
 * @param serverAlert the alert the engine sent, when the relay saw it
 * @returns a TlsprobeError with a stable code
 */
export function classifyClientFailure(
  f: {
    code?: string;
    message: string;
    authorizationError?: string;
    clientCertificate?: { subject: string; issuer: string } | null;
  },
  who: string,
  serverAlert?: { name: string },
): TlsprobeError {
  const raw = `${f.code ?? ""} ${f.message}`.trim();
  const detail = { raw, alert: serverAlert?.name };
  const cert = f.clientCertificate;
  if (f.code === "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE" || /sent no certificates/.test(raw)) {
    return new TlsprobeError(
      "CLIENT_CERT_REQUIRED",
      `Refused the client at ${who}: it sent no certificate and this server requires one (--verify-client require)`,
      { ...detail, alert: serverAlert?.name ?? "certificate_required" },
    );
  }
  if (f.authorizationError || f.code === "CLIENT_CERT_UNTRUSTED") {
    const why = CLIENT_CERT_ERRORS[f.authorizationError ?? ""] ??
      `it did not verify (${f.authorizationError ?? "unknown reason"})`;
    return new TlsprobeError(
      "CLIENT_CERT_REJECTED",
      `Refused the client at ${who}: its certificate${
        cert ? ` (subject ${cert.subject}, issuer ${cert.issuer})` : ""
      } was refused: ${why}`,
      { ...detail, verifyError: f.authorizationError, subject: cert?.subject },
    );
  }
  const alert = receivedAlert(raw);
  if (alert) {
    const name = rfcAlertName(alert);
    const ours = ["UnknownCA", "BadCertificate", "CertificateUnknown", "UnsupportedCertificate"]
      .includes(alert);
    return new TlsprobeError(
      "ALERT",
      ours
        ? `The client at ${who} refused this server's certificate (alert ${name}): it does not trust the CA that signed it, or the name does not match what it asked for`
        : `The client at ${who} ended the handshake with alert ${name}`,
      { ...detail, alert: name },
    );
  }
  if (/incompatible|NoCipherSuitesInCommon|SignatureAlgorithmsExtensionRequired/i.test(raw)) {
    return new TlsprobeError(
      "HANDSHAKE_FAILURE",
      `Could not agree a session with the client at ${who}: ${
        f.message.replace(/^peer is incompatible: /, "")
      }`,
      detail,
    );
  }
  if (/corrupt|InvalidMessage|misbehaved|decrypt|bad record mac/i.test(raw)) {
    return new TlsprobeError(
      "PEER_MALFORMED",
      `The client at ${who} sent malformed TLS: ${f.message}`,
      detail,
    );
  }
  if (/ECONNRESET|socket hang up|EPIPE/.test(raw)) {
    return new TlsprobeError(
      "CONNECTION_RESET",
      `The client at ${who} went away during the handshake`,
      detail,
    );
  }
  return new TlsprobeError(
    "HANDSHAKE_FAILURE",
    `The handshake with the client at ${who} failed: ${f.message}`,
    detail,
  );
}

/**
 * Classifies a `node:tls` client error (the `connect -c … --servername`
 * path): node's verification codes mapped to the same stable codes as the
 * rustls messages above; anything else goes through `classifyNetError`.
 *
 * @param e the thrown value
 * @param ctx what was being attempted
 * @returns a TlsprobeError with a stable code
 */
export function classifyNodeTlsError(e: unknown, ctx: FailureContext): TlsprobeError {
  const code = (e as { code?: string })?.code ?? "";
  const raw = String((e as Error)?.message ?? e);
  const detail = { raw, phase: ctx.phase, errorName: code };
  const wanted = ctx.serverName ?? ctx.host;
  if (
    code === "ERR_TLS_CERT_ALTNAME_INVALID" || /does not match certificate's altnames/.test(raw)
  ) {
    const names = raw.match(/altnames: (.*)$/)?.[1] ?? "other hosts";
    return new TlsprobeError(
      "CERT_NAME_MISMATCH",
      `The certificate is not valid for ${wanted}; it names ${names}: connect by one of those names or use --servername NAME`,
      { ...detail, wanted },
    );
  }
  if (
    /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT)$/
      .test(code)
  ) {
    const trusted = ctx.caFile ? `the CA file ${ctx.caFile}` : "the platform's trusted roots";
    return new TlsprobeError(
      "CERT_UNKNOWN_ISSUER",
      `The server's certificate is not signed by a CA in ${trusted}: pass -a/--cafile with the CA certificate that signed it`,
      detail,
    );
  }
  if (code === "CERT_HAS_EXPIRED") {
    return new TlsprobeError(
      "CERT_EXPIRED",
      "The server's certificate has expired: renew it (or check this machine's clock)",
      detail,
    );
  }
  if (code === "CERT_NOT_YET_VALID") {
    return new TlsprobeError(
      "CERT_NOT_YET_VALID",
      "The server's certificate is not valid yet: check its notBefore date and this machine's clock",
      detail,
    );
  }
  return classifyNetError(e, ctx);
}
