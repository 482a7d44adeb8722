/**
 * The scan plan: the fewest handshakes that determine exactly what one server
 * accepts. Pure — every handshake goes through a {@link Prober}.
 *
 * - Versions: a chain of ClientHellos, each offering every version up to a
 *   cap (the first also an unknown higher one, for version tolerance); the
 *   server's answer is the highest it accepts, and the next cap the version
 *   below. A version-intolerant or odd server gets one ClientHello per
 *   version instead. An SSLv2 CLIENT-HELLO beside it.
 * - Suites per version by elimination: offer the set, remove what the server
 *   chose, repeat until it refuses; when it drops the connection instead of
 *   alerting, split the set in halves and go on with each. The set is offered
 *   forwards and backwards in turn, so a server whose order decides usually
 *   shows it without an order test.
 * - TLS 1.3 suites and groups together, from HelloRetryRequests to an empty
 *   key_share (the server neither computes a share nor signs).
 * - Groups (TLS 1.2 from the ServerKeyExchange), DHE prime sizes (from the
 *   ServerKeyExchanges the suite elimination reads anyway), signature
 *   schemes (TLS 1.2 from the ServerKeyExchange, TLS 1.3 from the
 *   CertificateVerify), ALPN, each by elimination.
 * - Certificates per key type, SNI behaviour and the client-certificate
 *   request from full inspection handshakes; features from one ClientHello
 *   that asks for all of them.
 *
 * Once the versions are known everything else starts at once, offering every
 * candidate suite of a version (the server picks one it accepts); only a
 * server that closed connections instead of answering waits for the suites
 * found.
 * Independent phases run concurrently; the {@link Prober} bounds concurrency.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { cipherSuiteByCode } from "../registry/cipher_suites.ts";
import { signatureSchemeByName } from "../registry/signature_schemes.ts";
import { SSL3, TLS1_2, TLS1_3, versionName } from "../registry/versions.ts";
import {
  ALPN_CANDIDATES,
  canFinish12,
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
import { type ProgressPart, ProgressPlan, type ScanProgress } from "./progress.ts";

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
  /** Called after each handshake, with the handshakes done, the total planned and the part. */
  onProgress?: (p: ScanProgress) => void;
  /**
   * The progress to count on, when the caller adds parts of its own (the
   * trust check); it then reports the end itself. Default: one made from
   * `onProgress`, ended when the plan ends.
   */
  progress?: ProgressPlan;
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

/** What one handshake of the plan gave: a hello answer or an inspection. */
export type PlanAnswer = HelloAnswer | InspectAnswer;

