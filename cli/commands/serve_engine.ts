/**
 * `serve --engine auto|runtime|lab`: which TLS serves, and the lab engine's
 * configuration from `-p`, `-C`, `--groups`, `--dhparam`,
 * `--server-preference` and `--policy`. `auto` takes the runtime's TLS when
 * it can honour the configuration (versions within TLS 1.2–1.3, no suite,
 * group, DH or preference setting, a policy that allows every suite the
 * runtime may choose) and the lab engine otherwise; both ask for client
 * certificates; STARTTLS needs the runtime's TLS.
 *
 * @module
 */
import { UsageError } from "../args.ts";
import { TlsprobeError } from "../../core/errors.ts";
import { expandCipherString } from "../../core/openssl/cipher_string.ts";
import { engineServes, LEGACY_SUITES } from "../../core/handshake/server_suites.ts";
import { dhParamsForBits, parseDhParams } from "../../core/handshake/dh_params.ts";
import type { LabServerConfig, LabSessionInfo } from "../../core/handshake/server.ts";
import { parseGroupList } from "../../core/handshake/offer.ts";
import {
  cipherSuiteByCode,
  cipherSuiteByName,
  isTls13Suite,
} from "../../core/registry/cipher_suites.ts";
import { groupByName, groupName } from "../../core/registry/groups.ts";
import { versionName } from "../../core/registry/versions.ts";
import type { ResolvedPolicy } from "../../core/policy/mod.ts";
import { runtimeSuites } from "../../core/net/features.ts";
import { readFileText } from "../../core/net/pem.ts";
import type { ClientInfo } from "../../core/net/server.ts";
import { SCHEMA_VERSION } from "../../core/report/envelope.ts";
import { out } from "../output.ts";
import { pyStrRepr } from "../../core/report/pyrepr.ts";

/** Versions `-p` names. */
export type ServeVersion = "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

/** Wire codes of {@link ServeVersion}. */
export const SERVE_VERSION_CODES: Record<ServeVersion, number> = {
  "TLSv1": 0x0301,
  "TLSv1.1": 0x0302,
  "TLSv1.2": 0x0303,
  "TLSv1.3": 0x0304,
};

/** The flags that configure the engine. */
export interface EngineFlags {
  engine?: "auto" | "runtime" | "lab";
  protocol?: { min: ServeVersion; max: ServeVersion };
  ciphers?: string;
  groups?: string;
  dhparam?: string;
  serverPreference?: boolean;
  alpn?: string[];
  clientCa?: string;
  starttls?: string;
}

/** OpenSSL 3.0's default TLS 1.3 suite order (`-ciphersuites`). */
const TLS13_DEFAULT = [0x1302, 0x1303, 0x1301];
/** OpenSSL 3.0's default group order that this engine serves. */
const GROUPS_DEFAULT = [0x001d, 0x0017, 0x001e, 0x0019, 0x0018];

/**
 * Why the configuration needs the lab engine (empty: the runtime's TLS can honour it).
 *
 * @param flags the parsed flags
 * @param policy the policy, if any
 * @returns the reasons, as option names
 */
export async function labReasons(
  flags: EngineFlags,
  policy: ResolvedPolicy | undefined,
): Promise<string[]> {
  const why: string[] = [];
  if (flags.ciphers !== undefined) why.push("-C/--ciphers");
  if (flags.groups !== undefined) why.push("--groups");
  if (flags.dhparam !== undefined) why.push("--dhparam");
  if (flags.serverPreference) why.push("--server-preference");
  if (flags.protocol && SERVE_VERSION_CODES[flags.protocol.min] < 0x0303) {
    why.push(`-p ${flags.protocol.min}`);
  }
  if (policy) {
    const p = policy.policy;
    const name = `policy ${p.name}`;
    if (p.versions?.some((v) => !["TLSv1.2", "TLSv1.3"].includes(v))) {
      why.push(`${name} (versions below TLS 1.2)`);
    }
    if (policy.groups) why.push(`${name} (groups)`);
    const runtime = (await runtimeSuites())?.cipherSuites;
    const allowed = new Set([
      ...(policy.suites ?? []).map((s) => s.code),
      ...(policy.tls13Suites ?? []).map((s) => s.code),
    ]);
    const versions = policy.versions;
    const uncovered = runtime?.filter((c) =>
      (isTls13Suite(c) ? policy.tls13Suites : policy.suites) !== null &&
      !allowed.has(c) &&
      (!versions || versions.has(isTls13Suite(c) ? "TLSv1.3" : "TLSv1.2"))
    ) ?? [];
    if (uncovered.length) {
      why.push(`${name} (suites: the runtime's TLS would choose outside them)`);
    }
  }
  return why;
}

