import { isUtf8 } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  CloseCode,
  type CloseDetails,
  Connection,
  type ConnectionHandler,
  type Hooks,
  type Message,
  type NegotiatedDeflate,
  type Peer,
  PeerState,
  type PeerStateValue,
  type PerMessageCodec,
  type PreparedMessage,
  type SendData,
  type SendOptions,
  type UpgradeRequest,
  WebSocketError,
  WebSocketMessage,
} from '@wskit/core';
import type { LivenessMonitor, Monitored } from './liveness-monitor.js';
import type { ResolvedConnectionOptions } from './options.js';
import type { TopicRegistry } from './topics.js';

export type SendCallback = (error?: Error | null) => void;

/** The shared API's send options plus `ws`'s `binary`. */
export interface NodeSendOptions extends SendOptions {
  /** Send a string as a binary message (true) or bytes as a text message (false). */
  readonly binary?: boolean;
}

/** Everything the server or the client hands to a new connection. */
export interface WebSocketInit<Data> {
  readonly socket: Duplex;
  /** Bytes read past the handshake head (frames may arrive with the 101). */
  readonly head: Uint8Array | undefined;
  readonly role: 'client' | 'server';
  readonly url: string;
  readonly protocol: string;
  readonly extensions: string;
  readonly deflate: { negotiated: NegotiatedDeflate; codec: PerMessageCodec } | undefined;
  readonly options: ResolvedConnectionOptions;
  readonly monitor: LivenessMonitor;
  readonly id: string;
  readonly data: Data;
  readonly request: UpgradeRequest | undefined;
  readonly hooks: Hooks<Data> | undefined;
  readonly topics: TopicRegistry | undefined;
}

const EMPTY_BUFFER = Buffer.alloc(0);

const kOwner = Symbol('wskit.websocket');
type OwnedSocket = Duplex & { [kOwner]: WebSocket<unknown> };

function ownerOf(socket: Duplex): WebSocket<unknown> {
  return (socket as OwnedSocket)[kOwner];
}

function destroySocket(socket: Duplex): void {
  socket.destroy();
}

/** What the core calls back into (see `WebSocket.#handlerPrototype`). */
interface CoreHandler extends ConnectionHandler {
  ws: WebSocket<unknown>;
}

const allocateUnsafe = (size: number): Uint8Array => Buffer.allocUnsafe(size);

/** A Node Buffer over the same memory: `ws` users expect Buffers in 'message' events. */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function toBytes(data: SendData, operation: string): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new WebSocketError(
    'WS_ERR_INVALID_ARGUMENT',
    `${operation} expects a string, an ArrayBuffer or an ArrayBufferView, got ${data === null ? 'null' : typeof data}`,
  );
}

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
 * One WebSocket connection on Node: the driver loop around a `@wskit/core` Connection
 * (socket data → core → writes → events → hooks), shared by server peers and clients.
 *
 * Two faces on one object: the shared hooks API's `Peer` (send, close, subscribe, data...)
 * and an EventEmitter familiar to `ws` users ('message' with `(data: Buffer, isBinary)`,
 * 'close' with `(code, reason: Buffer)`, 'ping', 'pong', 'error', 'drain').
 */
