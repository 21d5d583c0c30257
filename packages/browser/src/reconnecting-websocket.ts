import type { CloseEvent } from './close-event.js';
import { checkOptionNames, numberOption, numberOptions } from './option-names.js';
import {
  type BackoffOptions,
  backoffDelay,
  DEFAULT_BACKOFF,
  MAX_TIMER_DELAY,
  type ResolvedBackoff,
  resolveBackoff,
} from './reconnect-backoff.js';
import { checkCloseArguments } from './reconnect-close-arguments.js';
import { type Connectivity, globalConnectivity } from './reconnect-connectivity.js';
import {
  ReconnectedEvent,
  ReconnectingCloseEvent,
  ReconnectingErrorEvent,
  ReconnectingEvent,
} from './reconnect-events.js';
import { type QueueableData, SendQueue, type SendQueueOptions } from './reconnect-queue.js';
import { EventTargetBase } from './runtime-globals.js';
import type {
  BinaryType,
  WebSocketLike,
  WebSocketLikeConstructor,
  WebSocketListenerOptions,
} from './websocket-like.js';

/** What `ReconnectingWebSocket.send` accepts, and can queue while disconnected. */
export type ReconnectingSendData = QueueableData;

/**
 * The URL to connect to, or a function asked before every attempt (a fresh token in the query,
 * round robin over servers...). It may return a promise; a function that throws or rejects
 * counts as a failed attempt.
 */
export type ReconnectingUrl = string | URL | (() => string | URL | Promise<string | URL>);

/** Subprotocols, or a function asked before every attempt (may return a promise). */
export type ReconnectingProtocols =
  | string
  | string[]
  | (() => string | string[] | Promise<string | string[]>);

/** Receives the debug log: a message, then its details. */
export type ReconnectDebugLogger = (message: string, ...details: unknown[]) => void;

/** An application-level heartbeat: browsers cannot send WebSocket pings, so the page does. */
export interface ReconnectHeartbeatOptions {
  /** Milliseconds between two ping messages, from 1 to 2^31 - 1 (the longest a timer waits). */
  interval: number;
  /**
   * Milliseconds without any incoming message (pong or not) after which the connection counts
   * as dead: it is closed with 4000 and a reconnect follows. Make it longer than `interval`
   * plus a round trip when the server only answers pings. From 1 to 2^31 - 1.
   */
  timeout: number;
  /** The ping message, or a function that makes each one. */
  message: ReconnectingSendData | (() => ReconnectingSendData);
  /** Incoming messages it returns true for are pongs: they count as traffic, not dispatched. */
  isPong?: (event: MessageEvent) => boolean;
}

/** What `shouldReconnect` learns about the connection that just ended. */
export interface ReconnectCloseInfo {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  /**
   * false when the connection never opened: refused, unreachable, or a handshake the server
   * rejected (HTTP 401/403...). Browsers report all of these the same way (an error, then 1006).
   */
  readonly opened: boolean;
  /**
   * The `error` the socket's last 'error' event carried, if any: Node classes give one (an
   * unexpected HTTP status, for instance); browsers never do.
   */
  readonly error: unknown;
}

/**
 * Options of `ReconnectingWebSocket`: the backoff between attempts, when to give up, the
 * connect timeout, the queue of sends made while disconnected, the heartbeat. Unknown names
 * throw a TypeError naming them.
 */
