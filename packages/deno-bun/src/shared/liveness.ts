/**
 * Heartbeats and idle timeouts for many peers on one timer, for runtimes whose own timers
 * cannot express `{ interval, timeout }` in milliseconds (Bun: see bun.ts). One interval
 * sweeps every member, so a timeout is precise to one tick (a quarter of the shortest
 * period, at most one second), and an idle server has no timer at all.
 */
export interface Monitored {
  /** `Date.now()` of the last frame received from the peer (messages and pongs). */
  readonly lastReceivedAt: number;
  /** `Date.now()` of the heartbeat ping still unanswered, or 0. */
  pingSentAt: number;
  sendHeartbeatPing(): void;
  onPongTimeout(): void;
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

  get enabled(): boolean {
    return this.#settings.heartbeat !== undefined || this.#settings.idleTimeout > 0;
  }

  add(member: Monitored): void {
    if (!this.enabled) return;
    this.#members.add(member);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.sweep(Date.now()), this.#tick);
      // Never keep the process alive on its own (Bun's and Deno's timers have unref too).
      (this.#timer as { unref?: () => void }).unref?.();
    }
  }

  delete(member: Monitored): void {
    this.#members.delete(member);
    if (this.#members.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  sweep(now: number): void {
    const { heartbeat, idleTimeout } = this.#settings;
    for (const member of this.#members) {
      const silentFor = now - member.lastReceivedAt;
      if (idleTimeout > 0 && silentFor >= idleTimeout) {
        this.delete(member);
        member.onIdleTimeout();
        continue;
      }
      if (heartbeat === undefined) continue;
      if (member.pingSentAt !== 0) {
        // Any frame after the ping proves the peer alive, not only the pong.
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
