/**
 * One subscriber of a durable topic: replays what it missed from the log, then goes live,
 * delivering every sequence number once and in order. The rules, which the README's proof
 * rests on:
 *
 * 1. `position` is the last sequence number delivered (or skipped with a gap report). A
 *    message is delivered only if its seq is `position + 1`; then `position` becomes it.
 *    So nothing is delivered twice or out of order.
 * 2. While replaying, live messages are buffered, not delivered. A replay reads the log from
 *    `position` in pages until a short page: everything published before that read is in it.
 *    Everything published after it reaches the buffer, because the replay starts only once
 *    the topic's channel is SUBSCRIBEd (and again after every reconnect of that connection).
 *    The buffer is then flushed under rule 1.
 * 3. Live, a message beyond `position + 1` means something was missed (a dropped connection):
 *    it is buffered and a replay runs. Nothing is ever skipped silently: a hole in the log
 *    (trimmed entries) or a log that restarted below `position` is reported as a gap first.
 */
import type {
  DurableGap,
  DurableLogReader,
  DurableMessage,
  DurableSubscriber,
} from './durable-types.js';

export class ReplayingSubscription {
  readonly topic: string;
  #position: number;
  /** Subscribed without `after`: start at the head (only new messages), read first. */
  #fromHead: boolean;
  #replaying = false;
  #again = false;
  #closed = false;
  #buffer: DurableMessage[] = [];
  #retry: ReturnType<typeof setTimeout> | undefined;
  readonly #log: DurableLogReader;
  readonly #subscriber: DurableSubscriber;
  readonly #caughtUp: Promise<number>;
  #resolveCaughtUp!: (position: number) => void;

  constructor(
    topic: string,
    after: number | undefined,
    log: DurableLogReader,
    subscriber: DurableSubscriber,
  ) {
    this.topic = topic;
    this.#position = after ?? 0;
    this.#fromHead = after === undefined;
    this.#log = log;
    this.#subscriber = subscriber;
    this.#caughtUp = new Promise((resolve) => {
      this.#resolveCaughtUp = resolve;
    });
  }

  /** The last sequence number delivered or reported as a gap. */
  get position(): number {
    return this.#position;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves with `position` once the first replay reached the end of the log. */
  caughtUp(): Promise<number> {
    return this.#caughtUp;
  }

  /** A message from the topic's channel. */
  live(message: DurableMessage): void {
    if (this.#closed) return;
    if (this.#replaying) {
      this.#buffer.push(message);
      return;
    }
    // Before the first read (the SUBSCRIBE is not confirmed yet): that read decides the start.
    if (this.#fromHead) return;
    if (message.seq <= this.#position) return;
    if (message.seq === this.#position + 1) {
      this.#deliver(message);
      return;
    }
    this.#buffer.push(message);
    this.replay();
  }

  /** Reads the log from `position` (again, if a replay is running). */
  replay(): void {
    if (this.#closed) return;
    if (this.#replaying) {
      this.#again = true;
      return;
    }
    this.#replaying = true;
    clearTimeout(this.#retry);
    this.#run().then(
      () => {
        this.#replaying = false;
        this.#resolveCaughtUp(this.#position);
      },
      (error: Error) => {
        this.#replaying = false;
        if (this.#closed) return;
        this.#log.reportError(
          new Error(
            `replay of ${this.topic} from ${this.#position} failed (retrying): ${error.message}`,
            {
              cause: error,
            },
          ),
        );
        this.#retry = setTimeout(() => this.replay(), this.#log.retryMs);
      },
    );
  }

  close(): void {
    this.#closed = true;
    this.#buffer = [];
    clearTimeout(this.#retry);
  }

  async #run(): Promise<void> {
    for (;;) {
      this.#again = false;
      await this.#readToEnd();
      if (this.#closed) return;
      // Rule 2: flush what arrived meanwhile; a hole in it means another read.
      const buffered = this.#buffer.sort((a, b) => a.seq - b.seq);
      this.#buffer = [];
      let hole = false;
      for (const [index, message] of buffered.entries()) {
        if (message.seq <= this.#position) continue;
        if (message.seq !== this.#position + 1) {
          this.#buffer = buffered.slice(index);
          hole = true;
          break;
        }
        this.#deliver(message);
        if (this.#closed) return;
      }
      if (!hole && !this.#again) return;
    }
  }

  async #readToEnd(): Promise<void> {
    for (;;) {
      const { head, entries } = await this.#log.read(this.topic, this.#position, this.#fromHead);
      if (this.#closed) return;
      if (this.#fromHead) {
        // "From now": the head at the first read, which follows the SUBSCRIBE.
        this.#fromHead = false;
        this.#position = head;
        return;
      }
      if (entries.length === 0) {
        if (head < this.#position) {
          // The log restarted below us (Redis lost its data, or the key was deleted): say so,
          // then deliver the new log from its start.
          const after = this.#position;
          this.#position = 0;
          this.#report({ topic: this.topic, kind: 'reset', after, head });
          continue;
        }
        if (head > this.#position) this.#gap(head);
        return;
      }
      const first = entries[0] as DurableMessage;
      if (first.seq > this.#position + 1) this.#gap(first.seq - 1);
      for (const message of entries) {
        if (message.seq === this.#position + 1) this.#deliver(message);
        if (this.#closed) return;
      }
      if (entries.length < this.#log.pageSize) return;
    }
  }

  /** Rule 3: entries up to `to` are gone from the log; report them, then move past. */
  #gap(to: number): void {
    const from = this.#position + 1;
    this.#position = to;
    this.#report({ topic: this.topic, kind: 'trimmed', from, to });
  }

  #report(gap: DurableGap): void {
    if (this.#subscriber.gap === undefined) {
      // Nobody to tell: at least the error routing hears of it.
      this.#log.reportError(
        new Error(
          gap.kind === 'trimmed'
            ? `${this.topic}: messages ${gap.from} to ${gap.to} were trimmed before a subscriber without a gap handler read them`
            : `${this.topic}: the log restarted (head ${gap.head}, below ${gap.after}) under a subscriber without a gap handler`,
        ),
      );
      return;
    }
    try {
      this.#subscriber.gap(gap);
    } catch (error) {
      this.#log.reportError(
        new Error(`a subscriber of ${this.topic} threw on a gap: ${(error as Error).message}`, {
          cause: error,
        }),
      );
    }
  }

  #deliver(message: DurableMessage): void {
    this.#position = message.seq;
    try {
      this.#subscriber.message(message);
    } catch (error) {
      this.#log.reportError(
        new Error(
          `a subscriber of ${this.topic} threw on seq ${message.seq}: ${(error as Error).message}`,
          {
            cause: error,
          },
        ),
      );
    }
  }
}
