import {
  type CloseDetails,
  type Message,
  type Peer,
  PeerState,
  type PeerStateValue,
  type SendData,
  type SendOptions,
  type UpgradeRequest,
} from '@wskit/core';
import type { HookDispatcher, PeerIds, TopicRegistry, TopicSubscriber } from '@wskit/server';

/** What every peer of one adapter shares: the hooks and the topics. One object per adapter. */
export interface AdapterContext<Data, Prepared> {
  readonly dispatcher: HookDispatcher<Data>;
  /** Formats a peer's id from its number when the id is first read. */
  readonly ids: PeerIds;
  // biome-ignore lint/suspicious/noExplicitAny: peers of any runtime; the registry only reads readyState.
  readonly topics: TopicRegistry<BasePeer<any, Prepared>, Prepared>;
}

export interface PeerInit<Data> {
  /** From the adapter's `context.ids.next()`. */
  readonly id: number;
  readonly data: Data;
  readonly request: UpgradeRequest;
  readonly protocol: string;
  readonly extensions: string;
}

/**
 * What Bun's and Deno's peers share: identity, per-peer data, the readyState bookkeeping a
 * native socket needs, and the calls into the shared layer (hooks through its dispatcher,
 * topics through its registry). The runtime files add the native send/close/publish.
 *
 * As on @wskit/node, nothing throws because of the peer's timing: a send, ping or close after
 * the peer left does nothing. Bad arguments still throw.
 */
export abstract class BasePeer<Data = unknown, Prepared = unknown>
  implements Peer<Data>, TopicSubscriber<Prepared>
{
  readonly data: Data;
  readonly request: UpgradeRequest;
  readonly protocol: string;
  readonly extensions: string;
  protected readonly context: AdapterContext<Data, Prepared>;
  protected state: PeerStateValue = PeerState.OPEN;
  /** The peer's number until the id is first read, then the id (see `PeerIds`). */
  #id: number | string;
  /**
   * Resolves once the close hook has been called. Made on first use (a graceful shutdown):
   * a promise and its resolver on every idle connection would cost memory for nothing.
   */
  #closed: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;

  constructor(init: PeerInit<Data>, context: AdapterContext<Data, Prepared>) {
    this.#id = init.id;
    this.data = init.data;
    this.request = init.request;
    this.protocol = init.protocol;
    this.extensions = init.extensions;
    this.context = context;
  }

  /** `<server>-<n>`, unique in the process. */
  get id(): string {
    const id = this.#id;
    if (typeof id === 'string') return id;
    const formatted = this.context.ids.format(id);
    this.#id = formatted;
    return formatted;
  }

  get closed(): Promise<void> {
    if (this.#closed === undefined) {
      if (this.state === PeerState.CLOSED) {
        this.#closed = Promise.resolve();
      } else {
        this.#closed = new Promise((resolve) => {
          this.#resolveClosed = resolve;
        });
      }
    }
    return this.#closed;
  }

  get readyState(): PeerStateValue {
    return this.state;
  }

  get topics(): ReadonlySet<string> {
    return this.context.topics.topicsOf(this);
  }

  abstract get bufferedAmount(): number;
  abstract send(data: SendData, options?: SendOptions): void;
  abstract ping(data?: SendData): void;
  abstract close(code?: number, reason?: string): void;
  abstract terminate(): void;
  abstract subscribe(topic: string): void;
  abstract unsubscribe(topic: string): void;
  abstract publish(topic: string, data: SendData, options?: SendOptions): void;
  /** @internal A message published to a topic this peer is subscribed to. */
  abstract deliverPublished(message: Prepared): void;

  // ---------------------------------------------------------------------------------------
  // Called by the runtime file when the native socket reports something.

  /** @internal */
  dispatchOpen(): void {
    this.context.dispatcher.open(this);
  }

  /** @internal The hot path: no closure, no allocation besides the message itself. */
  dispatchMessage(message: Message): void {
    this.context.dispatcher.message(this, message);
  }

  /** @internal */
  dispatchDrain(): void {
    this.context.dispatcher.drain(this);
  }

  /** @internal A protocol or transport error of this peer, for the error hook. */
  dispatchError(error: Error): void {
    this.context.dispatcher.error(this, error);
  }

  /** @internal Called once, when the runtime reports the connection closed. */
  dispatchClose(details: CloseDetails): void {
    if (this.state === PeerState.CLOSED) return;
    this.state = PeerState.CLOSED;
    this.context.topics.removePeer(this);
    this.context.dispatcher.close(this, details);
    this.#resolveClosed?.();
  }
}