function failureOf(a: PlanAnswer): HandshakeFailure | undefined {
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
export async function eliminate<T, A extends PlanAnswer>(
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
async function serverOrder<T, A extends PlanAnswer>(
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

/**
 * Suites of one version by elimination, the remaining set offered forwards
 * and backwards in turn. A server that follows the client's order always
 * takes the first suite it accepts in the list as offered; once the set is
 * known, one answer that breaks that rule proves the server's order decides,
 * with no extra handshake. Otherwise the first two found, offered the other
 * way round, tell. With the server's order the suites are in its order; with
 * the client's, in registry order.
 */
async function eliminateSuites(
  candidates: number[],
  ask: (set: number[]) => Promise<HelloAnswer>,
  first: HelloAnswer,
): Promise<{ found: number[]; error?: HandshakeFailure; serverOrder: boolean | null }> {
  const pick = (a: HelloAnswer) => a.kind === "hello" ? a.serverHello.cipherSuite : undefined;
  const rounds: { offered: number[]; chose: number }[] = [];
  let round = 0;
  const alternating = (set: number[]) => {
    const offered = round++ % 2 === 0 ? set : [...set].reverse();
    return ask(offered).then((a) => {
      const c = pick(a);
      if (c !== undefined) rounds.push({ offered, chose: c });
      return a;
    });
  };
  const c1 = pick(first);
  if (c1 !== undefined) rounds.push({ offered: candidates, chose: c1 });
  round = 1;
  const e = await eliminate(candidates, alternating, pick, first);
  const found = new Set(e.found);
  const contradicts = rounds.some((r) => r.offered.find((c) => found.has(c)) !== r.chose);
  const order = contradicts ? true : await serverOrder(e.found, ask, pick);
  const suites = order === false ? candidates.filter((c) => found.has(c)) : e.found;
  return { found: suites, error: e.error, serverOrder: order };
}

/**
 * TLS 1.3 suites and groups together: a ClientHello with an empty key_share
 * is answered with a HelloRetryRequest naming both the suite and the group
 * (RFC 8446 §4.1.4), without the server signing anything, and in TLS 1.3 the
 * suite does not depend on the group nor the group on the suite. So each
 * handshake takes one of each out until one side runs dry; then each side
 * goes on alone, the other offered in full. One more handshake, both pairs
 * offered the other way round, tells whose order decides.
 */
async function suitesAndGroups13(
  p: Prober,
  vr: VersionResult,
  first: HelloAnswer | undefined,
): Promise<void> {
  const allS = suitesFor(TLS1_3);
  const allG = [...TLS13_GROUPS];
  const ask = (suites: number[], groups: number[]) =>
    p.hello({ versions: [TLS1_3], suites, groups, keyShares: [] });
  const pickS = (a: HelloAnswer) => a.kind === "hello" ? a.serverHello.cipherSuite : undefined;
  const pickG = (a: HelloAnswer) =>
    a.kind === "hello" ? a.serverHello.selectedGroup ?? a.serverHello.keyShare?.group : undefined;
  const fs: number[] = [];
  const fg: number[] = [];
  let rs = [...allS];
  let rg = [...allG];
  let a = first;
  for (;;) {
    a ??= await ask(rs, rg);
    const s = pickS(a);
    const g = pickG(a);
    if (s === undefined || g === undefined || !rs.includes(s) || !rg.includes(g)) break;
    fs.push(s);
    fg.push(g);
    rs = rs.filter((x) => x !== s);
    rg = rg.filter((x) => x !== g);
    a = undefined;
    if (!rs.length || !rg.length) break;
  }
  const [es, eg] = await Promise.all([
    rs.length ? eliminate(rs, (set) => ask(set, allG), pickS) : { found: [] as number[] },
    rg.length ? eliminate(rg, (set) => ask(allS, set), pickG) : { found: [] as number[] },
  ]);
  vr.suites = [...fs, ...es.found];
  vr.groups = [...fg, ...eg.found];
  const error = (es as { error?: HandshakeFailure }).error ??
    (eg as { error?: HandshakeFailure }).error;
  if (error) vr.error = error;
  // Whose order: both pairs offered the other way round, in one handshake.
  const [s0, s1] = vr.suites;
  const [g0, g1] = vr.groups;
  if (s1 === undefined && g1 === undefined) return;
  const o = await ask(
    s1 === undefined ? allS : [s1, s0],
    g1 === undefined ? allG : [g1, g0],
  );
  const cs = pickS(o);
  const cg = pickG(o);
  if (s1 !== undefined) vr.serverOrder = cs === s0 ? true : cs === s1 ? false : null;
  if (g1 !== undefined) vr.serverGroupOrder = cg === g0 ? true : cg === g1 ? false : null;
  if (vr.serverOrder === false) vr.suites = allS.filter((c) => vr.suites.includes(c));
}

/**
 * A version's result before anything is known: not accepted, no suites.
 *
 * @param code the version's wire code
 * @returns the empty result, named from the registry
 */
export function emptyVersion(code: number): VersionResult {
  return {
    version: versionName(code),
    code,
    accepted: false,
    suites: [],
    serverOrder: null,
    groups: [],
    serverGroupOrder: null,
    dhBits: [],
    dhGroups: [],
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
  const tick = () => {
    result.handshakes++;
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
    resumption: prober.resumption
      ? async (offer) => {
        guard();
        const a = await prober.resumption!(offer);
        tick(); // two connections: the full handshake and the resumption
        tick();
        return a;
      }
      : undefined,
    clientCertificate: prober.clientCertificate
      ? async (offer) => {
        guard();
        const a = await prober.clientCertificate!(offer);
        tick();
        return a;
      }
      : undefined,
  };
  const progress = o.progress ?? new ProgressPlan(o.onProgress);
  try {
    await run(p, o, result, progress);
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
    result.interrupted = true;
  }
  result.elapsedMs = clock() - started;
  if (!o.progress) progress.end(result.handshakes);
  return result;
}

/** The groups of the version ClientHellos: TLS 1.3's first (their answer starts TLS 1.3's group elimination), then the other curves. */
const VERSION_GROUPS: readonly number[] = [
  ...TLS13_GROUPS,
  ...ECDHE_GROUPS.filter((g) => !TLS13_GROUPS.includes(g)),
];

/** An unknown version above TLS 1.3, offered in the first ClientHello to see version intolerance. */
const NEXT_VERSION = 0x0305;

/** What the version phase found. */
interface Versions {
  /** Each accepted version's first answer (its first elimination round). */
  answers: Map<number, HelloAnswer>;
  /** Answers of versions that were refused (for errors). */
  failures: HelloAnswer[];
  /** Whether a connection was closed without an answer (then later phases offer only suites found). */
  dropped: boolean;
  /** Whether the server took a ClientHello offering an unknown higher version (undefined: not known). */
  tolerance?: { value: boolean; note: string };
}

/**
 * Versions by a chain of ClientHellos: offer every version up to a cap; the
 * server answers with the highest it accepts, which is accepted and every
 * version between the two is not; the next cap is the version below. A
 * protocol_version alert ends the chain: nothing lower is accepted. The first
 * ClientHello also offers an unknown higher version (version tolerance). When
 * the server answers anything else (another alert, a closed connection, or
 * anything but a version to the first ClientHello), the versions left are
 * each tried alone, as a version-intolerant server needs, and a dropped
 * connection is asked again with a few common suites.
 *
 * TLS 1.3 is offered with an empty key_share: the HelloRetryRequest names the
 * suite and the group without the server computing a key share or signing.
 * TLS 1.0–1.2 answers are read up to the ServerKeyExchange.
 */
async function detectVersions(
  wanted: number[],
  hello: (versions: number[], suites: number[]) => Promise<HelloAnswer>,
  tolerance: boolean,
): Promise<Versions> {
  const out: Versions = { answers: new Map(), failures: [], dropped: false };
  const offerFor = (cap: number) => {
    const vs = wanted.filter((v) => v <= cap);
    // SSL 3.0 is offered only on its own (it carries no extensions).
    return vs.length > 1 ? vs.filter((v) => v !== SSL3) : vs;
  };
  const suitesOf = (vs: number[]) => [...new Set(vs.flatMap(suitesFor))];
  let rest = [...wanted];
  let first = true;
  while (rest.length) {
    const cap = rest[0];
    const vs = offerFor(cap);
    const withNext = first && tolerance && cap >= TLS1_2;
    const a = await hello(withNext ? [NEXT_VERSION, ...vs] : vs, suitesOf(vs));
    if (a.kind === "dropped") out.dropped = true;
    if (withNext && a.kind === "hello" && vs.includes(a.serverHello.version)) {
      out.tolerance = {
        value: true,
        note: `offered up to 0x0305: ${versionName(a.serverHello.version)} chosen`,
      };
    }
    const wasFirst = first;
    first = false;
    if (a.kind === "hello" && vs.includes(a.serverHello.version)) {
      const v = a.serverHello.version;
      out.answers.set(v, a);
      rest = rest.filter((x) => x < v);
      continue;
    }
    out.failures.push(a);
    // A server that already negotiated a version refuses the lower ones with
    // protocol_version; from the first ClientHello it may be intolerance.
    if (!wasFirst && a.kind === "alert" && a.alert === "protocol_version") return out;
    // A target that cannot be reached, stays silent or speaks no TLS is not asked again.
    const f = failureOf(a);
    if (f && FATAL.has(f.code)) return out;
    break;
  }
  if (!rest.length) return out;
  // Each version left alone; a dropped connection again with common suites only.
  await Promise.all(rest.map(async (v) => {
    let a = await hello([v], suitesFor(v));
    if (a.kind === "dropped") {
      out.dropped = true;
      a = await hello([v], COMMON_SUITES.filter((c) => suitesFor(v).includes(c)));
    }
    if (a.kind === "hello" && a.serverHello.version === v) out.answers.set(v, a);
    else out.failures.push(a);
  }));
  return out;
}

async function run(
  p: Prober,
  o: PlanOptions,
  r: PlannedScan,
  progress: ProgressPlan,
): Promise<void> {
  const wanted = SCAN_VERSIONS.filter((v) => !o.versions || o.versions.includes(v));
  const sni = o.serverName;
  const helloAtOf = (q: Prober): HelloAt => (v, suites, extra = {}) =>
    q.hello({
      versions: [v],
      suites,
      keyShares: v >= TLS1_3 ? [X25519] : undefined,
      ...extra,
    });
  /** Runs one part of the plan, its handshakes counted against its estimate. */
  const track = async <R>(
    phase: string,
    estimate: number,
    f: (q: Prober, helloAt: HelloAt) => Promise<R>,
  ): Promise<R> => {
    const part = progress.part(phase, estimate);
    const q = countOn(p, part);
    try {
      return await f(q, helloAtOf(q));
    } finally {
      part.finish();
    }
  };

  // Phase 1: the version chain, and SSLv2 beside it. A chain usually takes
  // three ClientHellos (the highest version, the next, a refusal). What
  // follows is planned once the versions are known; until then it counts as
  // its estimate for a common two-version server.
  const later = progress.part("versions", ESTIMATE.afterVersions);
  const trySslv2 = !o.versions || o.versions.includes(0x0300) || o.versions.includes(0x0002);
  const [found, v2] = await Promise.all([
    track("versions", Math.min(wanted.length, 3), (q) =>
      detectVersions(
        wanted,
        (versions, suites) =>
          q.hello({
            versions,
            suites,
            groups: [...VERSION_GROUPS],
            keyShares: [],
            untilKeyExchange: true,
          }),
        !o.versions,
      )),
    trySslv2 ? track("SSLv2", 1, (q) => q.sslv2()) : Promise.resolve({ accepted: false }),
  ]);
  r.sslv2 = v2.accepted;
  later.finish();
  if (o.signal?.aborted) {
    r.versions = wanted.map(emptyVersion);
    throw new Interrupted();
  }
  const accepted = wanted.filter((v) => found.answers.has(v));
  if (!accepted.length && !r.sslv2) {
    const fails = found.failures.map(failureOf);
    const fatal = fails.find((f) => f && FATAL.has(f.code));
    const any = fails.find((f) => f);
    const dropped = found.failures.length > 0 &&
      found.failures.every((a) => a.kind === "dropped");
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
  const results = wanted.map(emptyVersion);
  r.versions = results;
  for (const vr of results) vr.accepted = accepted.includes(vr.code);
  if (found.tolerance) r.features.versionTolerance = found.tolerance;

  // Phase 2, all at once: suites per version by elimination (TLS 1.3 with its
  // groups), and everything that needs only to know the versions.
  // Each part's estimate is what it takes on a common server (OpenSSL's
  // defaults); the total is revised as parts run longer or end sooner.
  const v13 = results.find((v) => v.code === TLS1_3 && v.accepted);
  const legacy = results.filter((v) => v.code < TLS1_3 && v.accepted);
  const top12 = legacy[0];
  const acceptedCodes = accepted;
  const done = new Map<number, Promise<void>>();
  /**
   * The suites later phases offer at a version: every candidate (the server
   * takes one it accepts), or, with a server that closed connections instead
   * of answering, only those found once its elimination ends.
   */
  const offer: Offer = async (code) => {
    if (!found.dropped) return suitesFor(code);
    await done.get(code);
    return results.find((v) => v.code === code)?.suites ?? [];
  };
  const eliminations = results.filter((v) => v.accepted).map((vr) =>
    [
      vr,
      () =>
        (vr.code === TLS1_3
          ? track(`${vr.version} suites and groups`, ESTIMATE.suitesAndGroups13, (q) => {
            const first = found.answers.get(vr.code)!;
            const hrr = first.kind === "hello" && first.serverHello.helloRetryRequest;
            return suitesAndGroups13(q, vr, hrr ? first : undefined);
          })
          : track(`${vr.version} suites`, ESTIMATE.suites, async (_q, helloAt) => {
            const first = found.answers.get(vr.code)!;
            const answers: HelloAnswer[] = [first];
            const ask = async (set: number[]) => {
              const a = await helloAt(vr.code, set, { untilKeyExchange: true });
              answers.push(a);
              return a;
            };
            const e = await eliminateSuites(suitesFor(vr.code), ask, first);
            vr.suites = e.found;
            if (e.error) vr.error = e.error;
            vr.serverOrder = e.serverOrder;
            // DHE prime sizes, and RFC 7919 groups, from the ServerKeyExchanges already read.
            const bits = new Set<number>();
            const named = new Set<number>();
            for (const a of answers) {
              if (a.kind === "hello" && isDhe(a.serverHello.cipherSuite) && a.keyExchange?.dhBits) {
                bits.add(a.keyExchange.dhBits);
                if (a.keyExchange.dhGroup !== undefined) named.add(a.keyExchange.dhGroup);
              }
            }
            vr.dhBits = [...bits].sort((x, y) => x - y);
            vr.dhGroups = [...named].sort((x, y) => x - y);
          })).then(() => {
            if (!vr.suites.length) vr.accepted = false;
          }),
    ] as const
  );
  for (const [vr, f] of eliminations) done.set(vr.code, f());
  // The TLS 1.3 schemes the certificate handshakes saw start that elimination.
  let seen13: (codes: number[]) => void = () => {};
  const schemes13 = new Promise<number[]>((resolve) => seen13 = resolve);
  if (o.signal?.aborted) throw new Interrupted();
  await Promise.all([
    ...done.values(),
    top12
      ? track(
        `${top12.version} groups and signature schemes`,
        ESTIMATE.groupsAndSigalgs12,
        (_q, helloAt) => groupsAndSigalgs12(top12, helloAt, offer),
      )
      : undefined,
    v13
      ? track(
        `${v13.version} signature schemes`,
        ESTIMATE.sigalgs13,
        (q) => sigalgs13(q, v13, offer, schemes13),
      )
      : undefined,
    track(
      "certificates and SNI",
      KEY_TYPES.length + 2,
      (q) => certificates(q, r, results, acceptedCodes, offer, sni, seen13),
    ),
    track("ALPN", ESTIMATE.alpn, (q, helloAt) => alpn(q, r, v13, top12, helloAt, offer)),
    track(
      "features",
      ESTIMATE.features,
      (q) =>
        features(q, r, results, top12, v13, offer, async (code) => {
          await done.get(code);
          return results.find((v) => v.code === code)?.suites ?? [];
        }),
    ),
  ]);
  r.features = orderFeatures(r.features);
}

/**
 * Handshakes each part of the plan is expected to take on a common server
 * (OpenSSL 3.0's defaults: about ten TLS 1.2 suites found one per handshake,
 * three TLS 1.3 suites beside five groups), for the progress total only.
 */
const ESTIMATE = {
  afterVersions: 40,
  suites: 12,
  suitesAndGroups13: 7,
  groupsAndSigalgs12: 14,
  sigalgs13: 6,
  alpn: 2,
  // The feature hello, fallback SCSV, and three resumptions of two connections each.
  features: 8,
} as const;

/** A prober whose handshakes are counted on one part of the progress. */
function countOn(p: Prober, part: ProgressPart): Prober {
  const one = <A>(n: number, f: () => Promise<A>) => async () => {
    part.start(n);
    const a = await f();
    part.done(n);
    return a;
  };
  return {
    hello: (offer) => one(1, () => p.hello(offer))(),
    inspect: (offer) => one(1, () => p.inspect(offer))(),
    sslv2: () => one(1, () => p.sslv2())(),
    resumption: p.resumption ? (offer) => one(2, () => p.resumption!(offer))() : undefined,
    clientCertificate: p.clientCertificate
      ? (offer) => one(1, () => p.clientCertificate!(offer))()
      : undefined,
  };
}

/** The suites a phase offers at a version. */
type Offer = (code: number) => Promise<number[]>;

type HelloAt = (v: number, suites: number[], extra?: Partial<HelloOffer>) => Promise<HelloAnswer>;

/** The certificate key types a TLS 1.2 key exchange is signed with, by suite authentication. */
const SIGNING_AU = ["RSA", "ECDSA", "DSS"];

/**
 * TLS 1.0–1.2 groups (ECDHE) and TLS 1.2 signature schemes, from the
 * ServerKeyExchange. Schemes are asked per key type, offering only suites
 * authenticated by it: OpenSSL picks the suite first and then fails when no
 * offered scheme fits that suite's certificate rather than trying another
 * suite, so a server with RSA and ECDSA certificates would never show its
 * ECDSA schemes. The server picks the group and the scheme apart, so for the
 * first key type with ECDHE suites, while both sides last, one handshake
 * takes one of each out; when it is refused each side goes on alone.
 */
async function groupsAndSigalgs12(
  v: VersionResult,
  helloAt: HelloAt,
  offer: Offer,
): Promise<void> {
  const all = await offer(v.code);
  const ecdhe = all.filter(isEcdhe);
  // signature_algorithms exists from TLS 1.2 on.
  const signed = v.code === TLS1_2 ? all.filter(isSignedKx) : [];
  const byAu = SIGNING_AU.map((au) => signed.filter((c) => cipherSuiteByCode(c)?.au === au))
    .filter((x) => x.length);
  const askG = (set: number[]) => helloAt(v.code, ecdhe, { groups: set, untilKeyExchange: true });
  const askS = (suites: number[]) => (set: number[]) =>
    helloAt(v.code, suites, { sigalgs: set, untilKeyExchange: true });
  const pickG = (a: HelloAnswer) => a.kind === "hello" ? a.keyExchange?.group : undefined;
  const pickS = (a: HelloAnswer) => a.kind === "hello" ? a.keyExchange?.scheme : undefined;
  const fg: number[] = [];
  const fs: number[] = [];
  let rg = [...ECDHE_GROUPS];
  let rs = [...TLS12_SIGALGS];
  const jointAt = byAu.findIndex((suites) => suites.some(isEcdhe));
  if (jointAt >= 0) {
    const both = byAu[jointAt].filter(isEcdhe);
    for (;;) {
      const a = await helloAt(v.code, both, { groups: rg, sigalgs: rs, untilKeyExchange: true });
      const g = pickG(a);
      const sc = pickS(a);
      if (g === undefined || sc === undefined || !rg.includes(g) || !rs.includes(sc)) break;
      fg.push(g);
      fs.push(sc);
      rg = rg.filter((x) => x !== g);
      rs = rs.filter((x) => x !== sc);
      if (!rg.length || !rs.length) break;
    }
  }
  const none = { found: [] as number[] };
  const [eg, ...es] = await Promise.all([
    ecdhe.length && rg.length ? eliminate(rg, askG, pickG) : none,
    ...byAu.map((suites, i) =>
      i === jointAt
        ? rs.length ? eliminate(rs, askS(suites), pickS) : none
        : eliminate(TLS12_SIGALGS, askS(suites), pickS)
    ),
  ]);
  v.groups = [...fg, ...eg.found];
  v.sigalgs = [...new Set([...fs, ...es.flatMap((e) => e.found)])];
  v.serverGroupOrder = await serverOrder(v.groups, askG, pickG);
}

/**
 * TLS 1.3 signature schemes by elimination, starting from those the
 * certificate handshakes already saw (each accepted), so each key type's
 * first scheme costs no handshake of its own.
 */
async function sigalgs13(
  p: Prober,
  v: VersionResult,
  offer: Offer,
  seen: Promise<number[]>,
): Promise<void> {
  const suites = await offer(TLS1_3);
  const seeded = [...new Set(await seen)].filter((c) => TLS13_SIGALGS.includes(c));
  const ask = (set: number[]) =>
    p.inspect({ versions: [TLS1_3], suites, sigalgs: set, ticketWaitMs: 0 });
  const pick = (a: InspectAnswer) =>
    a.kind === "ok" && a.signatureScheme
      ? signatureSchemeByName(a.signatureScheme)?.code
      : undefined;
  const rest = TLS13_SIGALGS.filter((c) => !seeded.includes(c));
  v.sigalgs = [...seeded, ...(await eliminate(rest, ask, pick)).found];
}

async function certificates(
  p: Prober,
  r: PlannedScan,
  results: VersionResult[],
  versions: number[],
  offer: Offer,
  sni: string | null,
  onSchemes13: (codes: number[]) => void,
): Promise<void> {
  const v13 = results.find((v) => v.code === TLS1_3 && v.accepted);
  const allSuites = [...new Set((await Promise.all(versions.map(offer))).flat())];
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
  onSchemes13(oks.flatMap((a) => {
    const c = a.version === TLS1_3 && a.signatureScheme
      ? signatureSchemeByName(a.signatureScheme)?.code
      : undefined;
    return c === undefined ? [] : [c];
  }));
  const req = oks.find((a) => a.certificateRequest);
  if (req?.certificateRequest) {
    let required = oks.some((a) => a.postHandshakeAlert === "certificate_required")
      ? true
      : oks.some((a) => a.version === TLS1_3 && a.sessionTicket === true)
      ? false
      : null;
    // TLS 1.3, neither a ticket nor an alert within the scaled wait: once
    // more, waiting the whole bound (a loaded server may be slow to answer).
    if (required === null && req.version >= TLS1_3) {
      const again = await p.inspect({
        versions: [TLS1_3],
        suites: await offer(TLS1_3),
        ticketWaitMs: 1000,
        fixedTicketWait: true,
      });
      if (again.kind === "ok") {
        required = again.postHandshakeAlert === "certificate_required"
          ? true
          : again.sessionTicket === true
          ? false
          : null;
      }
    }
    // TLS 1.0–1.2: answer the request with no certificate and see.
    if (required === null && req.version < TLS1_3 && p.clientCertificate) {
      const kx = (await offer(req.version)).filter(isSignedKx);
      if (kx.length) {
        required = (await p.clientCertificate({ versions: [req.version], suites: kx })).required;
      }
    }
    r.clientCertificate = { requested: true, required, caNames: [] };
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
  offer: Offer,
): Promise<void> {
  type A = HelloAnswer | InspectAnswer;
  let ask: (set: string[]) => Promise<A>;
  if (top12 && top12.code === TLS1_2) {
    const suites = await offer(TLS1_2);
    ask = (set) => helloAt(TLS1_2, suites, { alpn: set });
  } else if (v13) {
    const suites = await offer(TLS1_3);
    ask = (set) => p.inspect({ versions: [TLS1_3], suites, alpn: set, ticketWaitMs: 0 });
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
  offer: Offer,
  acceptedAt: Offer,
): Promise<void> {
  const f = r.features;
  const acc = results.filter((v) => v.accepted);
  const jobs: Promise<void>[] = [];
  if (top12) {
    jobs.push((async () => {
      const all = await offer(top12.code);
      const cbc = all.filter(isCbc);
      const a = await p.hello({
        versions: [top12.code],
        suites: [...cbc, ...all.filter((c) => !cbc.includes(c))],
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
      f.encryptThenMac = isCbc(sh.cipherSuite)
        ? {
          value: sh.encryptThenMac,
          note: `${
            sh.encryptThenMac ? "acknowledged" : "not acknowledged"
          } with a CBC suite (RFC 7366)`,
        }
        : {
          value: null,
          note:
            "the server chose a suite that is not CBC, with CBC suites offered first: not applicable",
        };
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
      // A completed handshake, then its session ID (no ticket offered) and,
      // apart, its RFC 5077 ticket: with the accepted suites this client can finish.
      // ECDHE, then RSA, then DHE (a DHE handshake costs a modular exponentiation
      // here, RSA a small one), AEAD before CBC.
      const cost = (c: number) => isDhe(c) ? 2 : isEcdhe(c) ? 0 : 1;
      const finishable = all.filter(canFinish12).sort((a, b) =>
        cost(a) - cost(b) || Number(isCbc(a)) - Number(isCbc(b))
      );
      const resume = (sessionTicket: boolean) =>
        p.resumption!({ versions: [top12.code], suites: finishable, sessionTicket });
      let why = !p.resumption
        ? "not tested"
        : `no accepted ${name} suite this client can finish (the full handshake comes first)`;
      let [byId, byTicket] = await Promise.all([
        p.resumption && finishable.length ? resume(false) : undefined,
        p.resumption && finishable.length && sh.sessionTicket ? resume(true) : undefined,
      ]);
      // Unknown: if every suite the server accepts is one this client cannot
      // finish (ARIA, SEED, GOST…), say so, by name, once the suites are known.
      const unknown = (x: { resumed: boolean | null } | undefined) => !x || x.resumed === null;
      if (p.resumption && (unknown(byId) || (sh.sessionTicket && unknown(byTicket)))) {
        const accepted = await acceptedAt(top12.code);
        if (accepted.length && !accepted.some(canFinish12)) {
          why = `not tested: the server's only ${name} suites (${
            suiteList(accepted)
          }) cannot be completed by this client (it has no ARIA, SEED or GOST cipher)`;
          if (byId?.resumed === null) byId = undefined;
          if (byTicket?.resumed === null) byTicket = undefined;
        }
      }
      f.sessionIdResumption = byId
        ? { value: byId.resumed, note: byId.note }
        : { value: null, note: why };
      f.ticketResumption = byTicket
        ? { value: byTicket.resumed, note: byTicket.note }
        : sh.sessionTicket
        ? { value: null, note: why }
        : { value: false, note: `no session ticket announced (${name})` };
    })());
  } else if (v13) {
    f.secureRenegotiation = { value: null, note: "TLS 1.3 only: renegotiation does not exist" };
    f.compression = { value: false, note: "TLS 1.3 only: no compression" };
  }
  // TLS 1.3: a ticket from a completed handshake offered as a PSK.
  if (v13 && p.resumption) {
    jobs.push((async () => {
      const res = await p.resumption!({ versions: [TLS1_3], suites: await offer(TLS1_3) });
      f.tls13Resumption = { value: res.resumed, note: res.note };
    })());
  }
  // TLS_FALLBACK_SCSV: the second-highest version with the SCSV must be refused.
  if (acc.length >= 2) {
    const lower = acc[1];
    jobs.push((async () => {
      const a = await p.hello({
        versions: [lower.code],
        suites: await offer(lower.code),
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
  // Version intolerance: a ClientHello offering an unknown higher version
  // (0x0305), unless the version phase already offered it.
  if (acc.length && !f.versionTolerance) {
    jobs.push((async () => {
      const top = acc[0].code;
      const a = await p.hello({
        versions: [0x0305, ...acc.map((v) => v.code)],
        suites: [...new Set((await Promise.all(acc.map((v) => offer(v.code)))).flat())],
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

/** Suites by IANA name: up to six, or the first five and how many more. */
function suiteList(codes: number[]): string {
  const names = codes.map((c) =>
    cipherSuiteByCode(c)?.iana ?? `0x${c.toString(16).padStart(4, "0")}`
  );
  return names.length > 6
    ? `${names.slice(0, 5).join(", ")} and ${names.length - 5} more`
    : names.join(", ");
}

const FEATURE_ORDER = [
  "fallbackScsv",
  "secureRenegotiation",
  "compression",
  "sessionTicket",
  "tls13Tickets",
  "sessionIdResumption",
  "ticketResumption",
  "tls13Resumption",
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
