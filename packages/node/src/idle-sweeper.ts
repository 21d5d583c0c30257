/** Something that holds resources it can give back once they were idle for a while. */
export interface Sweepable {
  /**
   * Called once per interval: gives back what was not used since the previous call. Returns
   * whether it still holds anything, i.e. whether it wants to be called again.
   */
  sweep(): boolean;
}

/**
 * Calls `sweep()` on every registered item once per `intervalMs`, with one timer for all of
 * them: a timer per connection would cost more than what it frees. The timer is unref'd (it
 * never keeps the process alive) and only runs while something is registered, so a server
 * with no compressed connections holds no handle for it.
 */
export class IdleSweeper {
  readonly #intervalMs: number;
  readonly #items = new Set<Sweepable>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  add(item: Sweepable): void {
    this.#items.add(item);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#sweepAll(), this.#intervalMs);
      this.#timer.unref();
    }
  }

  delete(item: Sweepable): void {
    this.#items.delete(item);
    if (this.#items.size === 0) this.#stop();
  }

  get size(): number {
    return this.#items.size;
  }

  #sweepAll(): void {
    for (const item of this.#items) {
      if (!item.sweep()) this.#items.delete(item);
    }
    if (this.#items.size === 0) this.#stop();
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
