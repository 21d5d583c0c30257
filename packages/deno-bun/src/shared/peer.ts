import {
  type CloseDetails,
  type Hooks,
  type Message,
  type Peer,
  PeerState,
  type PeerStateValue,
  type SendData,
  type SendOptions,
  type UpgradeRequest,
  WebSocketError,
} from '@wskit/core';
import { PREFIX } from './errors.js';

const EMPTY_TOPICS: ReadonlySet<string> = new Set();

let nextAdapterId = 0;

/** Peer ids `<adapter>-<n>`: unique per process, short, stable for a connection's life. */
export function peerIdSource(): () => string {
  const adapterId = (nextAdapterId++).toString(36);
  let next = 0;
  return () => `${adapterId}-${(next++).toString(36)}`;
}

export interface PeerInit<Data> {
  readonly id: string;
  readonly data: Data;
  readonly request: UpgradeRequest;
  readonly protocol: string;
  readonly extensions: string;
  readonly hooks: Hooks<Data>;
}

/**
 * What every runtime's peer shares: identity, per-peer data, the topic set, the readyState
 * bookkeeping and the hook calls (a hook that throws or rejects goes to the error hook, never
 * up into the runtime's event loop). The runtime files add the native send/close/publish.
 */
export abstract class BasePeer<Data = unknown> implements Peer<Data> {
  readonly id: string;
  readonly data: Data;
  readonly request: UpgradeRequest;
  readonly protocol: string;
  readonly extensions: string;
  protected readonly hooks: Hooks<Data>;
  protected state: PeerStateValue = PeerState.OPEN;
  protected topicSet: Set<string> | undefined;
  /** Liveness bookkeeping (heartbeat and idle timeout), where the adapter runs them. */
  lastReceivedAt = Date.now();
  pingSentAt = 0;
  /** Resolves once the close hook has been called. */
  readonly closed: Promise<void>;
  #resolveClosed!: () => void;

  constructor(init: PeerInit<Data>) {
    this.id = init.id;
    this.data = init.data;
    this.request = init.request;
    this.protocol = init.protocol;
    this.extensions = init.extensions;
    this.hooks = init.hooks;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  get readyState(): PeerStateValue {
    return this.state;
  }

  get topics(): ReadonlySet<string> {
    return this.topicSet ?? EMPTY_TOPICS;
  }

  abstract get bufferedAmount(): number;
  abstract send(data: SendData, options?: SendOptions): void;
  abstract ping(data?: SendData): void;
  abstract close(code?: number, reason?: string): void;
  abstract terminate(): void;
  abstract subscribe(topic: string): void;
  abstract unsubscribe(topic: string): void;
  abstract publish(topic: string, data: SendData, options?: SendOptions): void;

  // ---------------------------------------------------------------------------------------
  // Called by the runtime file when the native socket reports something.

  /** @internal */
  dispatchOpen(): void {
    this.runHook('open', () => this.hooks.open?.(this));
  }

  /** @internal The hot path: no closure, no allocation besides the message itself. */
  dispatchMessage(message: Message): void {
    const hook = this.hooks.message;
    if (hook === undefined) return;
    try {
      const result = hook(this, message);
      if (result !== undefined && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>).then(undefined, (error: unknown) =>
          this.hookFailed('message', error),
        );
      }
    } catch (error) {
      this.hookFailed('message', error);
    }
  }

  /** @internal */
  dispatchDrain(): void {
    this.runHook('drain', () => this.hooks.drain?.(this));
  }

  /** @internal Reports an error to the error hook (which must not throw back at us). */
  dispatchError(error: Error): void {
    const hook = this.hooks.error;
    if (hook === undefined) return;
    try {
      hook(this, error);
    } catch {}
  }

  /** @internal Called once, when the runtime reports the connection closed. */
  dispatchClose(details: CloseDetails): void {
    if (this.state === PeerState.CLOSED) return;
    this.state = PeerState.CLOSED;
    this.topicSet = undefined;
    this.runHook('close', () => this.hooks.close?.(this, details));
    this.#resolveClosed();
  }

  // ---------------------------------------------------------------------------------------
  // Helpers for the runtime files.

  protected assertOpen(operation: string): void {
    if (this.state !== PeerState.OPEN) {
      throw new WebSocketError(
        'WS_ERR_INVALID_STATE',
        `${operation}: the connection is ${this.state === PeerState.CLOSING ? 'closing' : 'closed'}`,
      );
    }
  }

  /** Adds `topic` to the peer's set; false when there is nothing to do. */
  protected addTopic(topic: string): boolean {
    checkTopic(topic, 'subscribe');
    if (this.state !== PeerState.OPEN) return false;
    this.topicSet ??= new Set();
    if (this.topicSet.has(topic)) return false;
    this.topicSet.add(topic);
    return true;
  }

  protected removeTopic(topic: string): boolean {
    return this.topicSet?.delete(topic) ?? false;
  }

  /** Runs a user hook; a throw or a rejection goes to the error hook. */
  protected runHook(name: string, run: () => unknown): void {
    try {
      const result = run();
      if (result !== undefined && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>).then(undefined, (error: unknown) =>
          this.hookFailed(name, error),
        );
      }
    } catch (error) {
      this.hookFailed(name, error);
    }
  }

  private hookFailed(name: string, error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    if (this.hooks.error !== undefined && name !== 'error') this.dispatchError(failure);
    // Without an error hook a hook bug must still be seen: never swallowed, never a crash.
    else console.error(`${PREFIX} the ${name} hook failed:`, failure);
  }
}

export function checkTopic(topic: unknown, operation: string): asserts topic is string {
  if (typeof topic !== 'string') {
    throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', `${operation} expects a topic string`);
  }
}

/** Send payloads as the runtimes take them: strings as text, everything else as bytes. */
export function toNative(data: SendData, operation: string): string | Uint8Array {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new WebSocketError(
    'WS_ERR_INVALID_ARGUMENT',
    `${operation} expects a string, an ArrayBuffer or an ArrayBufferView, got ${data === null ? 'null' : typeof data}`,
  );
}

/** The payload size in bytes, without encoding a string unless it could be over `limit`. */
export function byteLengthOver(data: string | Uint8Array | ArrayBuffer, limit: number): boolean {
  if (typeof data !== 'string') return data.byteLength > limit;
  // UTF-8 needs at least one byte per UTF-16 unit and at most three.
  if (data.length > limit) return true;
  if (data.length * 3 <= limit) return false;
  return new TextEncoder().encode(data).byteLength > limit;
}
