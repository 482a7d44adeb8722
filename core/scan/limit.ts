/**
 * A counting semaphore: at most `n` tasks at once. One per target and one
 * shared by all targets bound the handshakes in flight.
 *
 * @module
 */

/** At most `max` tasks run at once; the others wait in order. */
export class Limiter {
  /** How many tasks may run at once. */
  readonly max: number;
  #active = 0;
  #queue: (() => void)[] = [];

  /**
   * Creates a limiter.
   *
   * @param max how many at once (at least 1)
   */
  constructor(max: number) {
    this.max = Math.max(1, Math.floor(max));
  }

  /**
   * Runs a task when a slot is free.
   *
   * @param task the work
   * @returns its result
   * @example
   * ```ts
   * import { Limiter } from "./limit.ts";
   * const l = new Limiter(2);
   * console.assert((await l.run(() => Promise.resolve(3))) === 3);
   * ```
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.max) {
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    } else {
      this.#active++;
    }
    try {
      return await task();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#active--;
    }
  }
}

/**
 * Runs a task under several limiters (e.g. the target's and the global one).
 *
 * @param limiters outermost first
 * @param task the work
 * @returns its result
 */
export function runLimited<T>(limiters: Limiter[], task: () => Promise<T>): Promise<T> {
  return limiters.reduceRight<() => Promise<T>>((inner, l) => () => l.run(inner), task)();
}