/**
 * Picks the engine: the `--engine` choice, checked against what each can do.
 *
 * @param flags the parsed flags
 * @param policy the policy, if any
 * @returns the engine and, for the lab engine, why
 * @throws UsageError when the settings need both engines, or the named one cannot serve them
 */
export async function chooseEngine(
  flags: EngineFlags,
  policy: ResolvedPolicy | undefined,
): Promise<{ engine: "runtime" | "lab"; reasons: string[] }> {
  const reasons = await labReasons(flags, policy);
  const runtimeOnly = flags.starttls ? ["--starttls"] : [];
  const choice = flags.engine ?? "auto";
  if (choice === "runtime") {
    const hard = reasons.filter((r) => !r.startsWith("policy"));
    if (hard.length) {
      throw new UsageError(
        `${hard.join(", ")} need(s) --engine lab (the runtime's TLS cannot be told suites, ` +
          "groups, DH parameters, preference or versions below TLS 1.2)",
      );
    }
    return { engine: "runtime", reasons: [] };
  }
  if (choice === "lab" || reasons.length) {
    if (runtimeOnly.length) {
      throw new UsageError(
        `${runtimeOnly.join(" and ")} need(s) the runtime's TLS, but ${
          choice === "lab" ? "--engine lab" : reasons.join(", ")
        } need(s) the lab engine; the lab engine does not speak STARTTLS yet`,
      );
    }
    return { engine: "lab", reasons: choice === "lab" ? ["--engine lab"] : reasons };
  }
  return { engine: "runtime", reasons: [] };
}

/**
 * The lab engine's configuration from the flags and the policy (flags win).
 *
 * @param flags the parsed flags
 * @param policy the policy, if any
 * @returns the configuration (without identities) and notes for stderr
 * @throws TlsprobeError BAD_INPUT (a cipher string, group list or DH file), USAGE
 */