export interface ReconnectingWebSocketOptions extends BackoffOptions {
  /**
   * The WebSocket class to use. Default: the class's static `defaultWebSocket` (bound by the
   * package entries), else `globalThis.WebSocket`.
   */
  WebSocket?: WebSocketLikeConstructor;
  /**
   * Retries allowed in a row before giving up (a connection that stays open `minUptime` resets
   * the count). Default Infinity: backoff caps the pace at one attempt per `maxDelay`.
   */
  maxRetries?: number;
  /** Time (ms) a connection must stay open to reset the retry count and backoff. Default 5000. */
  minUptime?: number;
  /**
   * A handshake not completed after this many ms is abandoned and retried. Default 10000; 0 or
   * Infinity disables it.
   */
  connectTimeout?: number;
  /** Bounds and overflow policy of the queue that holds sends made while disconnected. */
  queue?: SendQueueOptions;
  /**
   * Close codes from the server that end reconnecting. Replaces the default
   * `[1008, 4001, 4002, 4003]` (policy violation; the 4001-4003 range commonly used for
   * unauthorized / forbidden / session expired). `close()` by the user always ends it.
   */
  stopCodes?: readonly number[];
  /**
   * Asked before each retry that `stopCodes` and `maxRetries` allow; return false to stop.
   * `attempt` is the number of the retry that would follow (1 for the first).
   */
  shouldReconnect?: (closeEvent: ReconnectCloseInfo, attempt: number) => boolean;
  /** Detects half-open connections from the client side. Off by default. */
  heartbeat?: ReconnectHeartbeatOptions;
  /**
   * Source of online/offline status: retries wait while offline and start at once on 'online'.
   * Default: the global scope when it is an EventTarget with `navigator.onLine` (browsers,
   * workers); null turns it off.
   */
  connectivity?: Connectivity | null;
  /** Random source for the jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
  /**
   * Do not connect from the constructor: `readyState` is CLOSED until `reconnect()` is called.
   * Default false.
   */
  startClosed?: boolean;
  /**
   * Logs each step (connecting, open, close, retry scheduled, giving up): true logs with
   * `console.debug`, a function receives the messages instead. Default off.
   */
  debug?: boolean | ReconnectDebugLogger;
}

/**
 * The phases of a ReconnectingWebSocket. An enum, so bundlers inline the numbers (esbuild does
 * not inline plain constants of a module that has imports); the first four equal the
 * readyState they stand for, and `phase >= Phase.Closing` means close() was called or it ended
 * for good (Waiting is below Connecting for that).
 */
enum Phase {
  /** A socket exists (or a URL function runs); its handshake runs. */
  Connecting = 0,
  /** The socket is open. */
  Open = 1,
  /** `close()` was called; the socket's close event is awaited. */
  Closing = 2,
  /** Final (closed, or given up), until `reconnect()`. */
  Closed = 3,
  /** No socket; a retry is scheduled, or held until the device is back online. */
  Waiting = -1,
}

/** The options as the class keeps them: checked, numbers filled in, URL and protocols added. */
interface ResolvedOptions
  extends Omit<ReconnectingWebSocketOptions, keyof BackoffOptions>,
    ResolvedBackoff {
  WebSocket: WebSocketLikeConstructor;
  url: ReconnectingUrl;
  protocols: ReconnectingProtocols | undefined;
  maxRetries: number;
  minUptime: number;
  connectTimeout: number;
  /** null: off. */
  connectivity: Connectivity | null | undefined;
}

/** The number options besides the backoff's, with their defaults. */
const NUMBER_DEFAULTS = {
  maxRetries: Infinity,
  minUptime: 5000,
  connectTimeout: 10_000,
};

/** The option names besides the numbers' (NUMBER_DEFAULTS and the backoff's). */
const OTHER_OPTION_NAMES = [
  'WebSocket',
  'queue',
  'stopCodes',
  'shouldReconnect',
  'heartbeat',
  'connectivity',
  'random',
  'startClosed',
  'debug',
];

/** reconnecting-websocket's and partysocket's option names, and ours for the same thing. */
const OTHER_LIBRARIES_NAMES: Record<string, string> = {
  maxReconnectionDelay: "'maxDelay'",
  minReconnectionDelay: "'initialDelay'",
  reconnectionDelayGrowFactor: "'factor'",
  connectionTimeout: "'connectTimeout'",
  maxEnqueuedMessages: "'queue: { maxMessages }'",
  debugLogger: "'debug' (a function)",
  query: "'url' as a function",
};

/** The events of a `ReconnectingWebSocket` and their types, by name. */
export interface ReconnectingWebSocketEventMap {
  open: Event;
  message: MessageEvent;
  error: ReconnectingErrorEvent;
  close: ReconnectingCloseEvent;
  reconnecting: ReconnectingEvent;
  reconnected: ReconnectedEvent;
}

type Listener<E> =
  | ((this: ReconnectingWebSocket, event: E) => unknown)
  | { handleEvent(event: E): unknown };
type AnyListener = ((event: Event) => unknown) | { handleEvent(event: Event): unknown };
type Handler<E> = ((this: ReconnectingWebSocket, event: E) => unknown) | null;

/** The listener of an event handler attribute; it calls the attribute's current value. */
interface HandlerListener {
  (event: Event): unknown;
  handler: (event: Event) => unknown;
}

