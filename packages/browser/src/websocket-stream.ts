import type { CloseEvent } from './close-event.js';
import { checkOptionNames, numberOption } from './option-names.js';
import { checkCloseArguments } from './reconnect-close-arguments.js';
import { isPausable, kOnDrain, kPause, kResume, notifiesDrain } from './stream-backpressure.js';
import { WebSocketCloseError, type WebSocketCloseInfo } from './stream-error.js';
import { argumentLengthCheck } from './webidl.js';
import type { WebSocketLike, WebSocketLikeConstructor } from './websocket-like.js';

export { WebSocketCloseError, type WebSocketCloseInfo } from './stream-error.js';

/** A message read from the stream: text as a string, binary as bytes. */
export type WebSocketStreamChunk = string | Uint8Array;
/** What the writable side accepts: text, or a BufferSource sent as a binary message. */
export type WebSocketStreamWriteChunk = string | ArrayBuffer | ArrayBufferView;

/**
 * What `opened` resolves with: the message streams and the negotiated subprotocol and extensions.
 */
export interface WebSocketOpenInfo {
  readonly readable: ReadableStream<WebSocketStreamChunk>;
  readonly writable: WritableStream<WebSocketStreamWriteChunk>;
  readonly protocol: string;
  readonly extensions: string;
}

/** What `closed` resolves with: the close code and reason received. */
export interface WebSocketCloseResult {
  readonly closeCode: number;
  readonly reason: string;
}

/** Options of the `WebSocketStream` constructor. */
export interface WebSocketStreamOptions {
  /** Subprotocols to offer: a sequence (an array), as the proposal's IDL says; a string throws. */
  protocols?: string[];
  /** Aborts the opening handshake (after `opened` it has no effect, as in the proposal). */
  signal?: AbortSignal;
  /**
   * The WebSocket class to use. Default: the class's static `defaultWebSocket` (bound by the
   * package entries), else `globalThis.WebSocket`.
   */
  WebSocket?: WebSocketLikeConstructor;
  /**
   * Size of the readable queue, in bytes (text counts its UTF-16 length), past which reading
   * stops. Default 1 MiB. With a class that cannot pause reading (the native one) it is only
   * the point where backpressure would start: see the class comment.
   */
  readableHighWaterMark?: number;
  /** A write resolves once the socket's `bufferedAmount` is at most this. Default 64 KiB. */
  writableHighWaterMark?: number;
  /** How often a waiting write checks `bufferedAmount`, in ms. Default 10. */
  drainPollInterval?: number;
}

type Phase = 'connecting' | 'open' | 'closed';

const SOCKET_EVENTS = ['open', 'message', 'close'] as const;

/**
 * Stays on every socket, even after it is detached: the close event carries the outcome, but
 * an EventEmitter-based class such as ws's throws an 'error' that nobody listens to.
 */
const ignoreError = (): void => {};

function chunkSize(chunk: WebSocketStreamChunk): number {
  return typeof chunk === 'string' ? chunk.length : chunk.byteLength;
}

function toChunk(data: unknown): WebSocketStreamChunk {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // binaryType is set to 'arraybuffer'; a class that ignores it is not supported.
  throw new TypeError(
    `WebSocketStream: unsupported message data (${Object.prototype.toString.call(data)})`,
  );
}

/**
 * The streams-based WebSocket API of the WHATWG proposal
 * (https://github.com/whatwg/websockets/pull/48), over any WHATWG-compatible WebSocket class.
 *
 * Backpressure, reading: messages go into the readable's queue; once it holds
 * `readableHighWaterMark` bytes the socket is paused (`kPause`, see stream-backpressure.ts)
 * and resumed when the consumer reads again, so a slow consumer makes TCP push back on the
 * sender. Our Node class implements the hook. The native class (browsers, Deno, Bun) cannot
 * stop reading its socket: there the queue grows past the mark and a slow consumer costs
 * memory, not flow control. That is a limit of the WebSocket API, not of this layer.
 *
 * Backpressure, writing: each write resolves once `bufferedAmount` is at most
 * `writableHighWaterMark` (checked every `drainPollInterval` ms, or when the class reports a
 * drain through `kOnDrain`), so `writer.ready` holds a fast producer back.
 *
 * Closing: `close()`, `writable.close()`, `writable.abort(reason)` and `readable.cancel(reason)`
 * start the closing handshake (with the reason's code when it is a `WebSocketCloseError`).
 * Reading resumes then, so the handshake can complete. A clean close resolves `closed` and
 * ends the readable after its queued messages; anything else rejects `closed` and errors both
 * streams with a `WebSocketCloseError`.
 */
