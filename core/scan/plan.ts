/**
 * The scan plan: the fewest handshakes that determine exactly what one server
 * accepts. Pure — every handshake goes through a {@link Prober}.
 *
 * - Versions: one ClientHello per version with that version pinned and every
 *   suite the registry knows for it; an SSLv2 CLIENT-HELLO.
 * - Suites per version by elimination: offer the set, remove what the server
 *   chose, repeat until it refuses; when it drops the connection instead of
 *   alerting, split the set in halves and go on with each.
 * - Server or client order: the first two suites offered the other way round.
 * - Groups (TLS 1.3 with an empty key_share, so a HelloRetryRequest names the
 *   group; TLS 1.2 from the ServerKeyExchange), DHE prime sizes, signature
 *   schemes (TLS 1.2 from the ServerKeyExchange, TLS 1.3 from the
 *   CertificateVerify), ALPN, each by elimination.
 * - Certificates per key type, SNI behaviour and the client-certificate
 *   request from full inspection handshakes; features from one ClientHello
 *   that asks for all of them.
 *
 * Independent phases run concurrently; the {@link Prober} bounds concurrency.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { cipherSuiteByCode } from "../registry/cipher_suites.ts";
import { signatureSchemeByName } from "../registry/signature_schemes.ts";
import { TLS1_2, TLS1_3, versionName } from "../registry/versions.ts";
import {
  ALPN_CANDIDATES,
  ECDHE_GROUPS,
  isCbc,
  isDhe,
  isEcdhe,
  isSignedKx,
  KEY_TYPES,
  SCAN_VERSIONS,
  suitesFor,
  TLS12_SIGALGS,
  TLS13_GROUPS,
  TLS13_SIGALGS,
} from "./candidates.ts";
import type {
  FeatureResult,
  HandshakeFailure,
  HelloAnswer,
  HelloOffer,
  InspectAnswer,
  Prober,
  ScanResult,
  VersionResult,
} from "./model.ts";

/** Options of one target's scan. */
export interface PlanOptions {
  /** Host name or address. */
  host: string;
  /** TCP port. */
  port: number;
  /** The SNI sent (null: none). */
  serverName: string | null;
  /** Versions to try (wire codes; default every one, SSLv2 included when SSLv3 is). */
  versions?: number[];
  /** Stops the scan; what was found is returned with `interrupted`. */
  signal?: AbortSignal;
  /** Called after each handshake. */
  onProgress?: (p: { handshakes: number; phase: string }) => void;
  /** The clock, for `elapsedMs` (default `Date.now`). */
  clock?: () => number;
}

const X25519 = 0x001d;

/** How many times one elimination may split its set after dropped connections. */
export const SPLIT_BUDGET = 32;

/**
 * Suites a server that dropped the large ClientHello is asked again with:
 * common AES suites only (servers that drop rather than alert often do it on
 * legacy ciphers).
 */
const COMMON_SUITES = [
  0x1301,
  0x1302,
  0x1303,
  0xc02f,
  0xc030,
  0xc02b,
  0xc02c,
  0x009c,
  0x009d,
  0xc013,
  0xc014,
  0xc009,
  0xc00a,
  0x002f,
  0x0035,
  0x0033,
  0x0039,
];

/** What the plan found: the scan result before certificates are decoded and verdicts given. */
export type PlannedScan = Omit<ScanResult, "certificates" | "findings" | "profiles" | "grade"> & {
  /** Each distinct chain, with the key type it was asked for (DER, leaf first). */
  chains: { asked: string; der: Uint8Array[] }[];
  /** The CA names of the client-certificate request (DER), named by `evaluateScan`. */
  caNamesDer?: Uint8Array[];
};

class Interrupted extends Error {}

type Answer = HelloAnswer | InspectAnswer;

function failureOf(a: Answer): HandshakeFailure | undefined {
  if (a.kind === "error") return a.error;
  return undefined;
}

