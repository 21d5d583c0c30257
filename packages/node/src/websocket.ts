import {
  type CloseInfo,
  type Peer,
  PeerState,
  type PreparedMessage,
  type SendData,
  type SendOptions,
  type UpgradeRequest,
  WebSocketError,
  WebSocketMessage,
} from '@wskit/core';
import { type HookDispatcher, type PeerIds, type TopicRegistry, toPayload } from '@wskit/server';
import { asBuffer, type DriverInit, type SendCallback, SocketDriver } from './driver.js';

export type { SendCallback } from './driver.js';

/** The shared API's send options plus `ws`'s `binary`. */
export interface NodeSendOptions extends SendOptions {
  /** Send a string as a binary message (true) or bytes as a text message (false). */
  readonly binary?: boolean;
}

/** What every peer of one server shares: the hooks, the topics, the ids. One object per server. */
export interface PeerContext<Data> {
  readonly dispatcher: HookDispatcher<Data>;
  /** Formats a server peer's id from its number when the id is first read. */
  readonly ids: PeerIds;
  readonly topics: TopicRegistry<WebSocket<unknown>, PreparedMessage>;
  /**
   * The server's `clients` set when it tracks clients: a peer leaves it as it closes, before
   * its 'close' listeners run (no per-peer 'close' listener of the server's own).
   */
  readonly clients?: Set<WebSocket<Data>> | undefined;
}

/** A client connection created before its handshake (the ws-style `new WebSocket(url)`). */
export interface ConnectingInit {
  readonly id: string;
  readonly url: string;
}

/** Everything the server or the client hands to a new connection. */
export interface WebSocketInit<Data> extends DriverInit {
  /** Clients; a server peer leaves it out and answers with `request.url`. */
  readonly url?: string | undefined;
  readonly protocol: string;
  readonly extensions: string;
  /** A client's id; a server peer's number from `context.ids`, formatted when first read. */
  readonly id: string | number;
  readonly data: Data;
  readonly request: UpgradeRequest | undefined;
  /** Server peers only. */
  readonly context: PeerContext<Data> | undefined;
}

const NO_TOPICS: ReadonlySet<string> = new Set();

/** The events of a connection, `ws`-style, for typed `on`/`once`/`off`. */
export interface WebSocketEvents {
  message: [data: Buffer, isBinary: boolean];
  close: [code: number, reason: Buffer, wasClean: boolean];
  error: [error: Error];
  ping: [data: Buffer];
  pong: [data: Buffer];
  drain: [];
}

/**
 * One WebSocket connection on Node, server peer or client: the driver loop (driver.ts) with
 * two faces on one object: the shared hooks API's `Peer` (send, close, subscribe, data...)
 * and an EventEmitter familiar to `ws` users ('message' with `(data: Buffer, isBinary)`,
 * 'close' with `(code, reason: Buffer)`, 'ping', 'pong', 'error', 'drain').
 *
 * Nothing here throws because of the peer's timing: a send, ping, pong or close after the
 * peer left does nothing, and a callback passed to it gets the error. Bad arguments throw.
 */
export class WebSocket<Data = unknown> extends SocketDriver<WebSocketEvents> implements Peer<Data> {
  static readonly CONNECTING = PeerState.CONNECTING;
  static readonly OPEN = PeerState.OPEN;
  static readonly CLOSING = PeerState.CLOSING;
  static readonly CLOSED = PeerState.CLOSED;
  // On the prototype, not per instance.
  get CONNECTING(): typeof PeerState.CONNECTING {
    return PeerState.CONNECTING;
  }
  get OPEN(): typeof PeerState.OPEN {
    return PeerState.OPEN;
  }
  get CLOSING(): typeof PeerState.CLOSING {
    return PeerState.CLOSING;
  }
  get CLOSED(): typeof PeerState.CLOSED {
    return PeerState.CLOSED;
  }

  readonly data: Data;
  /** The id, or a server peer's number until the id is first read (see `PeerIds`). */
  #id: string | number;
  readonly #request: UpgradeRequest | undefined;
  readonly #context: PeerContext<Data> | undefined;
  // Known at construction, except for a client built before its handshake (see attachClient).
  /** A client's URL; a server peer's is its request's, built when asked. */
  #url: string | undefined;
  #protocol: string;
  #extensions: string;

  /** @internal Built by the server and by `connect()`. */
  constructor(init: WebSocketInit<Data> | ConnectingInit) {
    super('socket' in init ? init : undefined);
    this.#id = init.id;
    this.#url = init.url;
    if ('socket' in init) {
      this.data = init.data;
      this.#protocol = init.protocol;
      this.#extensions = init.extensions;
      this.#request = init.request;
      this.#context = init.context;
    } else {
      this.data = undefined as Data;
      this.#protocol = '';
      this.#extensions = '';
    }
  }

