// Event inboxes for the ReconnectingWebSocket and WebSocketStream tests: every emission is
// buffered, so a test awaits events one by one in order without racing the peer, and each
// wait fails with the event's name on timeout.
import type { EventEmitter } from 'node:events';

/** How long a single awaited event may take before the test fails with a named timeout. */
export const EVENT_TIMEOUT = 5_000;

export class Inbox<T> {
  readonly #queue: T[] = [];
  readonly #waiters: Array<(value: T) => void> = [];
  readonly #label: string;
  /** Everything received so far, including what `next()` already returned. */
  readonly all: T[] = [];

  constructor(label: string) {
    this.#label = label;
  }

  /** Collects `type` events of an EventTarget. */
  static ofTarget<E extends Event = Event>(target: EventTarget, type: string): Inbox<E> {
    const inbox = new Inbox<E>(type);
    target.addEventListener(type, (event) => inbox.push(event as E));
    return inbox;
  }

  /** Collects `event` emissions of an EventEmitter, as argument arrays. */
  static ofEmitter<Args extends unknown[]>(emitter: EventEmitter, event: string, label = event) {
    const inbox = new Inbox<Args>(label);
    emitter.on(event, (...args: unknown[]) => inbox.push(args as Args));
    return inbox;
  }

  push(value: T): void {
    this.all.push(value);
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter(value);
    else this.#queue.push(value);
  }

  get pending(): number {
    return this.#queue.length;
  }

  next(timeout = EVENT_TIMEOUT): Promise<T> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const waiter = (value: T) => {
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeout} ms waiting for '${this.#label}'`));
      }, timeout);
      this.#waiters.push(waiter);
    });
  }

  /** The next `count` values. */
  async take(count: number, timeout = EVENT_TIMEOUT): Promise<T[]> {
    const values: T[] = [];
    for (let i = 0; i < count; i++) values.push(await this.next(timeout));
    return values;
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every few ms until it holds; fails with `label` after `timeout`. */
export async function waitFor(
  condition: () => boolean,
  label: string,
  timeout = EVENT_TIMEOUT,
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms: ${label}`);
    await delay(5);
  }
}
