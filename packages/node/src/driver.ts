import { isUtf8 } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  CloseCode,
  type CloseInfo,
  Connection,
  type ConnectionHandler,
  encodeClosePayload,
  type NegotiatedDeflate,
  PeerState,
  type PeerStateValue,
  type PerMessageCodec,
  type PreparedMessage,
  WebSocketError,
} from '@wskit/core';
import type { LivenessMonitor, Monitored, ResolvedConnectionOptions } from '@wskit/server';

export type SendCallback = (error?: Error | null) => void;

/** What the server or the client hands to a new connection's driver. */
export interface DriverInit {
  readonly socket: Duplex;
  /** Bytes read past the handshake head (frames may arrive with the 101). */
  readonly head: Uint8Array | undefined;
  readonly role: 'client' | 'server';
  readonly deflate: { negotiated: NegotiatedDeflate; codec: PerMessageCodec } | undefined;
  readonly options: ResolvedConnectionOptions;
  readonly monitor: LivenessMonitor;
}

const EMPTY_BUFFER = Buffer.alloc(0);

// SocketDriver's flags (#flags).
const ABANDONED = 1;
const INFLATING = 2;
const PAUSED = 4;
const CLOSING_LOCALLY = 8;
const ENDED = 16;
const BACKPRESSURED = 32;
/** A chunk arrived since the liveness sweep last looked (Monitored.received). */
const RECEIVED = 64;
/** The socket is corked by a write batch (`#batchWrites`), uncorked when the callback ends. */
const BATCHED = 128;

// biome-ignore lint/suspicious/noExplicitAny: any face of the driver, whatever its events.
type AnyDriver = SocketDriver<any>;

/**
 * The driver of each socket, for the shared listeners. A WeakMap rather than a property on the
 * socket: one more property than net.Socket's own moves its fields to a separate backing
 * store, about 160 bytes per connection (heap-budget.mjs), against about 30 for an entry here.
 */
const drivers = new WeakMap<Duplex, AnyDriver>();

function driverOf(socket: Duplex): AnyDriver {
  return drivers.get(socket) as AnyDriver;
}

function destroySocket(socket: Duplex): void {
  socket.destroy();
}

/** What the core calls back into (see `SocketDriver.#Handler`). */
interface CoreHandler extends ConnectionHandler {
  driver: AnyDriver;
}

const allocateUnsafe = (size: number): Uint8Array => Buffer.allocUnsafe(size);

/**
 * A peer's EventEmitter listener table. Node's own is a null-prototype object literal, which V8
 * keeps as a dictionary: about 200 bytes more per idle peer with two listeners (ws-style code
 * adds 'message' and 'error') than an instance of this constructor, a fast object of 24 bytes
 * plus a field per event. Its prototype has no prototype and no properties, so as with Node's
 * table no event name (`toString`, `constructor`, `__proto__`) finds an inherited property.
 */
function ListenerTable(): void {}
ListenerTable.prototype = Object.create(null);
const newListenerTable = (): object => new (ListenerTable as unknown as new () => object)();

/** A Node Buffer over the same memory: `ws` users expect Buffers in 'message' events. */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

// biome-ignore lint/suspicious/noExplicitAny: the same constraint as Node's EventEmitter<T>.
type EventMap<T> = Record<keyof T, any[]>;

/**
 * The one driver loop of @wskit/node: a socket (TCP, TLS, any Duplex) around a
 * `@wskit/core` Connection. Server peers, clients and the browser shim's Node class all run
 * on it; the faces users see (the hooks `Peer`, the `ws`-style events) are subclasses that
 * implement the `on*` callbacks.
 *
 * The loop, for every chunk read (the core's driving contract, packages/core/README.md):
 * feed the core, write what it queued (one writev per chunk), end the transport or arm the
 * close timer as the core asks, and let the events it raised reach the subclass.
 *
 * **Deflate ordering** (RFC 7692 over an asynchronous zlib), in one place:
 * - Inbound: a compressed message suspends the core's input and pauses the socket while it
 *   inflates; every event raised meanwhile (a ping, the close, the transport's end) is held
 *   and delivered after the message, so the application sees exactly the wire order.
 * - Outbound: a message being compressed reserves its place in the core's output queue;
 *   frames sent later (other messages, pongs, the close echo) wait behind it, send callbacks
 *   queued behind it run once everything before them is written, and the transport is not
 *   ended while a compression is pending.
 */