interface CloseDetails {
  code: number;
  reason: string;
  wasClean: boolean;
}

const DEFAULT_STOP_CODES: readonly number[] = [1008, 4001, 4002, 4003];
/** The close code used when the heartbeat declares a connection dead. */
export const HEARTBEAT_TIMEOUT_CODE = 4000;

type Timer = ReturnType<typeof setTimeout>;

/** Closes with only the arguments given (a socket may tell a missing code from undefined). */
function closeSocket(socket: WebSocketLike | undefined, code?: number, reason?: string): void {
  try {
    if (code === undefined) socket?.close();
    else if (reason === undefined) socket?.close(code);
    else socket?.close(code, reason);
  } catch {
    // Already closing or closed.
  }
}

/** The close details of a connection `close()` or `reconnect()` ended (1005: no code given). */
function closedByUser(code: number | undefined, reason: string | undefined): CloseDetails {
  return { code: code ?? 1005, reason: reason ?? '', wasClean: true };
}

/** The value, or what the function returns, as a promise. */
async function call<T>(source: T | (() => T | Promise<T>)): Promise<T> {
  return typeof source === 'function' ? (source as () => T | Promise<T>)() : source;
}

function isOptions(value: unknown): value is ReconnectingWebSocketOptions {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A WebSocket that comes back. Same surface as `WebSocket` (an EventTarget with `readyState`,
 * `send`, `close`, `on*` attributes and the constants), over any WHATWG-compatible WebSocket
 * class, plus:
 * - retries with exponential backoff and jitter, a retry limit, stop codes and a
 *   `shouldReconnect` callback;
 * - a bounded queue for `send` calls made while disconnected, sent in order on the next open;
 * - pausing while the browser is offline, retrying at once when it is back online;
 * - an optional application-level heartbeat that detects half-open connections.
 *
 * Events, in order for one connection's life: 'open' on each successful open (initial and
 * every reconnect, after the queued messages went out), then 'reconnected' if it was not the
 * first; 'message' for each message; 'error' as the socket reports them; 'close' each time a
 * connection ends or fails to open (`willReconnect` tells whether a retry follows), then
 * 'reconnecting' (`attempt`, `delay`) when one does. The 'close' with `willReconnect: false`
 * is the last event.
 *
 * `readyState` is the current socket's, CONNECTING while waiting to retry, CLOSED once
 * given up or closed. Delivery is at most once: a message the old socket accepted just before
 * a drop is not resent.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below only adds typed overloads of the inherited addEventListener/removeEventListener (EventTarget itself ignores a null listener), no properties.
export class ReconnectingWebSocket extends EventTargetBase {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  /**
   * The class used when `options.WebSocket` is not given; when undefined too,
   * `globalThis.WebSocket`. A package entry binds its runtime's class with a subclass:
   * `class ReconnectingWebSocket extends Base { static override defaultWebSocket = WebSocket }`.
   */
  declare static defaultWebSocket: WebSocketLikeConstructor | undefined;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  /** The options, checked, with the defaults of the numbers filled in. */
  readonly #config: ResolvedOptions;
  readonly #log: ReconnectDebugLogger | undefined;
  /** Bumped by each attempt: a URL function that resolves late for an old attempt is ignored. */
  #generation = 0;
  readonly #queue: SendQueue;
  /** The listener of each event handler attribute that is set, by event type. */
  readonly #handlers: Record<string, HandlerListener> = {};
  #url: string;

  #phase = Phase.Connecting;
  /** Closed for good by the other side (a stop code, retries used up), not by close(). */
  #endedByPeer = false;
  #socket: WebSocketLike | undefined;
  /**
   * When the current socket opened (`performance.now()`); undefined while it has not. Uptime
   * and silence are measured on this monotonic clock, not `Date.now()`: a wall clock stepped
   * forward (NTP, a manual change) would time out a live socket, and one stepped back would
   * keep a long-lived connection from resetting the retry count.
   */
  #openedAt: number | undefined;
  #socketError: unknown;
  /** Retries in a row since the last connection that stayed up `minUptime`. */
  #attempt = 0;
  /** When the last message arrived, on the same clock as `#openedAt`. */
  #lastReceivedAt = 0;
  #binaryType: BinaryType | undefined;
  /** The last socket that opened: its protocol and extensions are ours until the next opens. */
  #lastOpened: WebSocketLike | undefined;