export class WebSocketStream {
  /**
   * The class used when `options.WebSocket` is not given; when undefined too,
   * `globalThis.WebSocket`. A package entry binds its runtime's class with a subclass:
   * `class WebSocketStream extends Base { static override defaultWebSocket = WebSocket }`.
   */
  static defaultWebSocket: WebSocketLikeConstructor | undefined;

  readonly url: string;
  readonly opened: Promise<WebSocketOpenInfo>;
  readonly closed: Promise<WebSocketCloseResult>;

  readonly #readableHighWaterMark: number;
  readonly #writableHighWaterMark: number;
  readonly #drainPollInterval: number;
  readonly #signal: AbortSignal | undefined;
  #socket: WebSocketLike | undefined;
  #socketListener: { handleEvent(event: Event): void } | undefined;
  #phase: Phase = 'connecting';

  #resolveOpened!: (info: WebSocketOpenInfo) => void;
  #rejectOpened!: (error: unknown) => void;
  #resolveClosed!: (info: WebSocketCloseResult) => void;
  #rejectClosed!: (error: unknown) => void;

  #readable: ReadableStreamDefaultController<WebSocketStreamChunk> | undefined;
  /** The readable was closed, errored or cancelled: messages are dropped. */
  #readableDone = false;
  #writable: WritableStreamDefaultController | undefined;
  #paused = false;

  #drainWaiter: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  #drainTimer: ReturnType<typeof setTimeout> | undefined;
  #stopDrainListener: (() => void) | undefined;
  #failure: unknown;

