/**
 * The scanner: what a server accepts (versions, suites per version and their
 * order, groups, signature schemes, certificates per key type, ALPN, SNI
 * behaviour, features) by planned elimination, and the verdicts on it. Pure:
 * handshakes run through a {@link Prober} (`core/net/scan.ts` over TCP).
 *
 * @module
 */
export * from "./model.ts";
export * from "./candidates.ts";
export * from "./limit.ts";
export * from "./hello.ts";
export * from "./plan.ts";
export * from "./evaluate.ts";
export * from "./progress.ts";