export async function labEngineConfig(
  flags: EngineFlags,
  policy: ResolvedPolicy | undefined,
): Promise<{ config: Omit<LabServerConfig, "identities">; notes: string[] }> {
  const notes: string[] = [];
  const codes = Object.values(SERVE_VERSION_CODES);
  const versions = flags.protocol
    ? codes.filter((v) =>
      v >= SERVE_VERSION_CODES[flags.protocol!.min] && v <= SERVE_VERSION_CODES[flags.protocol!.max]
    )
    : policy?.versions
    ? codes.filter((v) => policy.versions!.has(versionName(v) as never))
    : [0x0303, 0x0304];
  if (!versions.length) {
    throw new TlsprobeError("USAGE", "No TLS version left to serve (TLS 1.0 to 1.3 are served)");
  }
  let legacy: number[];
  if (flags.ciphers !== undefined) {
    // OpenSSL 3.0, which the cipher-string engine follows, has no RC4 or 3DES
    // suites; the lab engine serves them when named exactly (OpenSSL or IANA name).
    const literal = flags.ciphers.split(/[:,\s]+/).map((t) => cipherSuiteByName(t)?.code)
      .filter((c): c is number => {
        const cipher = c === undefined ? undefined : LEGACY_SUITES.get(c)?.cipher;
        return cipher === "RC4" || cipher === "3DES-CBC";
      });
    let exp;
    try {
      exp = expandCipherString(flags.ciphers);
    } catch (e) {
      if (literal.length) exp = { suites: [] };
      else if (e instanceof TlsprobeError) throw e;
      else {
        throw new TlsprobeError(
          "BAD_INPUT",
          `Cannot read the cipher string: ${(e as Error).message}`,
        );
      }
    }
    const all = exp.suites.filter((s) => !isTls13Suite(s.code)).map((s) => s.code);
    legacy = [...all.filter(engineServes), ...literal.filter((c) => !all.includes(c))];
    const skipped = all.filter((c) => !engineServes(c));
    if (skipped.length) {
      notes.push(
        `the lab engine does not serve ${skipped.length} suite(s) of ${
          JSON.stringify(flags.ciphers)
        }: ${skipped.map((c) => cipherSuiteByCode(c)?.openssl ?? c).join(", ")}`,
      );
    }
    if (!legacy.length && !versions.includes(0x0304)) {
      throw new TlsprobeError(
        "BAD_INPUT",
        `${JSON.stringify(flags.ciphers)} leaves no suite the lab engine serves`,
      );
    }
  } else if (policy?.suites) {
    legacy = policy.suites.map((s) => s.code).filter(engineServes);
  } else {
    legacy = expandCipherString("DEFAULT").suites.map((s) => s.code).filter((c) =>
      !isTls13Suite(c) && engineServes(c)
    );
  }
  const tls13 = policy?.tls13Suites ? policy.tls13Suites.map((s) => s.code) : TLS13_DEFAULT;
  let groups = GROUPS_DEFAULT;
  if (flags.groups !== undefined) groups = parseGroupList(flags.groups);
  else if (policy?.groups) {
    groups = [...policy.groups].map((n) => groupByName(n)?.code).filter((c): c is number =>
      c !== undefined
    );
  }
  let dh;
  if (flags.dhparam !== undefined) {
    dh = /^\d+$/.test(flags.dhparam)
      ? dhParamsForBits(Number(flags.dhparam))
      : parseDhParams(await readFileText(flags.dhparam, "DH parameters file"));
  }
  return {
    config: {
      versions,
      suites: [...tls13, ...legacy],
      groups,
      ...(dh ? { dh } : {}),
      serverPreference: flags.serverPreference ?? policy?.policy.serverCipherPreference ?? false,
      alpn: flags.alpn ?? policy?.policy.alpn?.protocols,
    },
    notes,
  };
}

/**
 * One line about a lab-engine session: version, suite, group, ALPN.
 *
 * @param info what was negotiated
 * @returns the text
 */
export function describeLabSession(info: LabSessionInfo): string {
  const suite = cipherSuiteByCode(info.suite);
  return `${versionName(info.version)} ${suite?.openssl ?? suite?.iana ?? info.suite}${
    info.group !== undefined ? `, group ${groupName(info.group)}` : ""
  }${info.dhBits ? `, DH ${info.dhBits} bits` : ""}${
    info.helloRetry ? " (after HelloRetryRequest)" : ""
  }, ALPN ${info.alpn ?? "none"}`;
}

/**
 * The log pieces both engines' `serve` share: a client's address as
 * `host:port` (`[v6]:port`), one JSON event line, and the byte-count events
 * (a JSON line with `--json`, a text line with `-v`, nothing otherwise), and
 * the connection event (test_tls.py's "Connection from host …" line).
 *
 * @param flags `--json` and `-v`
 * @returns `who`, `line`, `connection`, `sent` and `received`
 */
export function serveLog(flags: { json?: boolean; verbose?: boolean }): {
  who: (c: ClientInfo) => string;
  line: (event: string, fields: Record<string, unknown>) => void;
  connection: (c: ClientInfo) => void;
  sent: (c: ClientInfo, n: number) => void;
  received: (c: ClientInfo, n: number) => void;
} {
  const who = (c: ClientInfo) =>
    c.host.includes(":") ? `[${c.host}]:${c.port}` : `${c.host}:${c.port}`;
  const line = (event: string, fields: Record<string, unknown>) =>
    out(JSON.stringify({ schemaVersion: SCHEMA_VERSION, event, ...fields }));
  const bytes = (what: "sent" | "received") => (c: ClientInfo, n: number) => {
    if (flags.json) line(what, { client: c.id, bytes: n });
    else if (flags.verbose) out(`  ${who(c)}: ${what} ${n} bytes`);
  };
  const connection = (c: ClientInfo) =>
    flags.json
      ? line("connection", { client: c.id, host: c.host, port: c.port })
      : out(`Connection from host ${pyStrRepr(c.host)} and port ${c.port}`);
  return { who, line, connection, sent: bytes("sent"), received: bytes("received") };
}