/** Errors that mean the target itself is unusable, not that an offer was refused. */
const FATAL = new Set(["CONNECTION_REFUSED", "DNS", "NOT_TLS", "TIMEOUT", "NETWORK"]);

/**
 * Elimination: offer the set, take what the server chose out, repeat. A
 * dropped connection (no alert) splits the set in two.
 *
 * @param candidates what to offer, in order
 * @param ask runs one handshake offering a set
 * @param chosen what the server chose, from a successful answer
 * @param first an answer already obtained for the whole set
 * @returns what was accepted, in the order found, and the error that stopped it
 */
export async function eliminate<T, A extends Answer>(
  candidates: readonly T[],
  ask: (set: T[]) => Promise<A>,
  chosen: (a: A) => T | undefined,
  first?: A,
  budget: { splits: number } = { splits: SPLIT_BUDGET },
): Promise<{ found: T[]; error?: HandshakeFailure }> {
  const found: T[] = [];
  let rest = [...candidates];
  if (!rest.length) return { found };
  let answer = first ?? await ask(rest);
  for (;;) {
    if (answer.kind === "hello" || answer.kind === "ok") {
      const c = chosen(answer);
      if (c === undefined || !rest.includes(c)) break;
      found.push(c);
      rest = rest.filter((x) => x !== c);
      if (!rest.length) break;
      answer = await ask(rest);
      continue;
    }
    if (answer.kind === "dropped" && rest.length > 1) {
      if (budget.splits <= 0) {
        return {
          found,
          error: {
            code: answer.code,
            message:
              `The server kept closing the connection instead of answering; ${rest.length} ` +
              "candidates were left untested",
          },
        };
      }
      budget.splits--;
      const half = Math.ceil(rest.length / 2);
      const [a, b] = await Promise.all([
        eliminate(rest.slice(0, half), ask, chosen, undefined, budget),
        eliminate(rest.slice(half), ask, chosen, undefined, budget),
      ]);
      found.push(...a.found, ...b.found);
      return { found, error: a.error ?? b.error };
    }
    return { found, error: failureOf(answer) };
  }
  return { found };
}

/**
 * Whether the server's order decides, from the first two found offered the
 * other way round: the server keeps its first choice only when its order wins.
 */
async function serverOrder<T, A extends Answer>(
  found: T[],
  ask: (set: T[]) => Promise<A>,
  chosen: (a: A) => T | undefined,
): Promise<boolean | null> {
  if (found.length < 2) return null;
  const a = await ask([found[1], found[0]]);
  if (a.kind !== "hello" && a.kind !== "ok") return null;
  const c = chosen(a);
  return c === found[0] ? true : c === found[1] ? false : null;
}

/** How many eliminations run side by side once the server is known to follow the client's order. */
export const PARALLEL_CHUNKS = 4;

/**
 * Suites of one version: the first two by elimination, then the order test
 * (the two offered the other way round). When the server's order decides,
 * elimination goes on one at a time, which gives its full order; when the
 * client's order decides, order carries no information, so the rest is split
 * into {@link PARALLEL_CHUNKS} sets eliminated concurrently.
 */
async function eliminateSuites(
  candidates: number[],
  ask: (set: number[]) => Promise<HelloAnswer>,
  first: HelloAnswer,
): Promise<{ found: number[]; error?: HandshakeFailure; serverOrder: boolean | null }> {
  const pick = (a: HelloAnswer) => a.kind === "hello" ? a.serverHello.cipherSuite : undefined;
  const s1 = pick(first);
  if (s1 === undefined || !candidates.includes(s1)) {
    const e = await eliminate(candidates, ask, pick, first);
    return { ...e, serverOrder: await serverOrder(e.found, ask, pick) };
  }
  const rest1 = candidates.filter((c) => c !== s1);
  if (!rest1.length) return { found: [s1], serverOrder: null };
  const a2 = await ask(rest1);
  const s2 = pick(a2);
  if (s2 === undefined || !rest1.includes(s2)) {
    const e = await eliminate(rest1, ask, pick, a2);
    return { found: [s1, ...e.found], error: e.error, serverOrder: null };
  }
  const order = await serverOrder([s1, s2], ask, pick);
  const rest2 = rest1.filter((c) => c !== s2);
  if (order !== false || !rest2.length) {
    const e = await eliminate(rest1, ask, pick, a2);
    return { found: [s1, ...e.found], error: e.error, serverOrder: order };
  }
  const size = Math.ceil(rest2.length / PARALLEL_CHUNKS);
  const chunks = Array.from(
    { length: Math.ceil(rest2.length / size) },
    (_, k) => rest2.slice(k * size, (k + 1) * size),
  );
  const parts = await Promise.all(chunks.map((c) => eliminate(c, ask, pick)));
  return {
    found: [s1, s2, ...parts.flatMap((p) => p.found)],
    error: parts.find((p) => p.error)?.error,
    serverOrder: false,
  };
}