export class WebSocket<Data = unknown>
  extends EventEmitter<WebSocketEvents>
  implements Peer<Data>, Monitored
{
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

  readonly id: string;
  readonly data: Data;
  readonly url: string;
  readonly protocol: string;
  readonly extensions: string;
  readonly #request: UpgradeRequest | undefined;

  readonly #socket: Duplex;
  readonly #connection: Connection;
  readonly #options: ResolvedConnectionOptions;
  readonly #monitor: LivenessMonitor;
  readonly #hooks: Hooks<Data> | undefined;
  readonly #topicRegistry: TopicRegistry | undefined;
  #topics: Set<string> | undefined;

  readonly #codec: PerMessageCodec | undefined;
  readonly #compressThreshold: number;
  /** A compressed message is inflating: events that happen meanwhile wait (transport end). */
  #inflating = false;
  /** Reading paused by the user (`pause()`), e.g. a stream consumer that is behind. */
  #paused = false;
  #heldEvents: Array<() => void> = [];
  /** Messages being compressed: their places are reserved in the core's output queue. */
  #compressing = 0;
  #compressingBytes = 0;
  /** Send callbacks of messages queued behind a compression, called once all are written. */
  #deferredCallbacks: SendCallback[] = [];

  #pendingHead: Uint8Array | undefined;
  #readyState: PeerStateValue = PeerState.OPEN;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #ended = false;
  #backpressured = false;
  lastReceivedAt = Date.now();
  pingSentAt = 0;

  /** @internal Built by the server and by `connect()`. */
  constructor(init: WebSocketInit<Data>) {
    super();
    this.id = init.id;
    this.data = init.data;
    this.url = init.url;
    this.protocol = init.protocol;
    this.extensions = init.extensions;
    this.#request = init.request;
    this.#socket = init.socket;
    this.#options = init.options;
    this.#monitor = init.monitor;
    this.#hooks = init.hooks;
    this.#topicRegistry = init.topics;
    this.#codec = init.deflate?.codec;
    this.#compressThreshold = init.deflate?.negotiated.threshold ?? Number.POSITIVE_INFINITY;
    this.#connection = new Connection({
      role: init.role,
      maxMessageSize: init.options.maxMessageSize,
      maxFrameSize: init.options.maxFrameSize,
      perMessageCompression: init.deflate !== undefined,
      // Node's SIMD UTF-8 check and unzeroed reassembly memory (only written bytes are exposed).
      isUtf8,
      allocate: allocateUnsafe,
      handler: WebSocket.#createHandler(this as WebSocket<unknown>),
    });
    const socket = this.#socket;
    if ('setNoDelay' in socket && typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
    if ('setTimeout' in socket && typeof socket.setTimeout === 'function') socket.setTimeout(0);
    // Shared listener functions find this object through the socket: no closures per
    // connection (idle memory at 10,000 connections, packages/bench).
    (socket as OwnedSocket)[kOwner] = this as WebSocket<unknown>;
    socket.on('data', WebSocket.#listeners.data);
    socket.on('close', WebSocket.#listeners.close);
    socket.on('error', WebSocket.#listeners.error);
    socket.on('drain', WebSocket.#listeners.drain);
    socket.on('end', WebSocket.#listeners.end);
    // Nothing is read until `start()`: the user's listeners must be in place first.
    socket.pause();
    this.#pendingHead = init.head;
    this.#monitor.add(this);
  }

  /** @internal Starts reading, first the bytes that came with the handshake. */
  start(): void {
    const head = this.#pendingHead;
    this.#pendingHead = undefined;
    if (head !== undefined && head.length > 0) this.#onData(asBuffer(head));
    if (!this.#inflating && !this.#paused && !this.#socket.destroyed) this.#socket.resume();
  }

  get request(): UpgradeRequest {
    if (this.#request === undefined) {
      throw new WebSocketError('WS_ERR_INVALID_STATE', 'request is only known on server peers');
    }
    return this.#request;
  }

  get readyState(): PeerStateValue {
    return this.#readyState;
  }

  /** Bytes accepted by `send` and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.#socket.writableLength + this.#connection.outputBytes + this.#compressingBytes;
  }

  get topics(): ReadonlySet<string> {
    return this.#topics ?? EMPTY_TOPICS;
  }

  // ---------------------------------------------------------------------------------------
  // Sending

  /**
   * Sends a message: a string as text, bytes as binary. `callback` runs once the data is
   * handed to the kernel (or with an error if the connection ended first).
   */
  send(data: SendData, options?: NodeSendOptions | SendCallback, callback?: SendCallback): void {
    if (typeof options === 'function') {
      callback = options;
      options = undefined;
    }
    let payload = toBytes(data, 'send');
    // ws's `binary` option: a string sent as binary, or bytes sent as (UTF-8) text.
    const isBinary = options?.binary ?? typeof payload !== 'string';
    if (isBinary && typeof payload === 'string') payload = Buffer.from(payload);
    // The core may already be closing (a close echoed while a message was still inflating).
    if (this.#readyState !== PeerState.OPEN || this.#connection.state !== 'open') {
      const error = new WebSocketError(
        'WS_ERR_INVALID_STATE',
        `send: the connection is ${this.#readyState === PeerState.CLOSING ? 'closing' : 'closed'}`,
      );
      if (callback === undefined) throw error;
      process.nextTick(callback, error);
      return;
    }
    const size = typeof payload === 'string' ? payload.length : payload.byteLength;
    const compress =
      this.#codec !== undefined && (options?.compress ?? size >= this.#compressThreshold);
    if (compress) {
      this.#sendCompressed(payload, isBinary, size, callback);
      return;
    }
    if (typeof payload === 'string') this.#connection.sendText(payload);
    else if (isBinary) this.#connection.sendBinary(payload);
    else this.#connection.sendFragment(payload, { fin: true, binary: false });
    this.#flush(this.#deferIfCompressing(callback), true);
  }

  /**
   * Stops reading from the socket: no more 'message' events until `resume()`, and TCP flow
   * control pushes back on the peer. For consumers that cannot keep up (streams).
   */
  pause(): void {
    this.#paused = true;
    this.#socket.pause();
  }

  resume(): void {
    this.#paused = false;
    if (!this.#inflating && !this.#socket.destroyed) this.#socket.resume();
  }

  get isPaused(): boolean {
    return this.#paused;
  }

  /** Like `send`, as a promise that settles once the data is handed to the kernel. */
  sendAsync(data: SendData, options?: NodeSendOptions): Promise<void> {
    return new Promise((resolve, reject) =>
      this.send(data, options ?? {}, (error) => (error ? reject(error) : resolve())),
    );
  }

  ping(data?: SendData, callback?: SendCallback): void {
    this.#assertOpen('ping');
    this.#connection.sendPing(data === undefined ? EMPTY_BUFFER : toBytes(data, 'ping'));
    this.#flush(callback);
  }

  pong(data?: SendData, callback?: SendCallback): void {
    this.#assertOpen('pong');
    this.#connection.sendPong(data === undefined ? EMPTY_BUFFER : toBytes(data, 'pong'));
    this.#flush(callback);
  }

  /** Starts the closing handshake (RFC 6455 §7.1.2); 'close' follows when it completes. */
  close(code?: number, reason?: string): void {
    if (this.#readyState === PeerState.CLOSED) return;
    this.#connection.close(code, reason ?? '');
    if (this.#readyState === PeerState.OPEN) this.#readyState = PeerState.CLOSING;
    this.#flush(undefined);
    this.#afterInput();
  }

  /** Destroys the socket at once: no closing handshake; 'close' reports 1006. */
  terminate(): void {
    if (this.#readyState === PeerState.CLOSED) return;
    this.#readyState = PeerState.CLOSING;
    this.#socket.destroy();
  }

  subscribe(topic: string): void {
    const registry = this.#requireTopics('subscribe');
    if (typeof topic !== 'string')
      throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', 'subscribe expects a topic string');
    if (this.#readyState !== PeerState.OPEN) return;
    this.#topics ??= new Set();
    if (this.#topics.has(topic)) return;
    this.#topics.add(topic);
    registry.add(topic, this as WebSocket<unknown>);
  }

  unsubscribe(topic: string): void {
    if (this.#topics === undefined || !this.#topics.delete(topic)) return;
    this.#topicRegistry?.remove(topic, this as WebSocket<unknown>);
  }

  isSubscribed(topic: string): boolean {
    return this.#topics?.has(topic) ?? false;
  }

  /** Sends to every subscriber of `topic` except this peer. */
  publish(topic: string, data: SendData, options?: SendOptions): void {
    this.#requireTopics('publish').publish(topic, data, options, this as WebSocket<unknown>);
  }

  /** @internal Pub/sub: queue a message framed once for all subscribers. */
  sendPrepared(message: PreparedMessage): void {
    if (this.#readyState !== PeerState.OPEN) return;
    this.#connection.sendPrepared(message);
    this.#flush(undefined, true);
  }

  // ---------------------------------------------------------------------------------------
  // Monitored (heartbeat and idle timeout, driven by LivenessMonitor)

  /** @internal */
  sendHeartbeatPing(): void {
    if (this.#readyState !== PeerState.OPEN) return;
    this.#connection.sendPing(EMPTY_BUFFER);
    this.#flush(undefined);
  }

  /** @internal */
  onPongTimeout(): void {
    this.#emitError(
      new WebSocketError('WS_ERR_PONG_TIMEOUT', 'no pong received within the heartbeat timeout'),
    );
    this.terminate();
  }

  /** @internal */
  onIdleTimeout(): void {
    this.#monitor.delete(this);
    if (this.#readyState === PeerState.OPEN) this.close(CloseCode.GOING_AWAY, 'idle timeout');
  }

  // ---------------------------------------------------------------------------------------
  // Driver loop

  #onData(chunk: Buffer): void {
    this.lastReceivedAt = Date.now();
    // Everything sent while this chunk is handled (echoes, pongs) leaves in one writev: one
    // syscall per chunk instead of one per message (5x the 64 B echo rate, packages/bench).
    const socket = this.#socket;
    socket.cork();
    try {
      this.#connection.receiveData(chunk);
      this.#flush(undefined);
      this.#afterInput();
    } finally {
      socket.uncork();
    }
  }

  /** After any input or close: end the transport or arm the close timer as the core asks. */
  #afterInput(): void {
    const connection = this.#connection;
    // Output may still wait behind a message being compressed: end only once it is written.
    if (
      connection.transportCloseRequested &&
      !this.#ended &&
      !this.#inflating &&
      this.#compressing === 0
    ) {
      this.#ended = true;
      // RFC 6455 §7.1.1: the server closes the TCP connection first; a failing side too.
      this.#socket.end();
    }
    if (connection.closeExpected() && this.#closeTimer === undefined) {
      this.#closeTimer = setTimeout(destroySocket, this.#options.closeTimeout, this.#socket);
      this.#closeTimer.unref?.();
    }
  }

  /**
   * Writes what the core has queued. `dataSent`: this flush follows a data message, the only
   * writes that count against maxBufferedAmount (control frames are tiny and must get out).
   */
  #flush(callback: SendCallback | undefined, dataSent = false): void {
    const chunks = this.#connection.takeOutput();
    const socket = this.#socket;
    if (chunks.length === 0) {
      if (callback !== undefined) process.nextTick(callback);
      return;
    }
    if (socket.destroyed || !socket.writable) {
      if (callback !== undefined) {
        process.nextTick(
          callback,
          new WebSocketError('WS_ERR_INVALID_STATE', 'the socket is closed'),
        );
      }
      return;
    }
    // What was still unsent before this write: a peer is "not reading" when old data piles up,
    // not when one large message (up to maxMessageSize) is written at once.
    const queuedBefore = socket.writableLength;
    let ok = true;
    if (chunks.length === 1) {
      ok = socket.write(chunks[0] as Uint8Array, callback);
    } else {
      socket.cork();
      const last = chunks.length - 1;
      for (let i = 0; i < last; i++) socket.write(chunks[i] as Uint8Array);
      ok = socket.write(chunks[last] as Uint8Array, callback);
      socket.uncork();
    }
    if (!ok) this.#onBackpressure(dataSent ? queuedBefore : 0);
  }

  #onBackpressure(queuedBefore: number): void {
    this.#backpressured = true;
    if (queuedBefore > this.#options.maxBufferedAmount) {
      if (this.#readyState === PeerState.OPEN) this.#readyState = PeerState.CLOSING;
      // A peer that does not read must not make us buffer without bound. The close frame
      // would sit behind the data it is not reading, so the socket is dropped at once.
      this.#emitError(
        new WebSocketError(
          'WS_ERR_SEND_BUFFER_FULL',
          `bufferedAmount passed maxBufferedAmount (${this.#options.maxBufferedAmount} bytes): the peer is not reading`,
          { closeCode: CloseCode.POLICY_VIOLATION },
        ),
      );
      try {
        this.#connection.fail(CloseCode.POLICY_VIOLATION, 'send buffer limit exceeded');
      } catch {}
      this.#socket.destroy();
    }
  }

  #onSocketDrain(): void {
    if (!this.#backpressured || this.#socket.writableLength > 0) return;
    this.#backpressured = false;
    this.emit('drain');
    this.#callHook('drain', () => this.#hooks?.drain?.(this));
  }

  #onSocketEnd(): void {
    // The peer half-closed (TCP FIN). A WebSocket has no half-open state: finish our side.
    if (!this.#socket.destroyed) this.#socket.end();
  }

  #onSocketError(): void {
    // ECONNRESET and the like: 'close' follows and reports 1006. Nothing to rethrow: a
    // transport error is not the user's bug.
  }

  #onSocketClose(): void {
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    this.#monitor.delete(this);
    if (this.#topics !== undefined) {
      for (const topic of this.#topics)
        this.#topicRegistry?.remove(topic, this as WebSocket<unknown>);
      this.#topics = undefined;
    }
    this.#codec?.close();
    this.#failDeferredCallbacks();
    this.#dispatchInbound(() => this.#connection.receiveEof());
  }

  // ---------------------------------------------------------------------------------------
  // Core callbacks

  static #createHandler(ws: WebSocket<unknown>): CoreHandler {
    const handler = Object.create(WebSocket.#handlerPrototype) as CoreHandler;
    handler.ws = ws;
    return handler;
  }

  /** The core's callbacks: one shared prototype, `this.ws` is the connection. */
  static readonly #handlerPrototype = {
    onMessage(this: CoreHandler, data: Uint8Array, isBinary: boolean): void {
      const ws = this.ws;
      if (ws.#inflating) ws.#heldEvents.push(() => ws.#emitMessage(data, isBinary));
      else ws.#emitMessage(data, isBinary);
    },
    onCompressedMessage(this: CoreHandler, data: Uint8Array, isBinary: boolean): void {
      this.ws.#startInflating(data, isBinary);
    },
    onPing(this: CoreHandler, data: Uint8Array): void {
      const ws = this.ws;
      ws.#dispatchInbound(() => ws.emit('ping', asBuffer(data)));
    },
    onPong(this: CoreHandler, data: Uint8Array): void {
      const ws = this.ws;
      ws.#dispatchInbound(() => ws.emit('pong', asBuffer(data)));
    },
    onCloseFrame(this: CoreHandler): void {
      const ws = this.ws;
      ws.#dispatchInbound(() => {
        if (ws.#readyState === PeerState.OPEN) ws.#readyState = PeerState.CLOSING;
      });
    },
    onError(this: CoreHandler, error: WebSocketError): void {
      const ws = this.ws;
      ws.#dispatchInbound(() => {
        if (ws.#readyState === PeerState.OPEN) ws.#readyState = PeerState.CLOSING;
        ws.#emitError(error);
      });
    },
    onClosed(this: CoreHandler, info: { code: number; reason: string; wasClean: boolean }): void {
      const ws = this.ws;
      ws.#readyState = PeerState.CLOSED;
      const details: CloseDetails = info;
      ws.emit('close', info.code, Buffer.from(info.reason), info.wasClean);
      ws.#callHook('close', () => ws.#hooks?.close?.(ws, details));
    },
  };

  /** Socket listeners shared by every connection; `this` is the socket. */
  static readonly #listeners = {
    data(this: Duplex, chunk: Buffer): void {
      ownerOf(this).#onData(chunk);
    },
    close(this: Duplex): void {
      ownerOf(this).#onSocketClose();
    },
    error(this: Duplex): void {
      ownerOf(this).#onSocketError();
    },
    drain(this: Duplex): void {
      ownerOf(this).#onSocketDrain();
    },
    end(this: Duplex): void {
      ownerOf(this).#onSocketEnd();
    },
  };

  /** One message inflates at a time, in order (see `onCompressedMessage`). */
  #startInflating(data: Uint8Array, isBinary: boolean): void {
    // Copy: the view points into a socket chunk and inflating is asynchronous.
    const compressed = Buffer.from(data);
    // The core holds every frame after this one (a ping, a close) and the socket stops reading
    // until the message is delivered (ARCHITECTURE.md).
    this.#inflating = true;
    this.#connection.suspendInput();
    this.#socket.pause();
    (this.#codec as PerMessageCodec).decompress(compressed, this.#connection.maxMessageSize).then(
      (inflated) => this.#inflated(() => this.#connection.deliverDecompressed(inflated, isBinary)),
      (error: unknown) => this.#inflated(() => this.#failDecompression(error)),
    );
  }

  /** Runs `event` now, or after the message being inflated, so order is kept. */
  #dispatchInbound(event: () => void): void {
    if (this.#inflating) this.#heldEvents.push(event);
    else event();
  }

  /** A compressed message finished inflating: deliver it, then carry on reading. */
  #inflated(deliver: () => void): void {
    this.#inflating = false;
    this.#socket.cork();
    try {
      this.#deliverInflated(deliver);
    } finally {
      this.#socket.uncork();
    }
  }

  #deliverInflated(deliver: () => void): void {
    deliver();
    // Frames held behind the message; another compressed one suspends input again.
    this.#connection.resumeInput();
    if (!this.#inflating && this.#heldEvents.length > 0) {
      const held = this.#heldEvents;
      this.#heldEvents = [];
      for (const event of held) event();
    }
    this.#flush(undefined);
    this.#afterInput();
    if (!this.#inflating && !this.#paused && !this.#socket.destroyed) this.#socket.resume();
  }

  #failDecompression(error: unknown): void {
    const failure =
      error instanceof WebSocketError
        ? error
        : new WebSocketError('WS_ERR_DECOMPRESSION_FAILED', 'invalid compressed data', {
            closeCode: CloseCode.INVALID_PAYLOAD,
          });
    if (this.#connection.state === 'closed') return;
    this.#dispatchInbound(() => {
      if (this.#readyState === PeerState.OPEN) this.#readyState = PeerState.CLOSING;
      this.#emitError(failure);
    });
    try {
      this.#connection.fail(failure.closeCode ?? CloseCode.INVALID_PAYLOAD, failure.message);
    } catch {
      this.#connection.fail(CloseCode.INVALID_PAYLOAD);
    }
  }

  #emitMessage(data: Uint8Array, isBinary: boolean): void {
    if (this.listenerCount('message') > 0) this.emit('message', asBuffer(data), isBinary);
    const hook = this.#hooks?.message;
    if (hook !== undefined) {
      const message: Message = new WebSocketMessage(asBuffer(data), isBinary);
      this.#callHook('message', () => hook(this, message));
    }
  }

  #emitError(error: Error): void {
    // 'error' without a listener would crash the process; bad input must never do that.
    if (this.listenerCount('error') > 0) this.emit('error', error);
    const hook = this.#hooks?.error;
    if (hook !== undefined) {
      try {
        hook(this, error);
      } catch {}
    }
  }

  /** Runs a user hook; a throw or a rejection goes to the error hook, never up the stack. */
  #callHook(name: string, run: () => unknown): void {
    try {
      const result = run();
      if (result !== undefined && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>).then(undefined, (error: unknown) =>
          this.#hookFailed(name, error),
        );
      }
    } catch (error) {
      this.#hookFailed(name, error);
    }
  }

  #hookFailed(name: string, error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    if (this.#hooks?.error !== undefined && name !== 'error') {
      try {
        this.#hooks.error(this, failure);
      } catch {}
    } else if (this.listenerCount('error') > 0) {
      this.emit('error', failure);
    } else {
      // An unlistened 'error' would throw out of the socket's data handler: a crash and lost
      // input. A hook bug is reported as a process warning instead.
      process.emitWarning(failure);
    }
  }

  /** @internal Runs the open hook. */
  runOpenHook(): void {
    this.#callHook('open', () => this.#hooks?.open?.(this));
  }

  /**
   * RFC 7692: compresses off the event loop while the message keeps its place in the core's
   * output queue, so frames sent after it (and a close echo) still go out after it.
   */
  #sendCompressed(
    payload: string | Uint8Array,
    isBinary: boolean,
    size: number,
    callback: SendCallback | undefined,
  ): void {
    const connection = this.#connection;
    const reserved = connection.reserveCompressed(isBinary);
    this.#compressing++;
    this.#compressingBytes += size;
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    (this.#codec as PerMessageCodec).compress(bytes).then(
      (compressed) => {
        connection.fillReserved(reserved, compressed);
        this.#compressionDone(size, callback, undefined);
      },
      (error: unknown) => {
        connection.cancelReserved(reserved);
        const failure = error instanceof Error ? error : new Error(String(error));
        this.#compressionDone(size, callback, failure);
        if (connection.state === 'open') {
          this.#emitError(failure);
          connection.fail(CloseCode.INTERNAL_ERROR, 'compression failed');
          this.#flush(undefined);
          this.#afterInput();
        }
      },
    );
  }

  #compressionDone(
    size: number,
    callback: SendCallback | undefined,
    error: Error | undefined,
  ): void {
    this.#compressing--;
    this.#compressingBytes -= size;
    if (error !== undefined) {
      if (callback !== undefined) process.nextTick(callback, error);
      this.#flush(undefined);
    } else {
      this.#flush(this.#deferIfCompressing(callback), true);
    }
    if (this.#compressing === 0 && this.#deferredCallbacks.length > 0) {
      const callbacks = this.#deferredCallbacks;
      this.#deferredCallbacks = [];
      this.#flush(() => {
        for (const deferred of callbacks) deferred();
      });
    }
    this.#afterInput();
  }

  /** While a compression is pending, a callback waits until everything queued is written. */
  #deferIfCompressing(callback: SendCallback | undefined): SendCallback | undefined {
    if (callback === undefined || this.#compressing === 0) return callback;
    this.#deferredCallbacks.push(callback);
    return undefined;
  }

  #failDeferredCallbacks(): void {
    const callbacks = this.#deferredCallbacks;
    this.#deferredCallbacks = [];
    if (callbacks.length === 0) return;
    const error = new WebSocketError(
      'WS_ERR_INVALID_STATE',
      'the connection closed before the message was sent',
    );
    for (const callback of callbacks) process.nextTick(callback, error);
  }

  #assertOpen(operation: string): void {
    if (this.#readyState !== PeerState.OPEN) {
      throw new WebSocketError('WS_ERR_INVALID_STATE', `${operation}: the connection is not open`);
    }
  }

  #requireTopics(operation: string): TopicRegistry {
    if (this.#topicRegistry === undefined) {
      throw new WebSocketError(
        'WS_ERR_INVALID_STATE',
        `${operation}: topics are only available on server peers`,
      );
    }
    return this.#topicRegistry;
  }
}

const EMPTY_TOPICS: ReadonlySet<string> = new Set();
