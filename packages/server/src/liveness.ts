/**
 * Heartbeats and idle timeouts for many connections on one timer, shared by every adapter.
 *
 * A timer per connection costs memory and wake-ups at 10,000 connections; instead one
 * interval sweeps every member, so a timeout is precise to one tick (a quarter of the
 * shortest configured period, at most one second), and an idle server has no timer at all.
 * The monitor reads no clock and owns no timer itself: both come from a `LivenessScheduler`
 * (`defaultLivenessScheduler` on every runtime; tests drive one by hand).
 */
export interface Monitored {
  /**
   * Set by the adapter when a frame arrives: a field write, not a clock read per frame (on
   * Bun a `Date.now()` per message cost as much as the rest of the echo path). The sweep
   * clears it and records the time in `lastReceivedAt`.
   */
  received: boolean;
  /**
   * Written by the monitor only: the time (the scheduler's `now()`) it added the member, then
   * of the last sweep that found `received` set. So a frame counts as received at the next
   * sweep: late by at most one tick, never early.
   */
  lastReceivedAt: number;
  /** Time of the heartbeat ping still unanswered, or 0. */
  pingSentAt: number;
  /** Sends a heartbeat ping; the monitor has already set `pingSentAt`. */
  sendHeartbeatPing(): void;
  /** The peer did not answer a ping in time: drop it. Called once; the member is removed. */
  onPongTimeout(): void;
  /** Nothing arrived for `idleTimeout` ms. Called once; the member is removed. */
  onIdleTimeout(): void;
}

/**
 * What a `LivenessMonitor` checks: heartbeat interval and pong timeout (ms), and the idle timeout.
 */
export interface LivenessSettings {
  readonly heartbeat: { readonly interval: number; readonly timeout: number } | undefined;
  /** 0 disables. */
  readonly idleTimeout: number;
}

/** The adapter's timer and clock. `every` returns a function that cancels the interval. */
export interface LivenessScheduler {
  /** Calls `tick` every `milliseconds` until the returned function is called. */
  every(milliseconds: number, tick: () => void): () => void;
  /** The current time in milliseconds, on the clock `every` runs on. */
  now(): number;
}

const MAX_TICK = 1_000;
const MIN_TICK = 5;

/**
 * Watches its members on one shared timer: sends their heartbeat pings and tells a member when
 * its ping went unanswered or it stayed idle for longer than `idleTimeout`.
 */
export class LivenessMonitor {
  readonly #settings: LivenessSettings;
  readonly #scheduler: LivenessScheduler;
  readonly #members = new Set<Monitored>();
  readonly #tick: number;
  #cancel: (() => void) | undefined;

  constructor(settings: LivenessSettings, scheduler: LivenessScheduler) {
    this.#settings = settings;
    this.#scheduler = scheduler;
    const periods = [
      settings.heartbeat?.interval ?? Number.POSITIVE_INFINITY,
      settings.heartbeat?.timeout ?? Number.POSITIVE_INFINITY,
      settings.idleTimeout > 0 ? settings.idleTimeout : Number.POSITIVE_INFINITY,
    ];
    this.#tick = Math.max(MIN_TICK, Math.min(MAX_TICK, Math.min(...periods) / 4));
  }

  /** True when there is anything to watch: otherwise `add` is a no-op. */
  get enabled(): boolean {
    return this.#settings.heartbeat !== undefined || this.#settings.idleTimeout > 0;
  }

  get size(): number {
    return this.#members.size;
  }

  /** Starts watching `member` (a no-op when neither heartbeat nor idle timeout is configured). */
  add(member: Monitored): void {
    if (!this.enabled) return;
    member.received = false;
    member.lastReceivedAt = this.#scheduler.now();
    this.#members.add(member);
    this.#cancel ??= this.#scheduler.every(this.#tick, () => this.sweep(this.#scheduler.now()));
  }

  /** Stops watching `member`; the timer stops with the last member. */
  delete(member: Monitored): void {
    this.#members.delete(member);
    if (this.#members.size === 0 && this.#cancel !== undefined) {
      this.#cancel();
      this.#cancel = undefined;
    }
  }

  /** One pass over every member; exposed so tests can drive time by hand. */
  sweep(now: number): void {
    const { heartbeat, idleTimeout } = this.#settings;
    for (const member of this.#members) {
      if (member.received) {
        member.received = false;
        member.lastReceivedAt = now;
      }
      const silentFor = now - member.lastReceivedAt;
      if (idleTimeout > 0 && silentFor >= idleTimeout) {
        this.delete(member);
        member.onIdleTimeout();
        continue;
      }
      if (heartbeat === undefined) continue;
      if (member.pingSentAt !== 0) {
        // Any frame received after the ping proves the peer alive, not only the pong.
        if (member.lastReceivedAt >= member.pingSentAt) member.pingSentAt = 0;
        else if (now - member.pingSentAt >= heartbeat.timeout) {
          this.delete(member);
          member.onPongTimeout();
        }
        continue;
      }
      if (silentFor >= heartbeat.interval) {
        member.pingSentAt = now;
        member.sendHeartbeatPing();
      }
    }
  }
}

/**
 * The runtime's timer: unref'd where the runtime allows it, so it never keeps a process up.
 *
 * Its clock is monotonic, whole milliseconds since the process started: a wall clock
 * (`Date.now()`) that is stepped (NTP, a resumed VM, a manual change) would time out every
 * connection at once when it jumps forward and none while it catches up after a jump back.
 * Whole milliseconds also stay small integers (for about 24 days of uptime), which V8 stores
 * in the peer's field itself instead of a 16-byte heap number per connection.
 */
export const defaultLivenessScheduler: LivenessScheduler = {
  every(milliseconds, tick) {
    const timer = setInterval(tick, milliseconds);
    (timer as { unref?: () => void }).unref?.();
    return () => clearInterval(timer);
  },
  now: () => Math.floor(performance.now()),
};
