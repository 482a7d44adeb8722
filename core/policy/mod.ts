/**
 * Context policies: declarative TLS requirements (versions, cipher string and
 * suites, TLS 1.3 suites, groups, key sizes, verification, trust, client
 * certificates, ALPN, hostname check, compression, server preference), the
 * built-ins (Python's default contexts, the book's locked server, Mozilla's
 * profiles), JSON loading against the committed schema, and evaluation of a
 * policy against what was observed.
 *
 * @example
 * ```ts
 * import { builtinPolicy, evaluatePolicy, resolvePolicy } from "./mod.ts";
 * const env = {
 *   expandCipherString: () => [],
 *   findSuite: (n: string) => n === "ECDHE-RSA-AES128-GCM-SHA256" ? { code: 0xc02f } : undefined,
 * };
 * const rp = resolvePolicy(builtinPolicy("mozilla-modern")!, env);
 * const r = evaluatePolicy(rp, { peer: "server", outcome: "ok", version: "TLSv1.2" });
 * console.assert(r.verdict === "fail");
 * ```
 *
 * @module
 */
export * from "./model.ts";
export * from "./builtins.ts";
export * from "./schema.ts";
export * from "./resolve.ts";
export * from "./evaluate.ts";
export * from "./hello.ts";
export * from "./env.ts";
export * from "./check.ts";
export * from "./stream.ts";