function emptyVersion(code: number): VersionResult {
  return {
    version: versionName(code),
    code,
    accepted: false,
    suites: [],
    serverOrder: null,
    groups: [],
    serverGroupOrder: null,
    dhBits: [],
    sigalgs: [],
  };
}

/**
 * Scans one target.
 *
 * @param prober runs the handshakes
 * @param o target and options
 * @returns what the server accepts (verdicts come from `evaluateScan`)
 */
export async function planScan(prober: Prober, o: PlanOptions): Promise<PlannedScan> {
  const clock = o.clock ?? Date.now;
  const started = clock();
  const result: PlannedScan = {
    target: { host: o.host, port: o.port, serverName: o.serverName },
    interrupted: false,
    sslv2: false,
    versions: [],
    alpn: { protocols: [], serverOrder: null },
    sni: { withoutSni: "not tested", wrongSni: "not tested" },
    chains: [],
    features: {},
    clientCertificate: { requested: false, required: null, caNames: [] },
    handshakes: 0,
    elapsedMs: 0,
  };
  let phase = "versions";
  const tick = () => {
    result.handshakes++;
    o.onProgress?.({ handshakes: result.handshakes, phase });
  };
  const guard = () => {
    if (o.signal?.aborted) throw new Interrupted();
  };
  const p: Prober = {
    async hello(offer) {
      guard();
      const a = await prober.hello(offer);
      tick();
      return a;
    },
    async inspect(offer) {
      guard();
      const a = await prober.inspect(offer);
      tick();
      return a;
    },
    async sslv2() {
      guard();
      const a = await prober.sslv2();
      tick();
      return a;
    },
  };
  try {
    await run(p, o, result, (s) => phase = s);
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
    result.interrupted = true;
  }
  result.elapsedMs = clock() - started;
  return result;
}