  /** Unique in the process: `<server>-<n>` for a server's peers, `client-<n>` for clients. */
  get id(): string {
    const id = this.#id;
    if (typeof id === 'string') return id;
    const formatted = (this.#context as PeerContext<Data>).ids.format(id);
    this.#id = formatted;
    return formatted;
  }

  /** The URL of the connection (`ws://host/path`; for a client, after redirects). */
  get url(): string {
    return this.#url ?? this.#request?.url ?? '';
  }

  /** The selected subprotocol, or ''. */
  get protocol(): string {
    return this.#protocol;
  }

  /** The negotiated extensions header value, or ''. */
  get extensions(): string {
    return this.#extensions;
  }

  /** @internal A client built before its handshake takes over the completed connection. */
  protected attachClient(
    handshake: {
      readonly url: string;
      readonly protocol: string;
      readonly extensions: string;
    } & DriverInit,
  ): void {
    this.#url = handshake.url;
    this.#protocol = handshake.protocol;
    this.#extensions = handshake.extensions;
    this.attach(handshake);
  }

  get request(): UpgradeRequest {
    if (this.#request === undefined) {
      throw new WebSocketError('WS_ERR_INVALID_STATE', 'request is only known on server peers');
    }
    return this.#request;
  }

  /** The topics this peer is subscribed to (always empty on a client). */
  get topics(): ReadonlySet<string> {
    return this.#context?.topics.topicsOf(this as WebSocket<unknown>) ?? NO_TOPICS;
  }

  // ---------------------------------------------------------------------------------------
  // Sending

  /**
   * Sends a message: a string as text, bytes as binary. `callback` runs once the data is
   * handed to the kernel, or with an error if the connection is not open (nothing throws).
   */
  send(data: SendData, options?: NodeSendOptions | SendCallback, callback?: SendCallback): void {
    if (typeof options === 'function') {
      callback = options;
      options = undefined;
    }
    const payload = toPayload(data, 'send');
    // ws's `binary` option: a string sent as binary, or bytes sent as (UTF-8) text.
    this.sendMessage(
      payload,
      options?.binary ?? typeof payload !== 'string',
      options?.compress,
      callback,
    );
  }

  /** Like `send`, as a promise that settles once the data is handed to the kernel. */
  sendAsync(data: SendData, options?: NodeSendOptions): Promise<void> {
    return new Promise((resolve, reject) =>
      this.send(data, options ?? {}, (error) => (error ? reject(error) : resolve())),
    );
  }

  ping(data?: SendData, callback?: SendCallback): void {
    this.sendControl('ping', data === undefined ? undefined : toPayload(data, 'ping'), callback);
  }

  pong(data?: SendData, callback?: SendCallback): void {
    this.sendControl('pong', data === undefined ? undefined : toPayload(data, 'pong'), callback);
  }

  // ---------------------------------------------------------------------------------------
  // Topics (server peers)

  subscribe(topic: string): void {
    this.#topicRegistry('subscribe').subscribe(this as WebSocket<unknown>, topic);
  }

  unsubscribe(topic: string): void {
    this.#topicRegistry('unsubscribe').unsubscribe(this as WebSocket<unknown>, topic);
  }

  isSubscribed(topic: string): boolean {
    return this.topics.has(topic);
  }

  /** Sends to every subscriber of `topic` except this peer. */
  publish(topic: string, data: SendData, _options?: SendOptions): void {
    this.#topicRegistry('publish').publish(topic, data, this as WebSocket<unknown>);
  }

  /** @internal Runs the open hook (server peers). */
  runOpenHook(): void {
    this.#context?.dispatcher.open(this);
  }

  // ---------------------------------------------------------------------------------------
  // Driver events → ws-style events and hooks

  protected onInboundMessage(data: Uint8Array, isBinary: boolean): void {
    if (this.listenerCount('message') > 0) {
      this.emit('message', this.messageEventData(data, isBinary), isBinary);
    }
    const dispatcher = this.#context?.dispatcher;
    if (dispatcher?.wantsMessages) {
      dispatcher.message(this, new WebSocketMessage(asBuffer(data), isBinary));
    }
  }

  /** What a 'message' listener gets: a Buffer (the ws-style class honours `binaryType`). */
  protected messageEventData(data: Uint8Array, _isBinary: boolean): Buffer {
    return asBuffer(data);
  }

  protected onInboundPing(data: Uint8Array): void {
    this.emit('ping', asBuffer(data));
  }

  protected onInboundPong(data: Uint8Array): void {
    this.emit('pong', asBuffer(data));
  }

  protected onConnectionError(error: Error): void {
    // 'error' without a listener would crash the process; bad input must never do that.
    if (this.listenerCount('error') > 0) this.emit('error', error);
    this.#context?.dispatcher.error(this, error);
  }

  protected onConnectionClosed(info: CloseInfo): void {
    this.#context?.clients?.delete(this);
    this.#context?.topics.removePeer(this as WebSocket<unknown>);
    this.emit('close', info.code, Buffer.from(info.reason), info.wasClean);
    this.#context?.dispatcher.close(this, info);
  }

  protected onDrained(): void {
    this.emit('drain');
    this.#context?.dispatcher.drain(this);
  }

  #topicRegistry(operation: string): PeerContext<Data>['topics'] {
    if (this.#context === undefined) {
      throw new WebSocketError(
        'WS_ERR_INVALID_STATE',
        `${operation}: topics are only available on server peers`,
      );
    }
    return this.#context.topics;
  }
}
