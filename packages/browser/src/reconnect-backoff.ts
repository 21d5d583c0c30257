/**
 * Exponential backoff with jitter for `ReconnectingWebSocket`. Pure: the random source is
 * passed in, so a schedule can be tested exactly.
 */

import { numberOptions } from './option-names.js';

/** How long `ReconnectingWebSocket` waits before each retry (all in ms). */
export interface BackoffOptions {
  /** Base delay before the first retry, in ms. Default 1000. */
  initialDelay?: number;
  /** Upper bound of any delay, in ms. Default 30000. */
  maxDelay?: number;
  /** Each retry multiplies the base delay by this. Default 2. */
  factor?: number;
  /**
   * Share of each delay that is random, from 0 (none) to 1: the delay is drawn from
   * `[base × (1 − jitter), base]`. Default 0.5. Jitter only ever shortens a delay, so clients
   * that all hit `maxDelay` still spread out instead of reconnecting in one wave.
   */
  jitter?: number;
}

export type ResolvedBackoff = Required<BackoffOptions>;

/**
 * The longest delay a timer can wait: setTimeout counts in a signed 32-bit integer, and a
 * longer delay fires at once (HTML timers; Node does the same) — a retry storm for a backoff.
 */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

export const DEFAULT_BACKOFF: ResolvedBackoff = {
  initialDelay: 1000,
  maxDelay: 30_000,
  factor: 2,
  jitter: 0.5,
};

export function resolveBackoff(options: BackoffOptions): ResolvedBackoff {
  return numberOptions('ReconnectingWebSocket', options, DEFAULT_BACKOFF, {
    factor: [1, Infinity],
    jitter: [0, 1],
  });
}

/**
 * The delay before retry number `attempt` (1 for the first retry):
 * `min(maxDelay, initialDelay × factor^(attempt − 1)) × (1 − jitter × random())`, rounded to
 * whole milliseconds, and never above MAX_TIMER_DELAY (about 24.8 days). `random` returns a
 * number in [0, 1), like `Math.random`.
 */
export function backoffDelay(
  attempt: number,
  backoff: ResolvedBackoff,
  random: () => number,
): number {
  // factor^(attempt − 1) overflows to Infinity quickly: the cap takes it, but 0 × Infinity is
  // NaN, which means 0 here.
  const grown = backoff.initialDelay * backoff.factor ** Math.max(attempt - 1, 0) || 0;
  const base = Math.min(backoff.maxDelay, grown, MAX_TIMER_DELAY);
  const spread = backoff.jitter * Math.min(Math.max(random(), 0), 1);
  return Math.round(base * (1 - spread));
}
