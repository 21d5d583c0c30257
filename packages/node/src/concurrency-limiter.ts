/**
 * A limit on how many async jobs run at once, first in, first out within each of two lanes:
 * jobs marked `first` go ahead of the others (but not forever, see `FIRST_IN_A_ROW`).
 *
 * The zlib codecs share one (`zlibLimiter` in `./zlib-codec.ts`); see there for why, and for
 * which jobs go first.
 */
import { WebSocketError } from '@wskit/core';

/**
 * How many `first` jobs may start in a row while other jobs wait: then one of those starts,
 * so a steady stream of `first` jobs slows the others down without stopping them.
 */
export const FIRST_IN_A_ROW = 4;

export class ConcurrencyLimiter {
  /** The most jobs that run at once. */
  readonly limit: number;
  #running = 0;
  /** Resolvers of the jobs waiting for a slot, oldest first, per lane. */
  readonly #waiting: (() => void)[] = [];
  readonly #waitingFirst: (() => void)[] = [];
  /** `first` jobs started in a row while others waited. */
  #firstInARow = 0;

  /** `limit`: a positive integer, or `Infinity` for no limit. */
  constructor(limit: number) {
    if (!(limit === Number.POSITIVE_INFINITY || (Number.isSafeInteger(limit) && limit >= 1))) {
      throw new WebSocketError(
        'WS_ERR_INVALID_ARGUMENT',
        `The concurrency limit must be a positive integer or Infinity, got ${String(limit)}`,
      );
    }
    this.limit = limit;
  }

  /** How many jobs are running now. */
  get running(): number {
    return this.#running;
  }

  /** How many jobs are waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length + this.#waitingFirst.length;
  }

  /**
   * Runs `job` once fewer than `limit` jobs are running, in the order `run` was called (among
   * jobs with the same `first`), and settles like it. The slot is freed when the job's
   * promise settles (or it throws).
   */
  async run<T>(job: () => Promise<T>, { first = false }: { first?: boolean } = {}): Promise<T> {
    if (this.#running < this.limit) {
      this.#running++;
    } else {
      // `#release` hands its slot straight to us without decrementing `#running`, so a
      // caller arriving meanwhile cannot jump the queue.
      await new Promise<void>((resolve) =>
        (first ? this.#waitingFirst : this.#waiting).push(resolve),
      );
    }
    try {
      return await job();
    } finally {
      this.#release();
    }
  }

  #release(): void {
    let next: (() => void) | undefined;
    if (
      this.#waitingFirst.length > 0 &&
      (this.#waiting.length === 0 || this.#firstInARow < FIRST_IN_A_ROW)
    ) {
      next = this.#waitingFirst.shift();
      this.#firstInARow = this.#waiting.length === 0 ? 0 : this.#firstInARow + 1;
    } else {
      next = this.#waiting.shift();
      this.#firstInARow = 0;
    }
    if (next === undefined) this.#running--;
    else next();
  }
}
