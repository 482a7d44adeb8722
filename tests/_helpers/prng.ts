/**
 * mulberry32: a small seeded PRNG for fuzz tests and generated corpora, so a
 * failure can be replayed from its seed. Not for anything secret.
 *
 * @param seed any 32-bit number
 * @returns a function giving numbers in [0, 1)
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * How many inputs a fuzz test runs: a quarter of its full count in
 * `deno task test` (the fuzz tier runs beside the integration tier and
 * competes with it for the CPU), the full count with `TLSPROBE_FUZZ_FULL=1`
 * (`deno task fuzz`). The sequence is seeded, so the quick run is the first
 * quarter of the full one: the same inputs, fewer of them.
 *
 * @param full the full count
 * @returns the count for this run
 */
export function fuzzCount(full: number): number {
  let wanted = false;
  try {
    wanted = !!Deno.env.get("TLSPROBE_FUZZ_FULL");
  } catch {
    // No permission to read it: the quick count.
  }
  return wanted ? full : Math.ceil(full / 4);
}