  constructor(url: string | URL, options: WebSocketStreamOptions = {}) {
    // WebIDL, as the proposal declares the constructor: (USVString url, optional
    // WebSocketStreamOptions options = {}), with `sequence<USVString> protocols`.
    // biome-ignore lint/complexity/noArguments: WebIDL counts the arguments actually passed.
    argumentLengthCheck(arguments.length, 1, "Failed to construct 'WebSocketStream'");
    if (options === null || (typeof options !== 'object' && typeof options !== 'function')) {
      throw new TypeError("Failed to construct 'WebSocketStream': options is not an object.");
    }
    const { protocols } = options;
    if (protocols !== undefined && (typeof protocols !== 'object' || protocols === null)) {
      throw new TypeError(
        "Failed to construct 'WebSocketStream': protocols must be a sequence (an array), not a string.",
      );
    }
    checkOptionNames('WebSocketStream', options, [
      'protocols',
      'signal',
      'WebSocket',
      'readableHighWaterMark',
      'writableHighWaterMark',
      'drainPollInterval',
    ]);
    const WebSocketClass =
      options.WebSocket ??
      (new.target as typeof WebSocketStream).defaultWebSocket ??
      (globalThis as { WebSocket?: WebSocketLikeConstructor }).WebSocket;
    if (typeof WebSocketClass !== 'function') {
      throw new TypeError(
        'WebSocketStream: no WebSocket class in this runtime; pass one as options.WebSocket',
      );
    }
    this.#readableHighWaterMark = numberOption(
      'WebSocketStream',
      'readableHighWaterMark',
      options.readableHighWaterMark,
      1024 * 1024,
    );
    this.#writableHighWaterMark = numberOption(
      'WebSocketStream',
      'writableHighWaterMark',
      options.writableHighWaterMark,
      64 * 1024,
    );
    this.#drainPollInterval = numberOption(
      'WebSocketStream',
      'drainPollInterval',
      options.drainPollInterval,
      10,
    );
    this.opened = new Promise<WebSocketOpenInfo>((resolve, reject) => {
      this.#resolveOpened = resolve;
      this.#rejectOpened = reject;
    });
    this.closed = new Promise<WebSocketCloseResult>((resolve, reject) => {
      this.#resolveClosed = resolve;
      this.#rejectClosed = reject;
    });
    // A caller awaiting only one of them must not get an unhandled rejection from the other.
    this.opened.catch(() => {});
    this.closed.catch(() => {});

    const signal = options.signal;
    this.#signal = signal;
    if (signal?.aborted) {
      this.url = String(url);
      this.#phase = 'closed';
      this.#rejectOpened(signal.reason);
      this.#rejectClosed(signal.reason);
      return;
    }
    const socket =
      protocols === undefined ? new WebSocketClass(url) : new WebSocketClass(url, [...protocols]);
    socket.binaryType = 'arraybuffer';
    this.url = socket.url;
    const listener = { handleEvent: (event: Event) => this.#onSocketEvent(event) };
    for (const type of SOCKET_EVENTS) socket.addEventListener(type, listener);
    socket.addEventListener('error', ignoreError);
    this.#socket = socket;
    this.#socketListener = listener;
    signal?.addEventListener('abort', this.#onAbort);
  }

  /**
   * Starts the closing handshake. Before the connection opened it abandons the handshake
   * (`opened` and `closed` reject). A reason without a code closes with 1000.
   */
  close(closeInfo: WebSocketCloseInfo = {}): void {
    const reason = closeInfo.reason;
    let code = closeInfo.closeCode;
    checkCloseArguments('WebSocketStream', code, reason);
    if (code === undefined && reason !== undefined && reason !== '') code = 1000;
    this.#closeSocket(code, reason);
  }

  #closeSocket(code: number | undefined, reason: string | undefined): void {
    const socket = this.#socket;
    if (socket === undefined || this.#phase === 'closed') return;
    // A paused socket would not read the peer's close frame: the handshake could not finish.
    this.#resumeReading();
    if (code === undefined) socket.close();
    else if (reason === undefined) socket.close(code);
    else socket.close(code, reason);
  }

  /** `readable.cancel(reason)`, `writable.abort(reason)`: close with the reason's code if valid. */
  #closeWithReason(reason: unknown): void {
    if (reason instanceof WebSocketCloseError && reason.closeCode !== undefined) {
      try {
        checkCloseArguments('WebSocketStream', reason.closeCode, reason.reason);
        this.#closeSocket(reason.closeCode, reason.reason);
        return;
      } catch {
        // A code a client may not send (1006...): close without one.
      }
    }
    this.#closeSocket(undefined, undefined);
  }

  readonly #onAbort = (): void => {
    if (this.#phase !== 'connecting') return;
    const signal = this.#signal as AbortSignal;
    const reason = signal.reason ?? new DOMException('The handshake was aborted', 'AbortError');
    const socket = this.#detach();
    this.#phase = 'closed';
    socket?.close();
    this.#rejectOpened(reason);
    this.#rejectClosed(reason);
  };

  #detach(): WebSocketLike | undefined {
    const socket = this.#socket;
    const listener = this.#socketListener;
    this.#socketListener = undefined;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    if (socket !== undefined && listener !== undefined) {
      for (const type of SOCKET_EVENTS) socket.removeEventListener(type, listener);
    }
    return socket;
  }

  #onSocketEvent(event: Event): void {
    switch (event.type) {
      case 'open':
        this.#onOpen();
        break;
      case 'message':
        this.#onMessage((event as MessageEvent).data);
        break;
      case 'close': {
        const { code, reason, wasClean } = event as CloseEvent;
        this.#onClose(code, reason, wasClean);
        break;
      }
    }
  }

  #onOpen(): void {
    const socket = this.#socket as WebSocketLike;
    this.#phase = 'open';
    this.#signal?.removeEventListener('abort', this.#onAbort);
    const readable = new ReadableStream<WebSocketStreamChunk>(
      {
        start: (controller) => {
          this.#readable = controller;
        },
        // Called whenever the queue is below the mark again (after a read): read the socket.
        pull: () => this.#resumeReading(),
        cancel: (reason) => {
          this.#readableDone = true;
          this.#closeWithReason(reason);
        },
      },
      { highWaterMark: this.#readableHighWaterMark, size: chunkSize },
    );
    const writable = new WritableStream<WebSocketStreamWriteChunk>({
      start: (controller) => {
        this.#writable = controller;
      },
      write: (chunk) => this.#write(chunk),
      close: () => this.#closeSocket(undefined, undefined),
      abort: (reason) => this.#closeWithReason(reason),
    });
    this.#resolveOpened({
      readable,
      writable,
      protocol: socket.protocol,
      extensions: socket.extensions,
    });
  }

  #onMessage(data: unknown): void {
    const controller = this.#readable;
    if (controller === undefined || this.#readableDone) return;
    controller.enqueue(toChunk(data));
    const desired = controller.desiredSize;
    if (desired !== null && desired <= 0) this.#pauseReading();
  }

  #pauseReading(): void {
    const socket = this.#socket;
    if (this.#paused || socket === undefined || !isPausable(socket)) return;
    this.#paused = true;
    socket[kPause]();
  }

  #resumeReading(): void {
    const socket = this.#socket;
    if (!this.#paused || socket === undefined || !isPausable(socket)) return;
    this.#paused = false;
    socket[kResume]();
  }

  #onClose(code: number, reason: string, wasClean: boolean): void {
    const opened = this.#phase === 'open';
    this.#detach();
    this.#phase = 'closed';
    this.#paused = false;
    if (!opened) {
      const error = new WebSocketCloseError('WebSocketStream: the opening handshake failed', {
        closeCode: code,
        reason,
      });
      this.#rejectOpened(error);
      this.#rejectClosed(error);
      return;
    }
    const error = new WebSocketCloseError(
      wasClean
        ? 'WebSocketStream: the connection is closed'
        : `WebSocketStream: the connection closed abnormally (${code})`,
      { closeCode: code, reason },
    );
    this.#failure = error;
    this.#settleDrainWaiter(error);
    if (!this.#readableDone) {
      this.#readableDone = true;
      if (wasClean) this.#readable?.close();
      else this.#readable?.error(error);
    }
    // No more writes either way; a write waiting for drain rejects above.
    this.#writable?.error(error);
    if (wasClean) this.#resolveClosed({ closeCode: code, reason });
    else this.#rejectClosed(error);
  }

  // ---------------------------------------------------------------------------------------
  // Writing

  #write(chunk: WebSocketStreamWriteChunk): Promise<void> | undefined {
    const socket = this.#socket;
    if (this.#phase !== 'open' || socket === undefined || socket.readyState !== 1) {
      throw (
        this.#failure ?? new WebSocketCloseError('WebSocketStream: the connection is closing', {})
      );
    }
    if (
      typeof chunk !== 'string' &&
      !(chunk instanceof ArrayBuffer) &&
      !ArrayBuffer.isView(chunk)
    ) {
      throw new TypeError('WebSocketStream: write a string, an ArrayBuffer or an ArrayBufferView');
    }
    socket.send(chunk);
    if (socket.bufferedAmount <= this.#writableHighWaterMark) return undefined;
    return new Promise<void>((resolve, reject) => {
      this.#drainWaiter = { resolve, reject };
      if (notifiesDrain(socket)) this.#stopDrainListener = socket[kOnDrain](this.#checkDrain);
      this.#drainTimer = setTimeout(this.#onDrainTimer, this.#drainPollInterval);
    });
  }

  readonly #checkDrain = (): boolean => {
    const socket = this.#socket;
    if (socket === undefined || socket.bufferedAmount > this.#writableHighWaterMark) return false;
    this.#settleDrainWaiter(undefined);
    return true;
  };

  readonly #onDrainTimer = (): void => {
    this.#drainTimer = undefined;
    if (this.#drainWaiter === undefined || this.#checkDrain()) return;
    this.#drainTimer = setTimeout(this.#onDrainTimer, this.#drainPollInterval);
  };

  #settleDrainWaiter(error: unknown): void {
    const waiter = this.#drainWaiter;
    this.#drainWaiter = undefined;
    if (this.#drainTimer !== undefined) clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    this.#stopDrainListener?.();
    this.#stopDrainListener = undefined;
    if (waiter === undefined) return;
    if (error === undefined) waiter.resolve();
    else waiter.reject(error);
  }
}