async function run(
  p: Prober,
  o: PlanOptions,
  r: PlannedScan,
  setPhase: (s: string) => void,
): Promise<void> {
  const wanted = SCAN_VERSIONS.filter((v) => !o.versions || o.versions.includes(v));
  const sni = o.serverName;
  const helloAt = (v: number, suites: number[], extra: Partial<HelloOffer> = {}) =>
    p.hello({
      versions: [v],
      suites,
      keyShares: v >= TLS1_3 ? [X25519] : undefined,
      ...extra,
    });

  // Phase 1: one handshake per version (and SSLv2), concurrently.
  setPhase("versions");
  const trySslv2 = !o.versions || o.versions.includes(0x0300) || o.versions.includes(0x0002);
  const [firsts, v2] = await Promise.all([
    Promise.all(wanted.map((v) => helloAt(v, suitesFor(v)))),
    trySslv2 ? p.sslv2() : Promise.resolve({ accepted: false }),
  ]);
  r.sslv2 = v2.accepted;
  if (o.signal?.aborted) {
    r.versions = wanted.map(emptyVersion);
    throw new Interrupted();
  }
  // A server that dropped the connection may choke on the large ClientHello or
  // on one suite in it: ask again with a few common suites.
  const retried = await Promise.all(
    wanted.map((v, i) =>
      firsts[i].kind === "dropped"
        ? helloAt(v, COMMON_SUITES.filter((c) => suitesFor(v).includes(c)))
        : undefined
    ),
  );
  const answered = (a: HelloAnswer | undefined, v: number) =>
    a?.kind === "hello" && a.serverHello.version === v;
  const accepted = wanted.filter((v, i) => answered(firsts[i], v) || answered(retried[i], v));
  if (!accepted.length && !r.sslv2) {
    const fatal = firsts.map(failureOf).find((f) => f && FATAL.has(f.code));
    const any = firsts.map(failureOf).find((f) => f);
    const dropped = firsts.every((a) => a.kind === "dropped");
    r.error = fatal ?? any ?? (dropped
      ? {
        code: "CONNECTION_CLOSED",
        message:
          `${o.host}:${o.port} closed the connection after every ClientHello without an answer`,
      }
      : undefined) ??
      {
        code: "HANDSHAKE_FAILURE",
        message: `${o.host}:${o.port} accepted none of the versions tried (${
          wanted.map(versionName).join(", ")
        })`,
      };
    r.versions = wanted.map(emptyVersion);
    return;
  }

  // Phase 2: suites per version, by elimination, concurrently across versions.
  setPhase("cipher suites");
  const results = wanted.map(emptyVersion);
  r.versions = results;
  await Promise.all(wanted.map(async (v, i) => {
    const vr = results[i];
    if (!accepted.includes(v)) {
      const f = failureOf(firsts[i]);
      if (f && FATAL.has(f.code)) vr.error = f;
      return;
    }
    vr.accepted = true;
    const ask = (set: number[]) => helloAt(v, set);
    const e = await eliminateSuites(suitesFor(v), ask, firsts[i] as HelloAnswer);
    if (!e.found.length) vr.accepted = false;
    vr.suites = e.found;
    if (e.error) vr.error = e.error;
    vr.serverOrder = e.serverOrder;
  }));

  const v13 = results.find((v) => v.code === TLS1_3 && v.accepted);
  const legacy = results.filter((v) => v.code < TLS1_3 && v.accepted);
  const top12 = legacy[0];
  const allSuites = [...new Set(results.flatMap((v) => v.suites))];
  const acceptedCodes = results.filter((v) => v.accepted).map((v) => v.code);

  if (o.signal?.aborted) throw new Interrupted();
  setPhase("groups, signature schemes, certificates, ALPN, features");
  await Promise.all([
    v13 ? groups13(p, v13) : undefined,
    top12 ? groups12(p, top12, helloAt) : undefined,
    top12 ? sigalgs12(p, top12, helloAt) : undefined,
    v13 ? sigalgs13(p, v13) : undefined,
    certificates(p, r, results, acceptedCodes, allSuites, sni),
    alpn(p, r, v13, top12, helloAt),
    features(p, r, results, top12, v13),
  ]);
  r.features = orderFeatures(r.features);
}

async function groups13(p: Prober, v: VersionResult): Promise<void> {
  const ask = (set: number[]) =>
    p.hello({ versions: [TLS1_3], suites: v.suites, groups: set, keyShares: [] });
  const pick = (a: HelloAnswer) =>
    a.kind === "hello" ? a.serverHello.selectedGroup ?? a.serverHello.keyShare?.group : undefined;
  const e = await eliminate(TLS13_GROUPS, ask, pick);
  v.groups = e.found;
  v.serverGroupOrder = await serverOrder(v.groups, ask, pick);
}

type HelloAt = (v: number, suites: number[], extra?: Partial<HelloOffer>) => Promise<HelloAnswer>;