  /**
   * The one timeout of the current phase: the connect timeout while connecting, the heartbeat's
   * watchdog while open, the retry while waiting. Phases do not overlap, so neither do these.
   */
  #timer: Timer | undefined;
  /** The heartbeat's ping interval, while open. */
  #pingTimer: ReturnType<typeof setInterval> | undefined;

  constructor(url: ReconnectingUrl, options?: ReconnectingWebSocketOptions);
  constructor(
    url: ReconnectingUrl,
    protocols?: ReconnectingProtocols,
    options?: ReconnectingWebSocketOptions,
  );
  constructor(
    url: ReconnectingUrl,
    protocolsOrOptions?: ReconnectingProtocols | ReconnectingWebSocketOptions,
    maybeOptions?: ReconnectingWebSocketOptions,
  ) {
    super();
    const owner = 'ReconnectingWebSocket';
    const options = (isOptions(protocolsOrOptions) ? protocolsOrOptions : maybeOptions) ?? {};
    // Listed here, not at module level: a bundle that leaves this class out must not keep the
    // Object.keys calls.
    const names = [
      ...Object.keys(NUMBER_DEFAULTS),
      ...Object.keys(DEFAULT_BACKOFF),
      ...OTHER_OPTION_NAMES,
    ];
    checkOptionNames(owner, options, names, OTHER_LIBRARIES_NAMES);
    const WebSocketClass =
      options.WebSocket ??
      (new.target as typeof ReconnectingWebSocket).defaultWebSocket ??
      (globalThis as { WebSocket?: WebSocketLikeConstructor }).WebSocket;
    if (typeof WebSocketClass !== 'function') {
      throw new TypeError(
        `${owner}: no WebSocket class in this runtime; pass one as options.WebSocket`,
      );
    }
    const heartbeat = options.heartbeat;
    if (heartbeat) {
      checkOptionNames(`${owner}: heartbeat`, heartbeat, [
        'interval',
        'timeout',
        'message',
        'isPong',
      ]);
      for (const name of ['interval', 'timeout'] as const) {
        // Timers count whole milliseconds up to 2^31 - 1; a longer delay fires at once.
        numberOption(`${owner}: heartbeat`, name, heartbeat[name], undefined, 1, MAX_TIMER_DELAY);
      }
    }
    this.#config = {
      ...options,
      ...resolveBackoff(options),
      ...numberOptions(owner, options, NUMBER_DEFAULTS),
      WebSocket: WebSocketClass,
      url,
      protocols: isOptions(protocolsOrOptions) ? undefined : protocolsOrOptions,
      heartbeat: heartbeat && { ...heartbeat },
      connectivity:
        options.connectivity === undefined ? globalConnectivity() : options.connectivity,
    };
    this.#queue = new SendQueue(options.queue);
    const debug = options.debug;
    this.#log =
      typeof debug === 'function'
        ? debug
        : debug
          ? (message, ...details) => console.debug(`${owner}: ${message}`, ...details)
          : undefined;
    this.#url = typeof url === 'function' ? '' : String(url);
    if (options.startClosed) {
      this.#phase = Phase.Closed;
      return;
    }
    // The first socket is made here, so an invalid URL throws from the constructor, as it
    // does for WebSocket (unless the URL comes from a function: then it is a failed attempt).
    // No timer is left behind then: #connect starts the connect timeout after the socket.
    this.#connect();
    this.#watchConnectivity('addEventListener');
  }

  // ---------------------------------------------------------------------------------------
  // WebSocket attributes

  get url(): string {
    return this.#url;
  }

  get readyState(): number {
    const phase = this.#phase;
    if (phase === Phase.Closed) return Phase.Closed;
    // No socket: waiting to retry, or asking the URL function (there is none while waiting).
    return this.#socket?.readyState ?? (phase === Phase.Closing ? Phase.Closing : Phase.Connecting);
  }

  /** Retries in a row since the last connection that stayed open `minUptime` (0 when stable). */
  get retryCount(): number {
    return this.#attempt;
  }

  /** The current socket's unsent bytes plus the bytes queued while disconnected. */
  get bufferedAmount(): number {
    return (this.#socket?.bufferedAmount ?? 0) + this.#queue.bytes;
  }

  /** Of the last connection that opened ('' before the first). */
  get protocol(): string {
    return this.#lastOpened?.protocol ?? '';
  }

  /** Of the last connection that opened ('' before the first). */
  get extensions(): string {
    return this.#lastOpened?.extensions ?? '';
  }

  /** Applied to the current socket and to every later one. */
  get binaryType(): BinaryType {
    return this.#binaryType ?? this.#socket?.binaryType ?? 'blob';
  }

  set binaryType(value: BinaryType) {
    // WebIDL enum attribute: an unknown value is ignored.
    if (value !== 'blob' && value !== 'arraybuffer') return;
    this.#binaryType = value;
    if (this.#socket) this.#socket.binaryType = value;
  }

  /** Messages waiting in the send queue for the next connection. */
  get queuedMessages(): number {
    return this.#queue.length;
  }

  get onopen(): Handler<Event> {
    return this.#getHandler('open');
  }
  set onopen(handler: Handler<Event>) {
    this.#setHandler('open', handler);
  }
  get onmessage(): Handler<MessageEvent> {
    return this.#getHandler('message');
  }
  set onmessage(handler: Handler<MessageEvent>) {
    this.#setHandler('message', handler);
  }
  get onerror(): Handler<ReconnectingErrorEvent> {
    return this.#getHandler('error');
  }
  set onerror(handler: Handler<ReconnectingErrorEvent>) {
    this.#setHandler('error', handler);
  }
  get onclose(): Handler<ReconnectingCloseEvent> {
    return this.#getHandler('close');
  }
  set onclose(handler: Handler<ReconnectingCloseEvent>) {
    this.#setHandler('close', handler);
  }
  get onreconnecting(): Handler<ReconnectingEvent> {
    return this.#getHandler('reconnecting');
  }
  set onreconnecting(handler: Handler<ReconnectingEvent>) {
    this.#setHandler('reconnecting', handler);
  }
  get onreconnected(): Handler<ReconnectedEvent> {
    return this.#getHandler('reconnected');
  }
  set onreconnected(handler: Handler<ReconnectedEvent>) {
    this.#setHandler('reconnected', handler);
  }

  // ---------------------------------------------------------------------------------------
  // Methods

  /**
   * Sends now when a connection is open; otherwise queues a snapshot of `data` for the next
   * one (bounded: see `queue`). Throws `InvalidStateError` after `close()` (a send after the
   * other side ended it for good, by a stop code or used-up retries, is discarded instead), and
   * `QuotaExceededError` from a full queue under the 'throw' policy.
   */
  send(data: ReconnectingSendData): void {
    if (this.#phase >= Phase.Closing) {
      // When the end came from the other side, a late send is a matter of timing, not a bug:
      // like WebSocket.send after CLOSED, the data goes nowhere and nothing throws.
      if (this.#endedByPeer) {
        this.#log?.('send after the end: discarded');
        return;
      }
      throw new DOMException('ReconnectingWebSocket: send after close()', 'InvalidStateError');
    }
    const socket = this.#socket;
    if (this.#phase === Phase.Open && socket?.readyState === 1) socket.send(data);
    // Connecting, waiting, or a socket that is already closing: hold it for the next connection.
    else this.#queue.push(data);
  }

  /**
   * Closes for good: no more retries, the queue is discarded, timers and the online/offline
   * listeners are released. The 'close' event with `willReconnect: false` follows (right away
   * when no socket was connected).
   */
  close(code?: number, reason?: string): void {
    checkCloseArguments('ReconnectingWebSocket', code, reason);
    if (this.#phase >= Phase.Closing) return;
    this.#stop();
    const socket = this.#socket;
    if (socket) {
      this.#phase = Phase.Closing;
      closeSocket(socket, code, reason);
      return;
    }
    this.#phase = Phase.Closed;
    queueMicrotask(() => this.#dispatchClose(closedByUser(code, reason), false));
  }

  /**
   * Connects again now, without backoff, and resets the retry count. An open connection is
   * closed with `code` and `reason` first (its 'close' event has `willReconnect: true`). Also
   * starts a socket made with `startClosed`, and restarts one that was closed or gave up.
   */
  reconnect(code?: number, reason?: string): void {
    checkCloseArguments('ReconnectingWebSocket', code, reason);
    this.#log?.('reconnect() called');
    this.#endedByPeer = false;
    const phase = this.#phase;
    closeSocket(this.#releaseSocket(), code, reason);
    if (phase === Phase.Open) {
      this.#dispatchClose(closedByUser(code, reason), true);
    }
    if (phase >= Phase.Closing) this.#watchConnectivity('addEventListener');
    this.#attempt = 0;
    this.#retry();
  }

  // ---------------------------------------------------------------------------------------
  // Connection life cycle

  #connect(): void {
    this.#phase = Phase.Connecting;
    this.#openedAt = undefined;
    this.#socketError = undefined;
    const generation = ++this.#generation;
    const { connectTimeout, url, protocols } = this.#config;
    if (typeof url !== 'function' && typeof protocols !== 'function') {
      this.#open(url, protocols);
    } else {
      // Asked afresh for every attempt. The connect timeout covers this wait too.
      const settle = (step: () => void) => {
        if (generation === this.#generation && this.#phase === Phase.Connecting)
          this.#attemptOrFail(step);
      };
      Promise.all([call(url), call(protocols)]).then(
        ([resolvedUrl, resolvedProtocols]) =>
          settle(() => this.#open(resolvedUrl, resolvedProtocols)),
        (error) =>
          settle(() => {
            throw error;
          }),
      );
    }
    // Infinity means no timeout; a finite delay past what a timer can wait is as good as one.
    if (connectTimeout > 0 && connectTimeout < Infinity) {
      this.#timer = setTimeout(this.#onConnectTimeout, Math.min(connectTimeout, MAX_TIMER_DELAY));
    }
  }

  #open(url: string | URL, protocols: string | string[] | undefined): void {
    this.#log?.('connecting', String(url));
    const WebSocketClass = this.#config.WebSocket;
    const socket =
      protocols === undefined ? new WebSocketClass(url) : new WebSocketClass(url, protocols);
    this.#url = socket.url || String(url);
    if (this.#binaryType) socket.binaryType = this.#binaryType;
    // Never removed: events of a socket that is not the current one any more (abandoned after
    // a timeout) are ignored below, and its 'error' stays listened to, for an EventEmitter-based
    // class such as ws's throws an 'error' that nobody listens to.
    const listener = (event: Event) => {
      if (socket === this.#socket) this.#onSocketEvent(socket, event);
    };
    for (const type of ['open', 'message', 'error', 'close']) {
      socket.addEventListener(type, listener);
    }
    this.#socket = socket;
  }

  #onSocketEvent(socket: WebSocketLike, event: Event): void {
    switch (event.type) {
      case 'open':
        this.#onOpen(socket);
        break;
      case 'message':
        this.#lastReceivedAt = performance.now();
        if (this.#config.heartbeat?.isPong?.(event as MessageEvent) !== true) {
          // A fresh event: the socket's is already dispatched (the init's undefined origin is '').
          const { data, origin } = event as MessageEvent;
          this.dispatchEvent(new MessageEvent('message', { data, origin }));
        }
        break;
      case 'error': {
        const { error, message } = event as Event & { error?: unknown; message?: unknown };
        this.#socketError = error;
        // Browsers give no detail; Node classes put the cause on `error` (ECONNREFUSED, an
        // unexpected HTTP status...): its message is the event's when the event has none.
        this.#emitError(error, message ? String(message) : undefined);
        break;
      }
      case 'close': {
        const { code, reason, wasClean } = event as CloseEvent;
        this.#releaseSocket();
        this.#onDisconnected({ code, reason, wasClean });
        break;
      }
    }
  }

  /** An 'error' event; its message defaults to the error's (or '' when there is none). */
  #emitError(error: unknown, message?: string): void {
    this.dispatchEvent(
      new ReconnectingErrorEvent('error', {
        error,
        message: message ?? (error instanceof Error ? error.message : String(error ?? '')),
      }),
    );
  }

  #dispatchClose(details: CloseDetails, willReconnect: boolean): void {
    this.dispatchEvent(new ReconnectingCloseEvent('close', { ...details, willReconnect }));
  }

  #onOpen(socket: WebSocketLike): void {
    clearTimeout(this.#timer);
    this.#openedAt = performance.now();
    const reconnected = Boolean(this.#lastOpened);
    this.#lastOpened = socket;
    if (this.#phase !== Phase.Connecting) return;
    this.#phase = Phase.Open;
    const attempt = this.#attempt;
    // What was sent while down goes first, before anything the 'open' listeners send.
    try {
      this.#queue.flush(socket);
    } catch (error) {
      // What is left stays queued for the next connection; the socket says why.
      this.#emitError(error);
    }
    this.#startHeartbeat();
    this.#log?.('open', this.#url);
    this.dispatchEvent(new Event('open'));
    if (reconnected && this.#socket === socket && this.#phase === Phase.Open) {
      this.dispatchEvent(new ReconnectedEvent('reconnected', { attempt }));
    }
  }

  /** A connection ended (or never opened): retry, or stop for good. */
  #onDisconnected(details: CloseDetails): void {
    const { minUptime, stopCodes = DEFAULT_STOP_CODES, maxRetries, shouldReconnect } = this.#config;
    const openedAt = this.#openedAt;
    const opened = openedAt !== undefined;
    if (opened && performance.now() - openedAt >= minUptime) this.#attempt = 0;
    if (this.#phase >= Phase.Closing) {
      this.#finish(details);
      return;
    }
    const attempt = this.#attempt + 1;
    let reconnect = !stopCodes.includes(details.code) && attempt <= maxRetries;
    if (reconnect && shouldReconnect) {
      try {
        reconnect = Boolean(
          shouldReconnect({ ...details, opened, error: this.#socketError }, attempt),
        );
      } catch (error) {
        reconnect = false;
        this.#emitError(error, 'shouldReconnect threw');
      }
    }
    if (!reconnect) {
      this.#log?.('giving up after close', details.code, details.reason);
      this.#finish(details);
      return;
    }
    this.#attempt = attempt;
    this.#phase = Phase.Waiting;
    const delay = backoffDelay(attempt, this.#config, this.#config.random ?? Math.random);
    this.#log?.(`retry ${attempt} in ${delay} ms after close`, details.code, details.reason);
    this.#dispatchClose(details, true);
    // A 'close' listener may have called close().
    if (this.#phase !== Phase.Waiting) return;
    this.dispatchEvent(new ReconnectingEvent('reconnecting', { attempt, delay }));
    // While offline the retry waits for 'online' instead of a timer.
    if (this.#phase !== Phase.Waiting || this.#config.connectivity?.onLine === false) return;
    this.#timer = setTimeout(this.#retryIfOnline, delay);
  }

  #finish(details: CloseDetails): void {
    // Closing is close()'s phase: anything else ending here was the other side's decision.
    this.#endedByPeer = this.#phase !== Phase.Closing;
    this.#phase = Phase.Closed;
    this.#stop();
    this.#dispatchClose(details, false);
  }

  /** What ending for good releases: timers, the online/offline listeners, the queue. */
  #stop(): void {
    this.#clearTimers();
    this.#watchConnectivity('removeEventListener');
    this.#queue.clear();
  }

  #retry(): void {
    this.#attemptOrFail(() => this.#connect());
  }

  /**
   * Runs one step of an attempt; if it throws (a WebSocket constructor refusing the URL, a
   * CSP, a runtime limit, a URL function that failed) the attempt counts as failed.
   */
  #attemptOrFail(step: () => void): void {
    try {
      step();
    } catch (error) {
      this.#clearTimers();
      this.#socket = undefined;
      this.#emitError(error);
      if (this.#phase === Phase.Connecting) {
        this.#onDisconnected({ code: 1006, reason: '', wasClean: false });
      }
    }
  }

  /**
   * Detaches the current socket: its later events are ignored; its timers end. A socket given
   * up on (handshake or heartbeat timeout) is then closed without waiting for its close event:
   * a half-open connection may not deliver one for a long time.
   */
  #releaseSocket(): WebSocketLike | undefined {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#clearTimers();
    return socket;
  }

  readonly #onConnectTimeout = (): void => {
    if (this.#phase !== Phase.Connecting) return;
    // A URL function still running is abandoned too: its late answer is ignored.
    this.#generation++;
    closeSocket(this.#releaseSocket());
    this.#onDisconnected({ code: 1006, reason: 'connect timeout', wasClean: false });
  };

  #clearTimers(): void {
    clearTimeout(this.#timer);
    clearInterval(this.#pingTimer);
  }

  // ---------------------------------------------------------------------------------------
  // Heartbeat: a ping message every `interval`; no incoming message for `timeout` → dead.

  #startHeartbeat(): void {
    const heartbeat = this.#config.heartbeat;
    if (!heartbeat) return;
    this.#lastReceivedAt = performance.now();
    this.#pingTimer = setInterval(this.#onPingTimer, heartbeat.interval);
    this.#timer = setTimeout(this.#onWatchdogTimer, heartbeat.timeout);
  }

  // Both heartbeat timers run only while a socket is open: releasing it stops them.
  readonly #onPingTimer = (): void => {
    const { message } = this.#config.heartbeat as ReconnectHeartbeatOptions;
    try {
      this.#socket?.send(typeof message === 'function' ? message() : message);
    } catch {
      // The socket is closing: its close event follows.
    }
  };

  readonly #onWatchdogTimer = (): void => {
    const { timeout } = this.#config.heartbeat as ReconnectHeartbeatOptions;
    const silent = performance.now() - this.#lastReceivedAt;
    if (silent < timeout) {
      // Traffic arrived meanwhile: one timer re-armed per timeout, not one per message.
      this.#timer = setTimeout(this.#onWatchdogTimer, timeout - silent);
      return;
    }
    const reason = 'heartbeat timeout';
    closeSocket(this.#releaseSocket(), HEARTBEAT_TIMEOUT_CODE, reason);
    this.#onDisconnected({ code: HEARTBEAT_TIMEOUT_CODE, reason, wasClean: false });
  };

  // ---------------------------------------------------------------------------------------
  // Online / offline

  /**
   * The retry timer's callback, and the online/offline listener: 'online' brings a scheduled
   * retry forward; 'offline' holds it until 'online'. An open or opening socket is left alone
   * (the browser closes it if the network is really gone, or the heartbeat notices).
   */
  readonly #retryIfOnline = (): void => {
    if (this.#phase !== Phase.Waiting) return;
    clearTimeout(this.#timer);
    if (this.#config.connectivity?.onLine !== false) this.#retry();
  };

  #watchConnectivity(method: 'addEventListener' | 'removeEventListener'): void {
    const connectivity = this.#config.connectivity;
    connectivity?.[method]('online', this.#retryIfOnline);
    connectivity?.[method]('offline', this.#retryIfOnline);
  }

  // ---------------------------------------------------------------------------------------
  // Event handler attributes (https://html.spec.whatwg.org/#event-handler-attributes): one
  // listener per type, added when a handler is first set, so it keeps its place in the order.

  #getHandler<E>(type: string): Handler<E> {
    return (this.#handlers[type]?.handler as Handler<E> | undefined) ?? null;
  }

  #setHandler(type: string, handler: unknown): void {
    const handlers = this.#handlers;
    let listener = handlers[type];
    if (typeof handler !== 'function') {
      // EventTarget ignores a null listener.
      this.removeEventListener(type, listener ?? null);
      delete handlers[type];
      return;
    }
    if (!listener) {
      listener = handlers[type] = ((event: Event) =>
        (listener as HandlerListener).handler.call(this, event)) as HandlerListener;
      this.addEventListener(type, listener);
    }
    listener.handler = handler as HandlerListener['handler'];
  }
}

/** Typed listener overloads, merged into the class declaration. */
export interface ReconnectingWebSocket {
  /** Adds a listener for one of the events, typed by its name. */
  addEventListener<K extends keyof ReconnectingWebSocketEventMap>(
    type: K,
    listener: Listener<ReconnectingWebSocketEventMap[K]> | null,
    options?: boolean | WebSocketListenerOptions,
  ): void;
  /** Adds a listener for any event type. */
  addEventListener(
    type: string,
    listener: AnyListener | null,
    options?: boolean | WebSocketListenerOptions,
  ): void;
  /** Removes a listener added with `addEventListener`. */
  removeEventListener<K extends keyof ReconnectingWebSocketEventMap>(
    type: K,
    listener: Listener<ReconnectingWebSocketEventMap[K]> | null,
    options?: boolean | Pick<WebSocketListenerOptions, 'capture'>,
  ): void;
  /** Removes a listener added with `addEventListener`, for any event type. */
  removeEventListener(
    type: string,
    listener: AnyListener | null,
    options?: boolean | Pick<WebSocketListenerOptions, 'capture'>,
  ): void;
}
