/**
 * A first-in, first-out limit on how many async jobs run at once.
 *
 * The zlib codecs share one (`zlibLimiter` in `./zlib-codec.ts`); see there for why.
 */
import { WebSocketError } from '@wskit/core';

export class ConcurrencyLimiter {
  /** The most jobs that run at once. */
  readonly limit: number;
  #running = 0;
  /** Resolvers of the jobs waiting for a slot, oldest first. */
  readonly #waiting: (() => void)[] = [];

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
    return this.#waiting.length;
  }

  /**
   * Runs `job` once fewer than `limit` jobs are running, in the order `run` was called, and
   * settles like it. The slot is freed when the job's promise settles (or it throws).
   */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#running < this.limit) {
      this.#running++;
    } else {
      // `#release` hands its slot straight to us without decrementing `#running`, so a
      // caller arriving meanwhile cannot jump the queue.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    try {
      return await job();
    } finally {
      this.#release();
    }
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#running--;
    else next();
  }
}