async function groups12(p: Prober, v: VersionResult, helloAt: HelloAt): Promise<void> {
  void p;
  const ecdhe = v.suites.filter(isEcdhe);
  const dhe = v.suites.filter(isDhe);
  await Promise.all([
    (async () => {
      if (!ecdhe.length) return;
      const ask = (set: number[]) =>
        helloAt(v.code, ecdhe, { groups: set, untilKeyExchange: true });
      const pick = (a: HelloAnswer) => a.kind === "hello" ? a.keyExchange?.group : undefined;
      const e = await eliminate(ECDHE_GROUPS, ask, pick);
      v.groups = e.found;
      v.serverGroupOrder = await serverOrder(v.groups, ask, pick);
    })(),
    (async () => {
      if (!dhe.length) return;
      const a = await helloAt(v.code, dhe, { untilKeyExchange: true });
      if (a.kind === "hello" && a.keyExchange?.dhBits) v.dhBits = [a.keyExchange.dhBits];
    })(),
  ]);
}

async function sigalgs12(p: Prober, v: VersionResult, helloAt: HelloAt): Promise<void> {
  void p;
  if (v.code !== TLS1_2) return; // signature_algorithms exists from TLS 1.2 on
  const signed = v.suites.filter(isSignedKx);
  if (!signed.length) return;
  const ask = (set: number[]) => helloAt(v.code, signed, { sigalgs: set, untilKeyExchange: true });
  const pick = (a: HelloAnswer) => a.kind === "hello" ? a.keyExchange?.scheme : undefined;
  v.sigalgs = (await eliminate(TLS12_SIGALGS, ask, pick)).found;
}

async function sigalgs13(p: Prober, v: VersionResult): Promise<void> {
  const ask = (set: number[]) =>
    p.inspect({ versions: [TLS1_3], suites: v.suites, sigalgs: set, ticketWaitMs: 0 });
  const pick = (a: InspectAnswer) =>
    a.kind === "ok" && a.signatureScheme
      ? signatureSchemeByName(a.signatureScheme)?.code
      : undefined;
  v.sigalgs = (await eliminate(TLS13_SIGALGS, ask, pick)).found;
}

async function certificates(
  p: Prober,
  r: PlannedScan,
  results: VersionResult[],
  versions: number[],
  allSuites: number[],
  sni: string | null,
): Promise<void> {
  const v13 = results.find((v) => v.code === TLS1_3 && v.accepted);
  const answers = await Promise.all(KEY_TYPES.map((k, i) => {
    const suites = allSuites.filter((c) =>
      c >> 8 === 0x13 || k.au.includes(cipherSuiteByCode(c)?.au ?? "")
    );
    if (!suites.length) return Promise.resolve(undefined);
    if (k.name === "ed25519" && !v13) return Promise.resolve(undefined);
    return p.inspect({
      versions,
      suites,
      sigalgs: k.sigalgs,
      // The first one answers our Finished (TLS 1.3) to see tickets and a required certificate.
      ticketWaitMs: i === 0 ? 300 : 0,
    });
  }));
  const seen = new Set<string>();
  const leaves: string[] = [];
  for (let i = 0; i < answers.length; i++) {
    const a = answers[i];
    if (!a || a.kind !== "ok" || !a.certificates.length) continue;
    const key = a.certificates[0].join(",");
    if (seen.has(key)) continue;
    seen.add(key);
    leaves.push(key);
    r.chains.push({ asked: KEY_TYPES[i].name, der: a.certificates });
  }
  // Client certificates, stapling and tickets from the same handshakes.
  const oks = answers.filter((a): a is Extract<InspectAnswer, { kind: "ok" }> => a?.kind === "ok");
  const req = oks.find((a) => a.certificateRequest);
  if (req?.certificateRequest) {
    r.clientCertificate = {
      requested: true,
      required: oks.some((a) => a.postHandshakeAlert === "certificate_required")
        ? true
        : oks.some((a) => a.version === TLS1_3 && a.sessionTicket === true)
        ? false
        : null,
      caNames: [],
    };
    r.caNamesDer = req.certificateRequest.caNames;
  }
  const stapled = oks.some((a) => a.ocspStapled);
  r.features.ocspStapling = {
    value: oks.length ? stapled : null,
    note: stapled
      ? "an OCSP response is stapled"
      : oks.length
      ? "no OCSP response stapled"
      : "not tested",
  };
  const t13 = oks.find((a) => a.version === TLS1_3 && a.sessionTicket !== null);
  if (t13) {
    r.features.tls13Tickets = {
      value: t13.sessionTicket,
      note: t13.sessionTicket
        ? "TLS 1.3 NewSessionTicket sent after the handshake"
        : "no TLS 1.3 session ticket",
    };
  }
  // SNI: without one, and with a name the server cannot know.
  const leaf = leaves[0];
  const sniAsk = (name: string | null) =>
    p.inspect({ versions, suites: allSuites, serverName: name, ticketWaitMs: 0 });
  const describe = (a: InspectAnswer): string => {
    if (a.kind === "ok") {
      const k = a.certificates[0]?.join(",");
      return k === undefined
        ? "handshake completes, no certificate"
        : k === leaf
        ? "same certificate"
        : seen.has(k)
        ? "another of the server's certificates"
        : "a different certificate";
    }
    if (a.kind === "alert") return `refused: ${a.alert} alert`;
    if (a.kind === "dropped") return "connection dropped";
    return `error: ${a.error.code}`;
  };
  const [none, wrong] = await Promise.all([
    sni === null ? undefined : sniAsk(null),
    sniAsk("tlsprobe-scan.invalid"),
  ]);
  r.sni = {
    withoutSni: none ? describe(none) : "the scan sends no SNI",
    wrongSni: describe(wrong),
  };
}

