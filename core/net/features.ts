/**
 * `features`: what this build can do, the book's `features.py` for tlsprobe.
 * The runtime's TLS offer is read from the ClientHello `Deno.startTls`
 * actually sends to a loopback listener, not from documentation.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import {
  type AlgorithmSupport,
  type EngineCapabilities,
  engineCapabilities,
  webCryptoSupport,
} from "../handshake/capabilities.ts";
import { HS } from "../wire/record.ts";
import { FlightReader } from "../wire/flight.ts";
import { type ClientHello, parseClientHello } from "../wire/client_hello.ts";
import { cipherSuiteByCode, cipherSuiteName, isTls13Suite } from "../registry/cipher_suites.ts";
import { groupName, isGrease } from "../registry/groups.ts";
import { signatureSchemeName } from "../registry/signature_schemes.ts";
import { TLS1_3, versionName } from "../registry/versions.ts";
import { extensionName } from "../registry/extensions.ts";
import { opTimer } from "./transport.ts";

/** What the runtime's own TLS (rustls) offers, as seen on the wire. */
export interface RuntimeTlsOffer {
  /** Versions offered. */
  versions: string[];
  /** Suites offered, in order. */
  cipherSuites: string[];
  /** supported_groups, in order. */
  groups: string[];
  /** Groups with a key share. */
  keyShares: string[];
  /** signature_algorithms, in order. */
  signatureAlgorithms: string[];
  /** ALPN protocols offered. */
  alpn: string[];
  /** The SNI sent. */
  serverName: string | null;
  /** Extension names, in order. */
  extensions: string[];
}

/** The `features` body. */
export interface FeaturesBody {
  /** Deno, V8 and TypeScript versions and the platform. */
  runtime: { deno: string; v8: string; typescript: string; os: string; arch: string };
  /** What the runtime's TLS offers. */
  runtimeTls: RuntimeTlsOffer;
  /** The inspection engine's capabilities. */
  engine: EngineCapabilities;
  /** WebCrypto algorithms, each tried. */
  webCrypto: AlgorithmSupport[];
  /** Feature support with notes. */
  support: { feature: string; supported: boolean; note: string }[];
}

/**
 * Captures the ClientHello `Deno.startTls` sends (SNI `localhost`, ALPN
 * `h2`, `http/1.1`) and decodes it.
 *
 * @param timeoutMs bound on the capture
 * @returns the offer
 */
export async function captureRuntimeOffer(timeoutMs = 5000): Promise<RuntimeTlsOffer> {
  const ch = await captureRuntimeHello(timeoutMs);
  return {
    versions: (ch.supportedVersions ?? [ch.legacyVersion]).filter((v) => !isGrease(v)).map(
      versionName,
    ),
    cipherSuites: ch.cipherSuites.filter((c) => !isGrease(c)).map(cipherSuiteName),
    groups: (ch.groups ?? []).filter((g) => !isGrease(g)).map(groupName),
    keyShares: (ch.keyShares ?? []).filter((k) => !isGrease(k.group)).map((k) =>
      groupName(k.group)
    ),
    signatureAlgorithms: (ch.signatureAlgorithms ?? []).map(signatureSchemeName),
    alpn: ch.alpn ?? [],
    serverName: ch.serverName ?? null,
    extensions: ch.extensions.map((e) => extensionName(e.type)),
  };
}

/** What the runtime's TLS (rustls) speaks, as code points read from its own ClientHello. */
export interface RuntimeSuites {
  /** Versions it offers. */
  versions: number[];
  /** Suites it offers (TLS 1.3 and TLS 1.2 mixed; GREASE and signalling values removed). */
  cipherSuites: number[];
}

let runtimeSuitesOnce: Promise<RuntimeSuites | undefined> | undefined;

/**
 * The versions and suites the runtime's TLS speaks, observed once per process
 * from the ClientHello it sends (not a hand-kept list).
 *
 * @returns the code points, or undefined when the capture failed (the caller
 *   then lets the runtime decide)
 */
export function runtimeSuites(): Promise<RuntimeSuites | undefined> {
  runtimeSuitesOnce ??= captureRuntimeHello().then(
    (ch) => ({
      versions: (ch.supportedVersions ?? [ch.legacyVersion]).filter((v) => !isGrease(v)),
      // Signalling values (RFC 5746's SCSV) are not suites a session can use.
      cipherSuites: ch.cipherSuites.filter((c) => !isGrease(c) && !cipherSuiteByCode(c)?.scsv),
    }),
    () => undefined,
  );
  return runtimeSuitesOnce;
}