export abstract class SocketDriver<Events extends EventMap<Events>>
  extends EventEmitter<Events>
  implements Monitored
{
  // Set by attach(): at construction for server peers and connect(), once the handshake is
  // done for a client constructed first (the ws-style `new WebSocket(url)`).
  #socket!: Duplex;
  #connection: Connection | undefined;
  #options!: ResolvedConnectionOptions;
  #monitor!: LivenessMonitor;

  /** permessage-deflate's state, only on connections that negotiated it (idle memory). */
  #deflate: DeflateState | undefined;
  /** The booleans below, one bit each: one field instead of six (idle memory). */
  #flags = 0;

  #pendingHead: Uint8Array | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  /** @internal Monitored: written by the liveness monitor. */
  lastReceivedAt = 0;
  /** @internal Monitored: written by the liveness monitor. */
  pingSentAt = 0;

  // permessage-deflate's state (see DeflateState); without deflate nothing is compressing.
  get #codec(): PerMessageCodec | undefined {
    return this.#deflate?.codec;
  }
  get #compressing(): number {
    return this.#deflate?.compressing ?? 0;
  }
  set #compressing(value: number) {
    (this.#deflate as DeflateState).compressing = value;
  }
  get #compressingBytes(): number {
    return this.#deflate?.compressingBytes ?? 0;
  }
  set #compressingBytes(value: number) {
    (this.#deflate as DeflateState).compressingBytes = value;
  }
  get #deferredCallbacks(): SendCallback[] | undefined {
    return this.#deflate?.deferredCallbacks;
  }
  set #deferredCallbacks(value: SendCallback[] | undefined) {
    (this.#deflate as DeflateState).deferredCallbacks = value;
  }
  get #heldEvents(): Array<() => void> | undefined {
    return this.#deflate?.heldEvents;
  }
  set #heldEvents(value: Array<() => void> | undefined) {
    (this.#deflate as DeflateState).heldEvents = value;
  }

  /** A connection attempt that never opened: CLOSED instead of CONNECTING. */
  get #abandoned(): boolean {
    return (this.#flags & ABANDONED) !== 0;
  }
  set #abandoned(value: boolean) {
    this.#setFlag(ABANDONED, value);
  }
  /** A compressed message is inflating: events that happen meanwhile wait (transport end). */
  get #inflating(): boolean {
    return (this.#flags & INFLATING) !== 0;
  }
  set #inflating(value: boolean) {
    this.#setFlag(INFLATING, value);
  }
  /** Reading paused by the user (`pause()`), e.g. a stream consumer that is behind. */
  get #paused(): boolean {
    return (this.#flags & PAUSED) !== 0;
  }
  set #paused(value: boolean) {
    this.#setFlag(PAUSED, value);
  }
  /**
   * Closing before the core says so: terminate(), a drop for backpressure, or a failure being
   * reported (the core raises onError just before it queues the close frame).
   */
  get #closingLocally(): boolean {
    return (this.#flags & CLOSING_LOCALLY) !== 0;
  }
  set #closingLocally(value: boolean) {
    this.#setFlag(CLOSING_LOCALLY, value);
  }
  /** The transport was ended (`end()`) as the core asked. */
  get #ended(): boolean {
    return (this.#flags & ENDED) !== 0;
  }
  set #ended(value: boolean) {
    this.#setFlag(ENDED, value);
  }
  /** A write returned false: 'drain' is listened to until the socket has taken everything. */
  get #backpressured(): boolean {
    return (this.#flags & BACKPRESSURED) !== 0;
  }
  set #backpressured(value: boolean) {
    this.#setFlag(BACKPRESSURED, value);
  }
  #setFlag(flag: number, value: boolean): void {
    this.#flags = value ? this.#flags | flag : this.#flags & ~flag;
  }

  /** The core, where the code runs only on an attached connection (socket events, flushes). */
  get #core(): Connection {
    return this.#connection as Connection;
  }

  /** Without `init` the connection is CONNECTING until `attach()`. */
  constructor(init?: DriverInit) {
    super();
    (this as unknown as { _events: object | undefined })._events = newListenerTable();
    if (init !== undefined) this.attach(init);
  }

  /** Takes over the socket of a completed handshake: from here on the connection is open. */
  protected attach(init: DriverInit): void {
    this.#socket = init.socket;
    this.#options = init.options;
    this.#monitor = init.monitor;
    if (init.deflate !== undefined) this.#deflate = new DeflateState(init.deflate);
    const handler = new SocketDriver.#Handler(this);
    this.#connection = new Connection({
      role: init.role,
      maxMessageSize: init.options.maxMessageSize,
      maxFrameSize: init.options.maxFrameSize,
      perMessageCompression: init.deflate !== undefined,
      // Node's SIMD UTF-8 check and unzeroed reassembly memory (only written bytes are exposed).
      isUtf8,
      allocate: allocateUnsafe,
      handler,
    });
    const socket = this.#socket;
    if ('setNoDelay' in socket && typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
    // Only a timeout someone set (an http server's, a client's handshake timeout) is cleared:
    // setTimeout writes `timeout` on the socket, a property net.Socket does not start with,
    // which costs a 40-byte property store per connection (heap-budget.mjs).
    if ((socket as { timeout?: number }).timeout && 'setTimeout' in socket) {
      (socket as Duplex & { setTimeout(ms: number): unknown }).setTimeout(0);
    }
    // Shared listener functions find the driver through the socket: no closures per
    // connection (idle memory at 10,000 connections, packages/bench).
    drivers.set(socket, this);
    socket.on('data', SocketDriver.#listeners.data);
    socket.on('close', SocketDriver.#listeners.close);
    socket.on('error', SocketDriver.#listeners.error);
    // 'drain' is listened to only while backpressured (#onBackpressure). A socket that is not
    // half-open already ends its side when the peer's FIN arrives (Duplex allowHalfOpen).
    if ((socket as { allowHalfOpen?: boolean }).allowHalfOpen !== false) {
      socket.on('end', SocketDriver.#listeners.end);
    }
    // Nothing is read until `start()`: the user's listeners must be in place first.
    socket.pause();
    this.#pendingHead = init.head;
    this.#monitor.add(this);
  }

  // ---------------------------------------------------------------------------------------
  // What the faces implement

  /** A whole message (text already validated as UTF-8). */
  protected abstract onInboundMessage(data: Uint8Array, isBinary: boolean): void;
  protected abstract onInboundPing(data: Uint8Array): void;
  protected abstract onInboundPong(data: Uint8Array): void;
  /** A protocol error of the peer, a pong timeout, a full send buffer: the close follows. */
  protected abstract onConnectionError(error: WebSocketError | Error): void;
  /** The last event, once: the transport ended. */
  protected abstract onConnectionClosed(info: CloseInfo): void;
  /** The socket took everything after backpressure. */
  protected abstract onDrained(): void;

  // ---------------------------------------------------------------------------------------
  // State

  /** Derived from the core's state; closing locally makes an open connection CLOSING at once. */
  get readyState(): PeerStateValue {
    if (this.#connection === undefined) {
      return this.#abandoned ? PeerState.CLOSED : PeerState.CONNECTING;
    }
    const state = this.#connection.state;
    if (state === 'open') return this.#closingLocally ? PeerState.CLOSING : PeerState.OPEN;
    return state === 'closing' ? PeerState.CLOSING : PeerState.CLOSED;
  }

  /** Bytes accepted by `send` and not yet handed to the kernel. */
  get bufferedAmount(): number {
    if (this.#connection === undefined) return 0;
    return this.#socket.writableLength + this.#connection.outputBytes + this.#compressingBytes;
  }

  /** The attempt to connect failed or was given up before the connection opened. */
  protected abandon(): void {
    this.#abandoned = true;
  }

  /**
   * `close()` or `terminate()` before the connection opened; the client face aborts its
   * handshake. Server peers are never unattached.
   */
  protected onCloseBeforeOpen(_code: number | undefined, _reason: string | undefined): void {}

  get isPaused(): boolean {
    return this.#paused;
  }

  /** @internal Starts reading, first the bytes that came with the handshake. */
  start(): void {
    const head = this.#pendingHead;
    this.#pendingHead = undefined;
    if (head !== undefined && head.length > 0) this.#onData(asBuffer(head));
    if (!this.#inflating && !this.#paused && !this.#socket.destroyed) this.#socket.resume();
  }

  /**
   * Stops reading from the socket: no more messages until `resume()`, and TCP flow control
   * pushes back on the peer. For consumers that cannot keep up (streams).
   */
  pause(): void {
    this.#paused = true;
    this.#socket?.pause();
  }

  resume(): void {
    this.#paused = false;
    const socket = this.#socket;
    // Before attach() there is no socket yet: start() reads unless paused.
    if (socket !== undefined && !this.#inflating && !socket.destroyed) socket.resume();
  }

  // ---------------------------------------------------------------------------------------
  // Sending: no method here throws because of the peer's timing. Once the connection is
  // closing or closed, data goes nowhere and the callback (if any) gets the error.

  /**
   * Queues a data message. `compress`: undefined = by the negotiated size threshold.
   * `callback` runs once the data is handed to the kernel, or with an error.
   */
  protected sendMessage(
    payload: string | Uint8Array,
    isBinary: boolean,
    compress: boolean | undefined,
    callback: SendCallback | undefined,
  ): void {
    const connection = this.#connection;
    if (connection === undefined) throw notOpenYet('send');
    if (this.#closingLocally || connection.state !== 'open') {
      notSent(callback, 'send');
      return;
    }
    const size = typeof payload === 'string' ? payload.length : payload.byteLength;
    const deflate = this.#deflate;
    if (deflate !== undefined && (compress ?? size >= deflate.threshold)) {
      this.#sendCompressed(payload, isBinary, size, callback);
      return;
    }
    if (typeof payload === 'string') {
      if (isBinary) connection.sendBinary(Buffer.from(payload));
      else connection.sendText(payload);
    } else if (isBinary) connection.sendBinary(payload);
    else connection.sendFragment(payload, { fin: true, binary: false });
    this.#flush(this.#deferIfCompressing(callback), true);
  }

  protected sendControl(
    kind: 'ping' | 'pong',
    data: Uint8Array | string | undefined,
    callback: SendCallback | undefined,
  ): void {
    const connection = this.#connection;
    if (connection === undefined) throw notOpenYet(kind);
    if (this.#closingLocally || connection.state !== 'open') {
      notSent(callback, kind);
      return;
    }
    if (kind === 'ping') connection.sendPing(data ?? EMPTY_BUFFER);
    else connection.sendPong(data ?? EMPTY_BUFFER);
    this.#flush(callback);
  }

  /** @internal Pub/sub: queue a message framed once for all subscribers. */
  deliverPublished(message: PreparedMessage): void {
    const connection = this.#connection as Connection;
    if (this.#closingLocally || connection.state !== 'open') return;
    connection.sendPrepared(message);
    this.#flush(undefined, true);
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2). Arguments are checked even when the
   * connection is already closing (a bad code is the caller's bug, whatever the timing);
   * otherwise a second close, or a close after the peer left, does nothing.
   */
  close(code?: number, reason?: string): void {
    const connection = this.#connection;
    if (connection === undefined || connection.state === 'closed' || this.#closingLocally) {
      encodeClosePayload(code, reason ?? ''); // only to check the arguments
      if (connection === undefined && !this.#abandoned) this.onCloseBeforeOpen(code, reason);
      return;
    }
    connection.close(code, reason ?? '');
    this.#flush(undefined);
    this.#afterInput();
  }

  /** Destroys the socket at once: no closing handshake; the close reports 1006. */
  terminate(): void {
    if (this.#connection === undefined) {
      if (!this.#abandoned) this.onCloseBeforeOpen(undefined, undefined);
      return;
    }
    if (this.#connection.state === 'closed') return;
    this.#closingLocally = true;
    // Messages sent before, in this callback, still go to the kernel, as unbatched ones did.
    this.#endWriteBatch();
    this.#socket.destroy();
  }

  // ---------------------------------------------------------------------------------------
  // Monitored (heartbeat and idle timeout, driven by the server layer's LivenessMonitor)

  /** @internal Monitored: a bit of `#flags`, set per chunk in `#onData`. */
  get received(): boolean {
    return (this.#flags & RECEIVED) !== 0;
  }
  set received(value: boolean) {
    this.#setFlag(RECEIVED, value);
  }

  /** @internal */
  sendHeartbeatPing(): void {
    if (this.readyState !== PeerState.OPEN) return;
    (this.#connection as Connection).sendPing(EMPTY_BUFFER);
    this.#flush(undefined);
  }

  /** @internal */
  onPongTimeout(): void {
    this.onConnectionError(
      new WebSocketError('WS_ERR_PONG_TIMEOUT', 'no pong received within the heartbeat timeout'),
    );
    this.terminate();
  }

  /** @internal */
  onIdleTimeout(): void {
    this.#monitor.delete(this);
    if (this.readyState === PeerState.OPEN) this.close(CloseCode.GOING_AWAY, 'idle timeout');
  }

  // ---------------------------------------------------------------------------------------
  // The loop

  #onData(chunk: Buffer): void {
    this.#flags |= RECEIVED;
    // Everything sent while this chunk is handled (echoes, pongs) leaves in one writev: one
    // syscall per chunk instead of one per message (5x the 64 B echo rate, packages/bench).
    const socket = this.#socket;
    socket.cork();
    try {
      this.#core.receiveData(chunk);
      this.#flush(undefined);
      this.#afterInput();
    } finally {
      socket.uncork();
    }
  }

  /** After any input or close: end the transport or arm the close timer as the core asks. */
  #afterInput(): void {
    const connection = this.#core;
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
    const core = this.#core;
    const queuedBytes = core.outputBytes;
    const chunks = core.takeOutput();
    const socket = this.#socket;
    if (chunks.length === 0) {
      if (callback !== undefined) process.nextTick(callback);
      return;
    }
    if (socket.destroyed || !socket.writable) {
      notSent(callback, 'send');
      return;
    }
    // A batch stays under the socket's high-water mark, so a batched write never reports
    // backpressure (and a burst to a reading peer is never taken for one that is not).
    this.#batchWrites(socket, queuedBytes - core.outputBytes);
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

  /**
   * Corks the socket until the current callback ends, so that the small messages it sends
   * leave in one writev. Only from an empty buffer (a socket with unsent data already gathers
   * writes, in Node's stream) and up to its high-water mark: a large message is not held, and
   * what a batch holds never counts as backpressure. Inside input handling the socket is
   * corked already (`#onData`). `bytes`: what this write adds, as the core counted it.
   */
  #batchWrites(socket: Duplex, bytes: number): void {
    if ((this.#flags & BATCHED) !== 0) {
      if (socket.writableLength + bytes < socket.writableHighWaterMark) return;
      // Full: what the batch holds goes now, ahead of this write.
      this.#endWriteBatch();
    }
    if (
      socket.writableCorked > 0 ||
      socket.writableLength > 0 ||
      bytes >= socket.writableHighWaterMark
    ) {
      return;
    }
    socket.cork();
    this.#flags |= BATCHED;
    if (SocketDriver.#batched.length === 0) process.nextTick(SocketDriver.#endWriteBatches);
    SocketDriver.#batched.push(this);
  }

  /**
   * Drivers whose sockets are corked by a write batch, uncorked together by one `nextTick` once
   * the current callback (a timer, another socket's message, a publish) is done. A send outside
   * input handling would otherwise cost one write system call per message: a publish burst of
   * ten messages, ten per subscriber. Input handling corks its own socket (`#onData`).
   */
  static #batched: AnyDriver[] = [];

  static #endWriteBatches(): void {
    const drivers = SocketDriver.#batched;
    SocketDriver.#batched = [];
    for (const driver of drivers) driver.#endWriteBatch();
  }

  /** Uncorks a write batch (see `#batchWrites`); does nothing without one. */
  #endWriteBatch(): void {
    if ((this.#flags & BATCHED) === 0) return;
    this.#flags &= ~BATCHED;
    this.#socket.uncork();
  }

  #onBackpressure(queuedBefore: number): void {
    if (!this.#backpressured) {
      this.#backpressured = true;
      this.#socket.on('drain', SocketDriver.#listeners.drain);
    }
    if (queuedBefore > this.#options.maxBufferedAmount) {
      this.#closingLocally = true;
      // A peer that does not read must not make us buffer without bound. The close frame
      // would sit behind the data it is not reading, so the socket is dropped at once.
      this.onConnectionError(
        new WebSocketError(
          'WS_ERR_SEND_BUFFER_FULL',
          `bufferedAmount passed maxBufferedAmount (${this.#options.maxBufferedAmount} bytes): the peer is not reading`,
          { closeCode: CloseCode.POLICY_VIOLATION },
        ),
      );
      try {
        this.#core.fail(CloseCode.POLICY_VIOLATION, 'send buffer limit exceeded');
      } catch {}
      this.#socket.destroy();
    }
  }

  #onSocketDrain(): void {
    if (!this.#backpressured || this.#socket.writableLength > 0) return;
    this.#backpressured = false;
    this.#socket.off('drain', SocketDriver.#listeners.drain);
    this.onDrained();
  }

  #onSocketEnd(): void {
    // The peer half-closed (TCP FIN). A WebSocket has no half-open state: finish our side.
    if (!this.#socket.destroyed) this.#socket.end();
  }

  #onSocketClose(): void {
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    this.#monitor.delete(this);
    this.#codec?.close();
    this.#failDeferredCallbacks();
    this.#dispatchInbound(() => this.#core.receiveEof());
  }

  // ---------------------------------------------------------------------------------------
  // Core callbacks

  /**
   * The core's callbacks: the methods on one shared prototype, `this.driver` is the
   * connection. A class rather than `Object.create(prototype)`: V8 sizes its instances to their
   * one field (32 bytes, not the 56 of an object literal's four preallocated slots).
   */
  static readonly #Handler = class CoreHandlerImpl implements CoreHandler {
    readonly driver: AnyDriver;
    constructor(driver: AnyDriver) {
      this.driver = driver;
    }
    onMessage(this: CoreHandler, data: Uint8Array, isBinary: boolean): void {
      const driver = this.driver;
      if (driver.#inflating) {
        driver.#heldEvents ??= [];
        driver.#heldEvents.push(() => driver.onInboundMessage(data, isBinary));
      } else driver.onInboundMessage(data, isBinary);
    }
    onCompressedMessage(this: CoreHandler, data: Uint8Array, isBinary: boolean): void {
      this.driver.#startInflating(data, isBinary);
    }
    onPing(this: CoreHandler, data: Uint8Array): void {
      const driver = this.driver;
      driver.#dispatchInbound(() => driver.onInboundPing(data));
    }
    onPong(this: CoreHandler, data: Uint8Array): void {
      const driver = this.driver;
      driver.#dispatchInbound(() => driver.onInboundPong(data));
    }
    onError(this: CoreHandler, error: WebSocketError): void {
      const driver = this.driver;
      driver.#closingLocally = true;
      driver.#dispatchInbound(() => driver.onConnectionError(error));
    }
    onClosed(this: CoreHandler, info: CloseInfo): void {
      this.driver.onConnectionClosed(info);
    }
  };

  /** Socket listeners shared by every connection; `this` is the socket. */
  static readonly #listeners = {
    data(this: Duplex, chunk: Buffer): void {
      driverOf(this).#onData(chunk);
    },
    close(this: Duplex): void {
      driverOf(this).#onSocketClose();
    },
    error(this: Duplex): void {
      // ECONNRESET and the like: 'close' follows and reports 1006. Nothing to rethrow: a
      // transport error is not the user's bug.
    },
    drain(this: Duplex): void {
      driverOf(this).#onSocketDrain();
    },
    end(this: Duplex): void {
      driverOf(this).#onSocketEnd();
    },
  };

  // ---------------------------------------------------------------------------------------
  // Inbound deflate ordering (see the class comment)

  /** One message inflates at a time, in order. */
  #startInflating(data: Uint8Array, isBinary: boolean): void {
    // Copy: the view points into a socket chunk and inflating is asynchronous.
    const compressed = Buffer.from(data);
    this.#inflating = true;
    this.#core.suspendInput();
    this.#socket.pause();
    (this.#codec as PerMessageCodec).decompress(compressed, this.#core.maxMessageSize).then(
      (inflated) => this.#inflated(() => this.#core.deliverDecompressed(inflated, isBinary)),
      (error: unknown) => this.#inflated(() => this.#failDecompression(error)),
    );
  }

  /** Runs `event` now, or after the message being inflated, so order is kept. */
  #dispatchInbound(event: () => void): void {
    if (this.#inflating) {
      this.#heldEvents ??= [];
      this.#heldEvents.push(event);
    } else {
      event();
    }
  }

  /** A compressed message finished inflating: deliver it, then carry on reading. */
  #inflated(deliver: () => void): void {
    this.#inflating = false;
    this.#socket.cork();
    try {
      deliver();
      // Frames held behind the message; another compressed one suspends input again.
      this.#core.resumeInput();
      if (!this.#inflating && this.#heldEvents !== undefined) {
        const held = this.#heldEvents;
        this.#heldEvents = undefined;
        for (const event of held) event();
      }
      this.#flush(undefined);
      this.#afterInput();
      if (!this.#inflating && !this.#paused && !this.#socket.destroyed) this.#socket.resume();
    } finally {
      this.#socket.uncork();
    }
  }

  #failDecompression(error: unknown): void {
    const failure =
      error instanceof WebSocketError
        ? error
        : new WebSocketError('WS_ERR_DECOMPRESSION_FAILED', 'invalid compressed data', {
            closeCode: CloseCode.INVALID_PAYLOAD,
          });
    if (this.#core.state === 'closed') return;
    try {
      this.#core.fail(failure.closeCode ?? CloseCode.INVALID_PAYLOAD, failure.message);
    } catch {
      this.#core.fail(CloseCode.INVALID_PAYLOAD);
    }
    this.#dispatchInbound(() => this.onConnectionError(failure));
  }

  // ---------------------------------------------------------------------------------------
  // Outbound deflate ordering (see the class comment)

  /** Compresses off the event loop while the message keeps its place in the output queue. */
  #sendCompressed(
    payload: string | Uint8Array,
    isBinary: boolean,
    size: number,
    callback: SendCallback | undefined,
  ): void {
    const connection = this.#core;
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
          this.#closingLocally = true;
          this.onConnectionError(failure);
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
    if (this.#compressing === 0 && this.#deferredCallbacks !== undefined) {
      const callbacks = this.#deferredCallbacks;
      this.#deferredCallbacks = undefined;
      this.#flush(() => {
        for (const deferred of callbacks) deferred();
      });
    }
    this.#afterInput();
  }

  /** While a compression is pending, a callback waits until everything queued is written. */
  #deferIfCompressing(callback: SendCallback | undefined): SendCallback | undefined {
    if (callback === undefined || this.#compressing === 0) return callback;
    this.#deferredCallbacks ??= [];
    this.#deferredCallbacks.push(callback);
    return undefined;
  }

  #failDeferredCallbacks(): void {
    const callbacks = this.#deferredCallbacks;
    if (callbacks === undefined) return;
    this.#deferredCallbacks = undefined;
    const error = new WebSocketError(
      'WS_ERR_INVALID_STATE',
      'the connection closed before the message was sent',
    );
    for (const callback of callbacks) process.nextTick(callback, error);
  }
}

/**
 * permessage-deflate's per-connection state (RFC 7692), in one object made only when the
 * extension was negotiated: a connection without it carries one empty field instead of six.
 */
class DeflateState {
  readonly codec: PerMessageCodec;
  /** Messages from this size on are compressed unless the send says otherwise. */
  readonly threshold: number;
  /** Messages being compressed: their places are reserved in the core's output queue. */
  compressing = 0;
  compressingBytes = 0;
  /** Send callbacks of messages queued behind a compression, called once all are written. */
  deferredCallbacks: SendCallback[] | undefined;
  /** Inbound events held while a message inflates, delivered after it in wire order. */
  heldEvents: Array<() => void> | undefined;

  constructor(deflate: NonNullable<DriverInit['deflate']>) {
    this.codec = deflate.codec;
    this.threshold = deflate.negotiated.threshold;
  }
}

/** Sending before the handshake finished is the caller's bug (ws and browsers throw too). */
function notOpenYet(operation: string): WebSocketError {
  return new WebSocketError(
    'WS_ERR_INVALID_STATE',
    `${operation}: the connection is not open yet (readyState 0, CONNECTING)`,
  );
}

/** A send on a connection that is closing or gone: the callback learns it; nothing throws. */
function notSent(callback: SendCallback | undefined, operation: string): void {
  if (callback === undefined) return;
  process.nextTick(
    callback,
    new WebSocketError('WS_ERR_INVALID_STATE', `${operation}: the connection is not open`),
  );
}
