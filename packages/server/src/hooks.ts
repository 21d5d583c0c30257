import type { CloseDetails, Hooks, Message, Peer } from '@wskit/core';

/**
 * Where an error nobody handles ends up: a hook that threw with no `error` hook to take it, or
 * an upgrade that failed inside the server. `source` names the hook or step ('message',
 * 'upgrade'...).
 */
export type UnhandledErrorReporter = (error: Error, source: string) => void;

/** The default reporter: one line on stderr, the same on every runtime. */
export function consoleReporter(prefix: string): UnhandledErrorReporter {
  return (error, source) => {
    // An upgrade has no peer yet, so no error hook can take it; the client got a 500.
    if (source === 'broker') {
      // No peer to blame and no hook to add: the broker's own onError option takes these.
      console.error(`${prefix} the topic broker failed:`, error);
      return;
    }
    const advice =
      source === 'upgrade' || source === 'selectProtocol'
        ? 'the client got 500 Internal Server Error'
        : 'add an error hook to handle this';
    console.error(`${prefix} the ${source} hook failed (${advice}):`, error);
  };
}

/**
 * Calls the user's hooks for every adapter, with one error rule: a hook that throws or
 * rejects goes to the `error` hook; without one (or if the `error` hook itself throws) to the
 * reporter. Nothing a hook does reaches the runtime's event loop, so a hook bug never crashes
 * the process or stops a connection from being read.
 *
 * One dispatcher per server, not per peer; the message path calls the hook directly and
 * allocates nothing unless the hook returns a promise.
 */
export class HookDispatcher<Data = unknown> {
  readonly hooks: Hooks<Data>;
  readonly #report: UnhandledErrorReporter;

  constructor(hooks: Hooks<Data>, report: UnhandledErrorReporter) {
    this.hooks = hooks;
    this.#report = report;
  }

  /** True when a message hook exists: adapters skip building the Message otherwise. */
  get wantsMessages(): boolean {
    return this.hooks.message !== undefined;
  }

  /** The `open` hook: the connection is open. */
  open(peer: Peer<Data>): void {
    const hook = this.hooks.open;
    if (hook === undefined) return;
    try {
      this.#watch(hook(peer), 'open', peer);
    } catch (error) {
      this.failed('open', peer, error);
    }
  }

  /** The `message` hook: the hot path, no closure unless the hook returns a promise. */
  message(peer: Peer<Data>, message: Message): void {
    const hook = this.hooks.message;
    if (hook === undefined) return;
    try {
      this.#watch(hook(peer, message), 'message', peer);
    } catch (error) {
      this.failed('message', peer, error);
    }
  }

  /** The `close` hook: the connection ended (code, reason, wasClean). */
  close(peer: Peer<Data>, details: CloseDetails): void {
    const hook = this.hooks.close;
    if (hook === undefined) return;
    try {
      this.#watch(hook(peer, details), 'close', peer);
    } catch (error) {
      this.failed('close', peer, error);
    }
  }

  /** The `drain` hook: the send buffer emptied after backpressure. */
  drain(peer: Peer<Data>): void {
    const hook = this.hooks.drain;
    if (hook === undefined) return;
    try {
      this.#watch(hook(peer), 'drain', peer);
    } catch (error) {
      this.failed('drain', peer, error);
    }
  }

  /**
   * A protocol or transport error of one peer (a bad frame, a pong timeout): to the `error`
   * hook if there is one. Without one it is not reported: the peer's close (with its code)
   * follows, and a misbehaving client must not be able to flood the server's log.
   */
  error(peer: Peer<Data>, error: Error): void {
    const hook = this.hooks.error;
    if (hook === undefined) return;
    try {
      hook(peer, error);
    } catch (thrown) {
      this.#report(asError(thrown), 'error');
    }
  }

  /** A hook threw or rejected: the error hook takes it, else the reporter. */
  failed(source: string, peer: Peer<Data>, thrown: unknown): void {
    const error = asError(thrown);
    if (this.hooks.error === undefined || source === 'error') this.#report(error, source);
    else this.error(peer, error);
  }

  /** A failure with no peer to blame (the upgrade hook threw): straight to the reporter. */
  unhandled(source: string, thrown: unknown): void {
    this.#report(asError(thrown), source);
  }

  #watch(result: unknown, source: string, peer: Peer<Data>): void {
    if (result !== undefined && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(undefined, (error: unknown) =>
        this.failed(source, peer, error),
      );
    }
  }
}

/** A thrown value as an Error (a hook may throw a string). */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
