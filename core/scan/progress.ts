/**
 * A scan's progress in handshakes: how many are done and how many the plan
 * expects in all. The plan is made of parts (the version chain, each
 * version's suite elimination, groups, certificates, ALPN, features…); each
 * part starts with an estimate of its handshakes, and the total is, over the
 * parts, the handshakes a finished part made, or for a running part the
 * larger of its estimate and the handshakes it has started. So the total is
 * revised upward as soon as a part needs more than estimated (a long suite
 * list, a split after dropped connections) and down to the truth when a part
 * ends early; when the scan ends, `done` equals `total`.
 *
 * The percent shown to people is `done / total` with a floor at the last
 * value shown: `done / total` alone falls whenever the total is revised up,
 * so after a revision the percent holds until the handshakes done catch up
 * with it (the handshake count beside it keeps moving). It stays below 100
 * while the scan runs (a plan whose parts have all finished may still grow)
 * and is 100 in the last report only. Pure.
 *
 * @module
 */

/** One progress report: after each handshake of a scan. */
export interface ScanProgress {
  /** Handshakes made so far (the same as `done`, kept for older callers). */
  handshakes: number;
  /** Handshakes made so far. */
  done: number;
  /** Handshakes planned in all (at least `done`): made, running, and estimated left. */
  total: number;
  /** The part the last handshake belonged to, e.g. `TLSv1.2 suites`. */
  phase: string;
  /**
   * Whole percent done, 0–99 while the scan runs and 100 only in the last
   * report; it never goes down (see the module's text for how it is counted).
   */
  percent: number;
}

/** One part of the plan, with its estimate. */
export interface ProgressPart {
  /** Its name, reported as the phase. */
  readonly phase: string;
  /** Counts `n` handshakes as started (in flight). */
  start(n?: number): void;
  /** Counts `n` started handshakes as done, and reports. */
  done(n?: number): void;
  /** Marks the part finished: its share of the total becomes what it made. */
  finish(): void;
}

/** The progress of one scan: parts, their estimates and what they made. */
export class ProgressPlan {
  #parts: { estimate: number; started: number; finished: boolean }[] = [];
  #done = 0;
  #ended = false;
  /** The last percent reported. */
  #percent = 0;

  /**
   * A plan with no parts yet.
   *
   * @param emit receives a report after each handshake and at the end
   */
  constructor(private readonly emit?: (p: ScanProgress) => void) {}

  /** Handshakes planned in all: made, running and estimated. */
  get total(): number {
    let sum = 0;
    for (const p of this.#parts) sum += p.finished ? p.started : Math.max(p.estimate, p.started);
    return Math.max(sum, this.#done);
  }

  /** Handshakes done. */
  get done(): number {
    return this.#done;
  }

  /**
   * Adds a part to the plan.
   *
   * @param phase its name
   * @param estimate the handshakes it is expected to make
   * @returns the part, to count its handshakes on
   */
  part(phase: string, estimate: number): ProgressPart {
    const s = { estimate: Math.max(0, estimate), started: 0, finished: false };
    this.#parts.push(s);
    return {
      phase,
      start: (n = 1) => {
        s.started += n;
      },
      done: (n = 1) => {
        this.#done += n;
        this.report(phase);
      },
      finish: () => {
        s.finished = true;
      },
    };
  }

  /**
   * Ends the plan with a last report where the total is the handshakes made
   * (a stopped scan's unfinished estimates are dropped); nothing is reported
   * after it.
   *
   * @param done the handshakes made (default: those counted)
   * @param phase the phase to name (default `done`)
   */
  end(done = this.#done, phase = "done"): void {
    if (this.#ended) return;
    for (const p of this.#parts) p.finished = true;
    this.emit?.({ handshakes: done, done, total: done, phase, percent: 100 });
    this.#ended = true;
  }

  /**
   * Reports the current state.
   *
   * @param phase the phase to name
   */
  report(phase: string): void {
    if (this.#ended) return;
    const total = this.total;
    this.emit?.({
      handshakes: this.#done,
      done: this.#done,
      total,
      phase,
      percent: this.#advance(total),
    });
  }

  /** `done / total` in whole percent, never below the last value reported, below 100. */
  #advance(total: number): number {
    const ratio = total > 0 ? Math.floor((this.#done * 100) / total) : 0;
    this.#percent = Math.min(99, Math.max(this.#percent, ratio));
    return this.#percent;
  }
}
