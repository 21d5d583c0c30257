/**
 * Heartbeats and idle timeouts for many connections on one timer.
 *
 * A timer per connection costs memory and wake-ups at 10,000 connections; instead one
 * unref'd interval sweeps every monitored connection, so the precision of a timeout is one
 * tick (a quarter of the shortest configured period, at most one second).
 */
export interface Monitored {
  /** `Date.now()` of the last frame received from the peer. */
  readonly lastReceivedAt: number;
  /** `Date.now()` of the heartbeat ping still unanswered, or 0. */
  pingSentAt: number;
  sendHeartbeatPing(): void;
  /** The peer did not answer a ping in time: drop it. */
  onPongTimeout(): void;
  /** Nothing arrived for `idleTimeout` ms. */
  onIdleTimeout(): void;
}

export interface LivenessSettings {
  readonly heartbeat: { readonly interval: number; readonly timeout: number } | undefined;
  readonly idleTimeout: number;
}

const MAX_TICK = 1_000;
const MIN_TICK = 5;

export class LivenessMonitor {
  readonly #settings: LivenessSettings;
  readonly #members = new Set<Monitored>();
  readonly #tick: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(settings: LivenessSettings) {
    this.#settings = settings;
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

  add(member: Monitored): void {
    if (!this.enabled) return;
    this.#members.add(member);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.sweep(Date.now()), this.#tick);
      // The monitor never keeps a process alive on its own.
      this.#timer.unref();
    }
  }

  delete(member: Monitored): void {
    this.#members.delete(member);
    if (this.#members.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** One pass over every member; exposed so tests can drive time by hand. */
  sweep(now: number): void {
    const { heartbeat, idleTimeout } = this.#settings;
    for (const member of this.#members) {
      const silentFor = now - member.lastReceivedAt;
      if (idleTimeout > 0 && silentFor >= idleTimeout) {
        member.onIdleTimeout();
        continue;
      }
      if (heartbeat === undefined) continue;
      if (member.pingSentAt !== 0) {
        // Any frame received after the ping proves the peer alive, not only the pong.
        if (member.lastReceivedAt >= member.pingSentAt) member.pingSentAt = 0;
        else if (now - member.pingSentAt >= heartbeat.timeout) {
          // Out first: the socket closes asynchronously, and the next tick must not report
          // the same dead peer again.
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