async function alpn(
  p: Prober,
  r: PlannedScan,
  v13: VersionResult | undefined,
  top12: VersionResult | undefined,
  helloAt: HelloAt,
): Promise<void> {
  type A = HelloAnswer | InspectAnswer;
  let ask: (set: string[]) => Promise<A>;
  if (top12 && top12.code === TLS1_2) {
    ask = (set) => helloAt(TLS1_2, top12.suites, { alpn: set });
  } else if (v13) {
    ask = (set) =>
      p.inspect({ versions: [TLS1_3], suites: v13.suites, alpn: set, ticketWaitMs: 0 });
  } else return;
  const pick = (a: A) =>
    a.kind === "hello" ? a.serverHello.alpn : a.kind === "ok" ? a.alpn : undefined;
  const e = await eliminate<string, A>(ALPN_CANDIDATES, ask, pick);
  r.alpn = { protocols: e.found, serverOrder: await serverOrder<string, A>(e.found, ask, pick) };
}

async function features(
  p: Prober,
  r: PlannedScan,
  results: VersionResult[],
  top12: VersionResult | undefined,
  v13: VersionResult | undefined,
): Promise<void> {
  const f = r.features;
  const acc = results.filter((v) => v.accepted);
  const jobs: Promise<void>[] = [];
  if (top12) {
    jobs.push((async () => {
      const cbc = top12.suites.filter(isCbc);
      const a = await p.hello({
        versions: [top12.code],
        suites: [...cbc, ...top12.suites.filter((c) => !cbc.includes(c))],
        compression: [1, 0],
        encryptThenMac: true,
        heartbeat: true,
      });
      if (a.kind !== "hello") {
        const why = a.kind === "error" ? a.error.code : a.kind === "alert" ? a.alert : "dropped";
        f.featureProbe = { value: null, note: `the feature ClientHello failed (${why})` };
        return;
      }
      const sh = a.serverHello;
      const name = versionName(top12.code);
      f.secureRenegotiation = {
        value: sh.secureRenegotiation,
        note: sh.secureRenegotiation
          ? `renegotiation_info acknowledged (${name}, RFC 5746)`
          : `no renegotiation_info in the ${name} ServerHello (RFC 5746)`,
      };
      f.compression = {
        value: sh.compression !== 0,
        note: sh.compression !== 0
          ? `the server chose compression method ${sh.compression} (CRIME)`
          : "DEFLATE offered and declined",
      };
      f.extendedMasterSecret = {
        value: sh.extendedMasterSecret,
        note: `${
          sh.extendedMasterSecret ? "acknowledged" : "not acknowledged"
        } (${name}, RFC 7627)`,
      };
      f.encryptThenMac = cbc.length
        ? {
          value: sh.encryptThenMac,
          note: `${
            sh.encryptThenMac ? "acknowledged" : "not acknowledged"
          } with a CBC suite (RFC 7366)`,
        }
        : { value: null, note: "no CBC suite accepted: not applicable" };
      const hb = sh.extensions.some((e) => e.type === 15);
      f.heartbeat = {
        value: hb,
        note: hb ? "heartbeat extension acknowledged (RFC 6520)" : "heartbeat not acknowledged",
      };
      f.sessionTicket = {
        value: sh.sessionTicket,
        note: sh.sessionTicket
          ? `session_ticket acknowledged (${name}, RFC 5077)`
          : `no session ticket announced (${name})`,
      };
      f.sessionIdResumption = {
        value: null,
        note: sh.sessionId.length
          ? `the server assigns session IDs (${sh.sessionId.length} bytes); resumption itself is not tested (it needs a completed ${name} handshake)`
          : "the server assigns no session ID",
      };
    })());
  } else if (v13) {
    f.secureRenegotiation = { value: null, note: "TLS 1.3 only: renegotiation does not exist" };
    f.compression = { value: false, note: "TLS 1.3 only: no compression" };
  }
  // TLS_FALLBACK_SCSV: the second-highest version with the SCSV must be refused.
  if (acc.length >= 2) {
    const lower = acc[1];
    jobs.push((async () => {
      const a = await p.hello({
        versions: [lower.code],
        suites: lower.suites,
        keyShares: lower.code >= TLS1_3 ? [X25519] : undefined,
        fallbackScsv: true,
      });
      f.fallbackScsv = a.kind === "alert" && a.alert === "inappropriate_fallback"
        ? { value: true, note: `${versionName(lower.code)} with TLS_FALLBACK_SCSV is refused` }
        : a.kind === "hello"
        ? {
          value: false,
          note: `${versionName(lower.code)} with TLS_FALLBACK_SCSV is accepted (RFC 7507)`,
        }
        : { value: null, note: `unclear: ${a.kind === "alert" ? a.alert : a.kind}` };
    })());
  } else {
    f.fallbackScsv = { value: null, note: "one version only: not applicable" };
  }
  // Version intolerance: a ClientHello offering an unknown higher version (0x0305).
  if (acc.length) {
    jobs.push((async () => {
      const top = acc[0].code;
      const a = await p.hello({
        versions: [0x0305, ...acc.map((v) => v.code)],
        suites: [...new Set(acc.flatMap((v) => v.suites))],
        keyShares: [X25519],
      });
      f.versionTolerance = a.kind === "hello" && a.serverHello.version === top
        ? { value: true, note: `offered up to 0x0305: ${versionName(top)} chosen` }
        : {
          value: false,
          note: `offered up to 0x0305: ${
            a.kind === "hello"
              ? versionName(a.serverHello.version) + " chosen"
              : a.kind === "alert"
              ? a.alert + " alert"
              : a.kind
          } (version intolerance)`,
        };
    })());
  }
  await Promise.all(jobs);
}

const FEATURE_ORDER = [
  "fallbackScsv",
  "secureRenegotiation",
  "compression",
  "sessionTicket",
  "tls13Tickets",
  "sessionIdResumption",
  "ocspStapling",
  "extendedMasterSecret",
  "encryptThenMac",
  "heartbeat",
  "versionTolerance",
  "featureProbe",
];

function orderFeatures(f: Record<string, FeatureResult>): Record<string, FeatureResult> {
  const out: Record<string, FeatureResult> = {};
  for (const k of FEATURE_ORDER) if (f[k]) out[k] = f[k];
  return out;
}

/** Thrown inside a scan when the signal fires (kept for callers that test for it). */
export function isInterrupted(e: unknown): boolean {
  return e instanceof Interrupted || (e instanceof TlsprobeError && e.detail.interrupted === true);
}