/**
 * Whether the runtime's TLS can agree a session with this version and suite.
 *
 * @param rt what the runtime speaks
 * @param version the version a server chose
 * @param suite the suite it chose
 * @returns true when the runtime offers both (and the suite belongs to the version)
 */
export function runtimeSpeaks(rt: RuntimeSuites, version: number, suite: number): boolean {
  return rt.versions.includes(version) && rt.cipherSuites.includes(suite) &&
    isTls13Suite(suite) === (version === TLS1_3);
}

async function captureRuntimeHello(timeoutMs = 5000): Promise<ClientHello> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let client: Deno.TcpConn | undefined;
  let server: Deno.Conn | undefined;
  let tls: Deno.TlsConn | undefined;
  const timer = opTimer(timeoutMs, () => {
    for (const c of [tls, client, server, listener]) {
      try {
        c?.close();
      } catch { /* closed */ }
    }
  });
  try {
    const accepted = listener.accept();
    client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    tls = await Deno.startTls(client, { hostname: "localhost", alpnProtocols: ["h2", "http/1.1"] });
    const handshake = tls.handshake().catch(() => {});
    server = await accepted;
    const reader = new FlightReader();
    const buf = new Uint8Array(16384);
    for (;;) {
      const n = await server.read(buf);
      if (n === null) throw new TlsprobeError("INTERNAL", "The runtime sent no ClientHello");
      reader.push(buf.slice(0, n));
      const item = reader.next();
      if (!item) continue;
      const m = item.kind === "message" ? item.message : undefined;
      if (!m || m.type !== HS.clientHello) {
        throw new TlsprobeError("INTERNAL", "The runtime's first message is not a ClientHello");
      }
      const ch = parseClientHello(m.body);
      server.close();
      server = undefined;
      await handshake;
      return ch;
    }
  } finally {
    timer.clear();
    for (const c of [tls, client, server, listener]) {
      try {
        c?.close();
      } catch { /* closed */ }
    }
  }
}

/**
 * Collects every feature.
 *
 * @returns the body for `tlsprobe features`
 */
export async function collectFeatures(): Promise<FeaturesBody> {
  const runtimeTls = await captureRuntimeOffer();
  const webCrypto = await webCryptoSupport();
  const has = (n: string) => webCrypto.find((a) => a.name === n)?.supported ?? false;
  return {
    runtime: {
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
      os: Deno.build.os,
      arch: Deno.build.arch,
    },
    runtimeTls,
    engine: engineCapabilities(),
    webCrypto,
    support: [
      {
        feature: "SNI",
        supported: true,
        note: "sent by the runtime for names (not IP addresses); the probe sends any name or none",
      },
      {
        feature: "ALPN",
        supported: true,
        note: "client and server (Deno.connectTls / listenTls alpnProtocols)",
      },
      {
        feature: "client certificate (presenting)",
        supported: true,
        note: "Deno.connectTls cert/key (not with startTls, so not when verifying another name)",
      },
      {
        feature: "client certificate (requesting, as a server)",
        supported: false,
        note: "Deno.listenTls cannot request one; the probe reports servers' requests",
      },
      {
        feature: "TLS 1.0/1.1 and legacy suites",
        supported: true,
        note: "observed by the inspection engine; rustls refuses them, so trust is not checkable",
      },
      {
        feature: "post-quantum key exchange (X25519MLKEM768)",
        supported: has("ML-KEM-768") && has("X25519"),
        note: `engine via WebCrypto ML-KEM; runtime offers: ${
          runtimeTls.groups.filter((g) => /MLKEM/i.test(g)).join(", ") || "none"
        }`,
      },
      {
        feature: "TLS 1.3 CCM suites",
        supported: has("AES-CBC"),
        note: "WebCrypto lacks AES-CCM: the engine builds it from AES-CBC (CBC-MAC) and AES-CTR " +
          "(TLS_AES_128_CCM_SHA256, TLS_AES_128_CCM_8_SHA256; the lab engine serves them, the " +
          "probe does not offer them by default)",
      },
    ],
  };
}
