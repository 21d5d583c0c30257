/**
 * The WHATWG WebSocket (https://websockets.spec.whatwg.org/) for Node.js, over @wskit/node's
 * client. Written as the standard's steps: each public member starts with the brand check,
 * the argument count and the WebIDL conversions, then follows the numbered steps, quoted as
 * comments. Errors are the standard's `DOMException`s. State lives in `#fields`; @wskit/node's
 * connection is all the protocol layer there is, reached only through its event listeners.
 *
 * Where the standard leaves room, Chromium is the reference: test/differential.test.ts runs the
 * same scenarios against this class and Chromium's native one and expects the same events.
 */
import { Buffer } from 'node:buffer';
import { isArrayBuffer, isSharedArrayBuffer } from 'node:util/types';
import { type ClientOptions, type WebSocket as Connection, connect } from '@wskit/node';
import { CloseEvent } from './close-event.js';
import {
  apiBaseURL,
  environmentOrigin,
  oneHandshakeAtATime,
  WebSocketMessageEvent,
  withCredentials,
  withoutCredentials,
} from './node-environment.js';
import { kOnDrain, kPause, kResume } from './stream-backpressure.js';
import {
  argumentLengthCheck,
  illegalInvocation,
  isValidSubprotocol,
  toClampedUnsignedShort,
  toDictionary,
  toDOMString,
  toProtocolList,
  toUSVString,
} from './webidl.js';
import type {
  BinaryType,
  WebSocketEventListener,
  WebSocketLikeEventMap,
  WebSocketListenerOptions,
} from './websocket-like.js';

/**
 * Node-only extras, the optional third constructor argument: what a browser decides for its
 * pages (headers, TLS, proxy, limits) and a Node program must be able to set. The native
 * class of other runtimes cannot honour them and rejects a third argument.
 */
export interface WebSocketOptions extends Omit<ClientOptions, 'protocols' | 'signal'> {
  /**
   * Bytes queued by `send` past which the connection is dropped as "full" (error, then close
   * 1006). Default: no limit, as in browsers; `bufferedAmount` is the way to pace sends.
   */
  maxBufferedAmount?: number;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
type ReadyState = typeof CONNECTING | typeof OPEN | typeof CLOSING | typeof CLOSED;

type EventType = keyof WebSocketLikeEventMap;
type EventHandler = ((event: Event) => unknown) | null;

const addListener = EventTarget.prototype.addEventListener;
const removeListener = EventTarget.prototype.removeEventListener;
const dispatch = EventTarget.prototype.dispatchEvent;

/** A send waiting behind a Blob being read, or the close that was called after it. */
type PendingSend =
  | { kind: 'data'; data: string | Uint8Array; size: number }
  | { kind: 'blob'; bytes: Uint8Array | undefined; size: number }
  | { kind: 'close'; code: number | undefined; reason: string };

/** An event handler IDL attribute's state (https://html.spec.whatwg.org/#event-handlers). */
interface HandlerSlot {
  callback: EventHandler;
  readonly listener: (event: Event) => void;
}

const SYNTAX_ERROR = 'SyntaxError';

/** Brand check: is `value` a WebSocket of this class? Set in the class's static block. */
let isWebSocket: (value: unknown) => value is WebSocket;

/** The WHATWG WebSocket for Node.js, on @wskit/core: the browser's API, event for event. */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below only adds typed overloads of the inherited addEventListener/removeEventListener, no properties.
export class WebSocket extends EventTarget {
  declare static readonly CONNECTING: 0;
  declare static readonly OPEN: 1;
  declare static readonly CLOSING: 2;
  declare static readonly CLOSED: 3;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  readonly #url: URL;
  /** The serialization of the url's origin: every MessageEvent's `origin`. */
  readonly #origin: string;
  #readyState: ReadyState = CONNECTING;
  #bufferedAmount = 0;
  #protocol = '';
  #extensions = '';
  #binaryType: BinaryType = 'blob';
  #connection: Connection<undefined> | undefined;
  /** Whether the handshake offered subprotocols (then the server must select one). */
  readonly #protocolsOffered: boolean;
  /** Cancels the handshake when close() is called while CONNECTING. */
  readonly #abort = new AbortController();
  /**
   * Set when the user agent "was required to fail the WebSocket connection" (or flagged it as
   * full): an error event precedes the close event. Holds the cause, for the error event.
   */
  #failure: { cause: unknown } | undefined;
  /** Sends queued behind a Blob that is still being read, in call order. */
  #pending: PendingSend[] | undefined;
  readonly #handlers = new Map<EventType, HandlerSlot>();
  /** Stream backpressure (see stream-backpressure.ts). */
  #paused = false;
  #drainListeners: Set<() => void> | undefined;

  /**
   * @param url ws:, wss:, http: or https: URL (the last two mean ws: and wss:).
   * @param protocols Subprotocols to offer, most preferred first.
   * @param options Node only: headers, TLS, proxy, limits (see `WebSocketOptions`).
   */
  constructor(url: string | URL, protocols: string | string[] = [], options?: WebSocketOptions) {
    const context = "Failed to construct 'WebSocket'";
    // biome-ignore lint/complexity/noArguments: WebIDL counts the arguments actually passed.
    argumentLengthCheck(arguments.length, 1, context);
    const urlString = toUSVString(url);
    const protocolList = toProtocolList(protocols);
    // WebIDL ignores arguments past the declared ones: a third argument that is not an object
    // is not our options (`new WebSocket(url, 'chat', 'stray')` works as in browsers).
    const extra =
      typeof options === 'object' && options !== null
        ? toDictionary<WebSocketOptions>(options, context)
        : {};
    super();

    // 1. Let baseURL be this's relevant settings object's API base URL.
    //    Node has no document: the base is `globalThis.location` where the program (or Deno's
    //    --location, or a test harness) set one; otherwise there is none and a relative URL
    //    is a parse failure.
    // 2. Let urlRecord be the result of applying the URL parser to url with baseURL.
    //    (WebSocket URLs are always UTF-8: the document's encoding plays no part.)
    let urlRecord: URL;
    try {
      urlRecord = new URL(urlString, apiBaseURL());
    } catch {
      // 3. If urlRecord is failure, then throw a "SyntaxError" DOMException.
      throw new DOMException(`${context}: The URL '${urlString}' is invalid.`, SYNTAX_ERROR);
    }

    // 4. If urlRecord's scheme is "http", then set urlRecord's scheme to "ws".
    if (urlRecord.protocol === 'http:') urlRecord.protocol = 'ws:';
    // 5. Otherwise, if urlRecord's scheme is "https", set urlRecord's scheme to "wss".
    else if (urlRecord.protocol === 'https:') urlRecord.protocol = 'wss:';

    // 6. If urlRecord's scheme is not "ws" or "wss", then throw a "SyntaxError" DOMException.
    if (urlRecord.protocol !== 'ws:' && urlRecord.protocol !== 'wss:') {
      throw new DOMException(
        `${context}: The URL's scheme must be either 'http', 'https', 'ws', or 'wss'. '${urlRecord.protocol.slice(0, -1)}' is not allowed.`,
        SYNTAX_ERROR,
      );
    }

    // 7. If urlRecord's fragment is non-null, then throw a "SyntaxError" DOMException.
    //    (`hash` is "" for both a null and an empty fragment; the serialization tells them
    //    apart: a '#' can only start the fragment.)
    if (urlRecord.href.includes('#')) {
      throw new DOMException(
        `${context}: The URL contains a fragment identifier ('${urlRecord.hash.slice(1)}'). Fragment identifiers are not allowed in WebSocket URLs.`,
        SYNTAX_ERROR,
      );
    }

    // 8. If protocols is a string, set protocols to a sequence consisting of just that string.
    //    (toProtocolList did.)
    // 9. If any of the values in protocols occur more than once or otherwise fail to match the
    //    requirements for elements that comprise the value of `Sec-WebSocket-Protocol` fields
    //    as defined by The WebSocket protocol, then throw a "SyntaxError" DOMException.
    //    "More than once" compares ASCII case-insensitively, as the web-platform-tests
    //    (Create-protocols-repeated-case-insensitive), Firefox and undici do: 'chat' and
    //    'Chat' name the same token to many servers. Chromium accepts both; here we follow
    //    the tests (test/websocket.test.ts records Chromium's difference).
    const seen = new Set<string>();
    for (const protocol of protocolList) {
      if (!isValidSubprotocol(protocol)) {
        throw new DOMException(
          `${context}: The subprotocol '${protocol}' is invalid.`,
          SYNTAX_ERROR,
        );
      }
      const folded = protocol.toLowerCase();
      if (seen.has(folded)) {
        throw new DOMException(
          `${context}: The subprotocol '${protocol}' is duplicated.`,
          SYNTAX_ERROR,
        );
      }
      seen.add(folded);
    }

    // 10. Set this's url to urlRecord.
    this.#url = urlRecord;
    this.#origin = urlRecord.origin;
    this.#protocolsOffered = protocolList.length > 0;

    // 11. Let client be this's relevant settings object.
    //     Node has none: no cookies. The Origin header is options.origin, else the origin of
    //     `globalThis.location` where one exists (as a page's or worker's), else none.

    // 12. Run this step in parallel:
    //     1. Establish a WebSocket connection given urlRecord, protocols, and client.
    this.#establish(urlRecord, protocolList, extra);
  }

  // ---------------------------------------------------------------------------------------
  // Attributes

  /** https://websockets.spec.whatwg.org/#dom-websocket-url */
  get url(): string {
    if (!isWebSocket(this)) throw illegalInvocation();
    // The url getter steps are to return this's url, serialized.
    return this.#url.href;
  }

  /** https://websockets.spec.whatwg.org/#dom-websocket-readystate */
  get readyState(): number {
    if (!isWebSocket(this)) throw illegalInvocation();
    // "When the WebSocket closing handshake is started, ... change the readyState attribute's
    // value to CLOSING": the server's close frame moves the connection out of OPEN.
    if (this.#readyState === OPEN && this.#connection !== undefined) {
      if (this.#connection.readyState !== OPEN) this.#readyState = CLOSING;
    }
    return this.#readyState;
  }

  /** https://websockets.spec.whatwg.org/#dom-websocket-bufferedamount */
  get bufferedAmount(): number {
    if (!isWebSocket(this)) throw illegalInvocation();
    // The number of bytes of application data (UTF-8 text and binary data) that have been
    // queued using send() but not yet transmitted to the network. After the connection
    // closes it only grows: sends still add to it.
    return this.#bufferedAmount;
  }

  /** https://websockets.spec.whatwg.org/#dom-websocket-extensions */
  get extensions(): string {
    if (!isWebSocket(this)) throw illegalInvocation();
    return this.#extensions;
  }

  /** https://websockets.spec.whatwg.org/#dom-websocket-protocol */
  get protocol(): string {
    if (!isWebSocket(this)) throw illegalInvocation();
    return this.#protocol;
  }

  /** https://websockets.spec.whatwg.org/#dom-websocket-binarytype */
  get binaryType(): BinaryType {
    if (!isWebSocket(this)) throw illegalInvocation();
    return this.#binaryType;
  }

  set binaryType(value: BinaryType) {
    if (!isWebSocket(this)) throw illegalInvocation();
    // WebIDL enumeration attribute: a value outside the enumeration is ignored.
    const type = toDOMString(value);
    if (type === 'blob' || type === 'arraybuffer') this.#binaryType = type;
  }

  get onopen(): EventHandler {
    if (!isWebSocket(this)) throw illegalInvocation();
    return this.#getHandler('open');
  }

  set onopen(value: EventHandler) {
    if (!isWebSocket(this)) throw illegalInvocation();
    this.#setHandler('open', value);
  }

  /** Called on each 'message' event. */
  get onmessage(): ((event: MessageEvent) => unknown) | null {
    if (!isWebSocket(this)) throw illegalInvocation();
    return this.#getHandler('message');
  }

  set onmessage(value: ((event: MessageEvent) => unknown) | null) {
    if (!isWebSocket(this)) throw illegalInvocation();
    this.#setHandler('message', value as EventHandler);
  }

  get onerror(): EventHandler {
    if (!isWebSocket(this)) throw illegalInvocation();
    return this.#getHandler('error');
  }

  set onerror(value: EventHandler) {
    if (!isWebSocket(this)) throw illegalInvocation();
    this.#setHandler('error', value);
  }

  /** Called on the 'close' event. */
  get onclose(): ((event: CloseEvent) => unknown) | null {
    if (!isWebSocket(this)) throw illegalInvocation();
    return this.#getHandler('close');
  }

  set onclose(value: ((event: CloseEvent) => unknown) | null) {
    if (!isWebSocket(this)) throw illegalInvocation();
    this.#setHandler('close', value as EventHandler);
  }

  // ---------------------------------------------------------------------------------------
  // Methods

  /** https://websockets.spec.whatwg.org/#dom-websocket-send */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    if (!isWebSocket(this)) throw illegalInvocation();
    // biome-ignore lint/complexity/noArguments: WebIDL counts the arguments actually passed.
    argumentLengthCheck(arguments.length, 1, "Failed to execute 'send' on 'WebSocket'");
    // WebIDL (BufferSource or Blob or USVString). A string is sent as is: UTF-8 encoding
    // replaces lone surrogates with U+FFFD exactly as the USVString conversion would.
    let payload: string | Uint8Array | Blob;
    if (typeof data === 'string') payload = data;
    else if (isArrayBuffer(data)) payload = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) {
      if (isSharedArrayBuffer(data.buffer)) {
        throw new TypeError(
          "Failed to execute 'send' on 'WebSocket': The provided ArrayBufferView value must not be shared.",
        );
      }
      payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } else if (data instanceof Blob) payload = data;
    else if (isSharedArrayBuffer(data)) {
      throw new TypeError(
        "Failed to execute 'send' on 'WebSocket': The provided ArrayBuffer value must not be shared.",
      );
    } else payload = toUSVString(data);

    // 1. If this's ready state is CONNECTING, then throw an "InvalidStateError" DOMException.
    if (this.#readyState === CONNECTING) {
      throw new DOMException(
        "Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.",
        'InvalidStateError',
      );
    }

    // 2. Run the appropriate set of steps from the following list:
    //    If data is a string: if the WebSocket connection is established and the WebSocket
    //    closing handshake has not yet started, then the user agent must send a WebSocket
    //    Message comprised of data using a text frame opcode; if the data cannot be sent,
    //    e.g. because it would need to be buffered but the buffer is full, the user agent
    //    must flag the WebSocket as full and then close the WebSocket connection. Any
    //    invocation of this method with a string argument that does not throw an exception
    //    must increase the bufferedAmount attribute by the number of bytes needed to express
    //    the argument as UTF-8.
    if (typeof payload === 'string') {
      this.#queueData(payload, Buffer.byteLength(payload));
      return;
    }
    //    If data is a Blob object: ... send a WebSocket Message comprised of data using a
    //    binary frame opcode ... must increase the bufferedAmount attribute by the size of the
    //    Blob object's raw data, in bytes. (Read asynchronously; later sends wait for it, so
    //    messages keep the order of the calls.)
    if (payload instanceof Blob) {
      this.#queueBlob(payload);
      return;
    }
    //    If data is an ArrayBuffer / ArrayBufferView: ... binary frame opcode ... increase the
    //    bufferedAmount attribute by the length of the ArrayBuffer (of data's buffer section)
    //    in bytes.
    this.#queueData(payload, payload.byteLength);
  }

  /** https://websockets.spec.whatwg.org/#dom-websocket-close */
  close(code?: number, reason?: string): void {
    if (!isWebSocket(this)) throw illegalInvocation();
    const context = "Failed to execute 'close' on 'WebSocket'";
    // WebIDL: optional [Clamp] unsigned short code, optional USVString reason. An explicit
    // undefined is "missing" (WebIDL §3.2.x overload resolution).
    const closeCode = code === undefined ? undefined : toClampedUnsignedShort(code);
    const closeReason = reason === undefined ? undefined : toUSVString(reason);

    // 1. If code is present, but is neither an integer equal to 1000 nor an integer in the
    //    range 3000 to 4999, inclusive, throw an "InvalidAccessError" DOMException.
    if (
      closeCode !== undefined &&
      closeCode !== 1000 &&
      !(closeCode >= 3000 && closeCode <= 4999)
    ) {
      throw new DOMException(
        `${context}: The close code must be either 1000, or between 3000 and 4999. ${closeCode} is neither.`,
        'InvalidAccessError',
      );
    }

    // 2. If reason is present, then run these substeps:
    //    1. Let reasonBytes be the result of encoding reason.
    //    2. If reasonBytes is longer than 123 bytes, then throw a "SyntaxError" DOMException.
    if (closeReason !== undefined && Buffer.byteLength(closeReason) > 123) {
      throw new DOMException(
        `${context}: The close reason must not be greater than 123 UTF-8 bytes.`,
        SYNTAX_ERROR,
      );
    }

    // 3. Run the first matching steps from the following list:
    const state = this.readyState;
    //    - If this's ready state is CLOSING (2) or CLOSED (3): do nothing.
    if (state === CLOSING || state === CLOSED) return;
    //    - If the WebSocket connection is not yet established: fail the WebSocket connection
    //      and set this's ready state to CLOSING (2).
    if (state === CONNECTING) {
      this.#failure = {
        cause: new DOMException(
          'WebSocket is closed before the connection is established.',
          'AbortError',
        ),
      };
      this.#readyState = CLOSING;
      this.#abort.abort(this.#failure.cause);
      return;
    }
    //    - If the WebSocket closing handshake has not yet been started: start the WebSocket
    //      closing handshake and set this's ready state to CLOSING (2).
    //      - If code is null and reason is empty, the WebSocket Close message must not have a
    //        body.
    //      - If code is null but reason is non-empty, set code to 1000 (Normal Closure).
    //      - If code is not null, the status code in the Close message must be code; a
    //        non-empty reason follows it, encoded as UTF-8.
    //    - Otherwise: set this's ready state to CLOSING (2).
    //    (getter above: a close frame from the server already moved OPEN to CLOSING.)
    this.#readyState = CLOSING;
    const body = closeCode ?? (closeReason ? 1000 : undefined);
    if (this.#pending !== undefined) {
      // Sends queued behind a Blob go out first, then the close frame.
      this.#pending.push({ kind: 'close', code: body, reason: closeReason ?? '' });
      return;
    }
    this.#startClosingHandshake(body, closeReason ?? '');
  }

  // ---------------------------------------------------------------------------------------
  // Stream backpressure (symbol-keyed, see stream-backpressure.ts)

  /** Stops reading from the socket until `[kResume]()`: TCP flow control reaches the peer. */
  [kPause](): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#connection?.pause();
  }

  /** Reads from the socket again after `[kPause]()`. */
  [kResume](): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#connection?.resume();
  }

  /** Calls `listener` each time bufferedAmount goes down, until the returned function runs. */
  [kOnDrain](listener: () => void): () => void {
    this.#drainListeners ??= new Set();
    const entry = () => listener();
    this.#drainListeners.add(entry);
    return () => {
      this.#drainListeners?.delete(entry);
    };
  }

  // ---------------------------------------------------------------------------------------
  // Establishing the connection (https://fetch.spec.whatwg.org/#websocket-opening-handshake)

  #establish(urlRecord: URL, protocols: string[], options: Partial<WebSocketOptions>): void {
    const signal = this.#abort.signal;
    const origin = options.origin ?? environmentOrigin();
    // Fetch: credentials in the URL go out as `Authorization: Basic`, never in the request line.
    const headers = withCredentials(urlRecord, options.headers);
    const target = withoutCredentials(urlRecord);
    // RFC 6455 §4.1 step 2: one handshake at a time per host (see node-environment.ts).
    oneHandshakeAtATime(target, signal, () =>
      connect(target, {
        // Browsers offer permessage-deflate and set no limit on what send() may queue.
        perMessageDeflate: true,
        maxBufferedAmount: Number.POSITIVE_INFINITY,
        ...options,
        ...(origin === undefined ? {} : { origin }),
        ...(headers === undefined ? {} : { headers }),
        protocols,
        signal,
      }),
    ).then(this.#onEstablished, this.#onEstablishFailed);
  }

  readonly #onEstablished = (connection: Connection<undefined>): void => {
    // close() ran after the handshake completed but before this callback: it already failed
    // the connection (ready state CLOSING). Drop the socket and report the failure.
    if (this.#readyState !== CONNECTING) {
      connection.terminate();
      this.#announceClosed(1006, '', false);
      return;
    }
    // Fetch, establish a WebSocket connection: "If protocols is not the empty list and
    // extracting header list values given `Sec-WebSocket-Protocol` and response's header list
    // results in null, failure, or the empty byte sequence, then fail the WebSocket
    // connection." (RFC 6455 alone allows a server to pick none; the standard does not.)
    // @wskit/node already failed a subprotocol that was not offered (RFC 6455 §4.1 step 6).
    if (this.#protocolsOffered && connection.protocol === '') {
      this.#failure = {
        cause: new Error(
          "Sent non-empty 'Sec-WebSocket-Protocol' header but no response was received",
        ),
      };
      connection.terminate();
      this.#announceClosed(1006, '', false);
      return;
    }
    this.#connection = connection;
    connection.on('message', this.#onMessage);
    connection.on('error', this.#onError);
    connection.on('close', this.#onClose);
    if (this.#paused) connection.pause();

    // When the WebSocket connection is established, the user agent must queue a task to run
    // these steps:
    // 1. Change the ready state to OPEN (1).
    this.#readyState = OPEN;
    // 2. Change the extensions attribute's value to the extensions in use, if it is not the
    //    null value.
    this.#extensions = connection.extensions;
    // 3. Change the protocol attribute's value to the subprotocol in use, if it is not the null
    //    value.
    this.#protocol = connection.protocol;
    // 4. Fire an event named open at the WebSocket object.
    this.#fire(new Event('open'));
  };

  readonly #onEstablishFailed = (error: unknown): void => {
    // If the establish a WebSocket connection algorithm fails, it triggers the fail the
    // WebSocket connection algorithm, which then invokes the close the WebSocket connection
    // algorithm, which then establishes that the WebSocket connection is closed, which fires
    // the close event.
    this.#failure ??= { cause: error };
    this.#announceClosed(1006, '', false);
  };

  // ---------------------------------------------------------------------------------------
  // Feedback from the protocol (https://websockets.spec.whatwg.org/#feedback-from-the-protocol)

  readonly #onMessage = (data: Buffer, isBinary: boolean): void => {
    // When a WebSocket message has been received with type type and data data, the user agent
    // must queue a task to follow these steps:
    // 1. If this's ready state is not OPEN (1), then return.
    if (this.#readyState !== OPEN) return;
    // 2. Let dataForEvent be determined by switching on type and binaryType:
    //    - type indicates that the data is Text: a new DOMString containing data
    //    - binary, binaryType "blob": a new Blob object whose contents are data
    //    - binary, binaryType "arraybuffer": a new ArrayBuffer object whose contents are data
    let dataForEvent: string | Blob | ArrayBuffer;
    if (!isBinary) dataForEvent = data.toString('utf8');
    else if (this.#binaryType === 'blob') dataForEvent = new Blob([data]);
    else dataForEvent = toArrayBuffer(data);
    // 3. Fire an event named message at the WebSocket object, using MessageEvent, with the
    //    origin attribute initialized to the serialization of the WebSocket object's url's
    //    origin, and the data attribute initialized to dataForEvent.
    this.#fire(
      new WebSocketMessageEvent('message', { data: dataForEvent, origin: this.#origin }) as Event,
    );
  };

  readonly #onError = (error: unknown): void => {
    // @wskit/node reports here what makes it fail the connection (a protocol violation, bad
    // UTF-8, a message too big) or drop it as full: the close event is preceded by an error.
    this.#failure ??= { cause: error };
  };

  readonly #onClose = (code: number, reason: Buffer, wasClean: boolean): void => {
    this.#announceClosed(code, reason.toString('utf8'), wasClean);
  };

  /**
   * When the WebSocket connection is closed, possibly cleanly, the user agent must queue a task
   * to run the following substeps.
   */
  #announceClosed(code: number, reason: string, wasClean: boolean): void {
    if (this.#readyState === CLOSED) return;
    const connection = this.#connection;
    if (connection !== undefined) {
      connection.off('message', this.#onMessage);
      connection.off('error', this.#onError);
      connection.off('close', this.#onClose);
    }
    this.#pending = undefined;
    // 1. Change the ready state to CLOSED (3).
    this.#readyState = CLOSED;
    // 2. If the user agent was required to fail the WebSocket connection, or if the WebSocket
    //    connection was closed after being flagged as full, fire an event named error at the
    //    WebSocket object.
    const failure = this.#failure;
    if (failure !== undefined) {
      const event = new Event('error');
      // Node only, not in the standard: why it failed (a browser would log it to its console).
      Object.defineProperty(event, 'error', { value: failure.cause, configurable: true });
      this.#fire(event);
    }
    // 3. Fire an event named close at the WebSocket object, using CloseEvent, with the wasClean
    //    attribute initialized to true if the connection closed cleanly and false otherwise,
    //    the code attribute initialized to the WebSocket connection close code, and the reason
    //    attribute initialized to the result of applying UTF-8 decode without BOM to the
    //    WebSocket connection close reason.
    this.#fire(new CloseEvent('close', { wasClean, code, reason }));
  }

  // ---------------------------------------------------------------------------------------
  // Sending

  /** Adds to bufferedAmount, then sends if the connection is open and not closing. */
  #queueData(data: string | Uint8Array, size: number): void {
    this.#bufferedAmount += size;
    if (!this.#canTransmit()) return;
    if (this.#pending !== undefined) {
      // Copied: the caller may reuse its buffer once send() returns.
      this.#pending.push({
        kind: 'data',
        data: typeof data === 'string' ? data : data.slice(),
        size,
      });
      return;
    }
    this.#transmit(data, size);
  }

  #queueBlob(blob: Blob): void {
    const size = blob.size;
    this.#bufferedAmount += size;
    if (!this.#canTransmit()) return;
    const entry: PendingSend = { kind: 'blob', bytes: undefined, size };
    this.#pending ??= [];
    this.#pending.push(entry);
    blob.arrayBuffer().then(
      (buffer) => {
        entry.bytes = new Uint8Array(buffer);
        this.#drainPending();
      },
      () => {
        // An unreadable Blob (a File deleted from disk): nothing to send. It stays counted in
        // bufferedAmount, never transmitted.
        entry.bytes = new Uint8Array(0);
        entry.size = 0;
        this.#drainPending();
      },
    );
  }

  /** Sends what waited behind Blobs, in order, up to the next Blob still being read. */
  #drainPending(): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    while (pending.length > 0) {
      const next = pending[0] as PendingSend;
      if (next.kind === 'blob' && next.bytes === undefined) return;
      pending.shift();
      if (next.kind === 'close') this.#startClosingHandshake(next.code, next.reason);
      else if (this.#connection?.readyState === OPEN) {
        if (next.kind === 'blob') {
          if (next.size > 0) this.#transmit(next.bytes as Uint8Array, next.size);
        } else this.#transmit(next.data, next.size);
      }
    }
    this.#pending = undefined;
  }

  /** "The WebSocket connection is established and the closing handshake has not started." */
  #canTransmit(): boolean {
    return this.#readyState === OPEN && this.#connection?.readyState === OPEN;
  }

  #transmit(data: string | Uint8Array, size: number): void {
    const connection = this.#connection as Connection<undefined>;
    // A compressed message is read asynchronously by zlib: give it a copy, so the caller may
    // change its buffer once send() returns (uncompressed frames are masked into a copy
    // before send() returns).
    const payload = typeof data !== 'string' && this.#extensions !== '' ? data.slice() : data;
    connection.send(payload, (error) => {
      // Written to the kernel: no longer queued. Unsent data (the connection ended first)
      // stays counted, as it was never transmitted.
      if (error) return;
      this.#bufferedAmount -= size;
      if (this.#drainListeners !== undefined)
        for (const listener of this.#drainListeners) listener();
    });
  }

  #startClosingHandshake(code: number | undefined, reason: string): void {
    const connection = this.#connection;
    if (connection === undefined || connection.readyState !== OPEN) return;
    connection.close(code, reason);
  }

  // ---------------------------------------------------------------------------------------
  // Events

  #fire(event: Event): void {
    dispatch.call(this, event);
  }

  #getHandler<H>(type: EventType): H | null {
    return (this.#handlers.get(type)?.callback ?? null) as H | null;
  }

  /**
   * Event handler IDL attributes (HTML §8.1.8.1): the first non-null value registers one
   * listener; later values replace its callback in place, keeping its position among the
   * listeners; null removes it. Non-object values count as null ([LegacyTreatNonObjectAsNull]).
   */
  #setHandler(type: EventType, value: EventHandler): void {
    const callback =
      typeof value === 'function' || (typeof value === 'object' && value !== null) ? value : null;
    const slot = this.#handlers.get(type);
    if (callback === null) {
      if (slot !== undefined) {
        this.#handlers.delete(type);
        removeListener.call(this, type, slot.listener);
      }
      return;
    }
    if (slot !== undefined) {
      slot.callback = callback;
      return;
    }
    const created: HandlerSlot = {
      callback,
      listener: (event: Event) => {
        const handler = created.callback;
        if (typeof handler === 'function') handler.call(this, event);
      },
    };
    this.#handlers.set(type, created);
    addListener.call(this, type, created.listener);
  }

  static {
    // The brand check, as a function the members call: `#url in value` can only be written in
    // the class body. (A static method called as `WebSocket.#method` would make bundlers
    // rename the class, and its `name` with it.)
    isWebSocket = (value: unknown): value is WebSocket =>
      typeof value === 'object' && value !== null && #url in value;
  }
}

/** Listener overloads typed by event name, merged into the class declaration. */
export interface WebSocket {
  /** Adds a listener for one of the WebSocket's events, typed by its name. */
  addEventListener<K extends keyof WebSocketLikeEventMap>(
    type: K,
    listener: WebSocketEventListener<WebSocketLikeEventMap[K]> | null,
    options?: boolean | WebSocketListenerOptions,
  ): void;
  /** Adds a listener for any event type. */
  addEventListener(
    type: string,
    listener: WebSocketEventListener | null,
    options?: boolean | WebSocketListenerOptions,
  ): void;
  /** Removes a listener added with `addEventListener`. */
  removeEventListener<K extends keyof WebSocketLikeEventMap>(
    type: K,
    listener: WebSocketEventListener<WebSocketLikeEventMap[K]> | null,
    options?: boolean | Pick<WebSocketListenerOptions, 'capture'>,
  ): void;
  /** Removes a listener added with `addEventListener`, for any event type. */
  removeEventListener(
    type: string,
    listener: WebSocketEventListener | null,
    options?: boolean | Pick<WebSocketListenerOptions, 'capture'>,
  ): void;
}

// WebIDL constants: on the interface object and on the prototype, read-only, enumerable.
const constants = {
  CONNECTING: { value: CONNECTING, enumerable: true },
  OPEN: { value: OPEN, enumerable: true },
  CLOSING: { value: CLOSING, enumerable: true },
  CLOSED: { value: CLOSED, enumerable: true },
} as const;
Object.defineProperties(WebSocket, constants);
Object.defineProperties(WebSocket.prototype, {
  ...constants,
  // WebIDL attributes and operations are enumerable.
  url: { enumerable: true },
  readyState: { enumerable: true },
  bufferedAmount: { enumerable: true },
  onopen: { enumerable: true },
  onerror: { enumerable: true },
  onclose: { enumerable: true },
  extensions: { enumerable: true },
  protocol: { enumerable: true },
  close: { enumerable: true },
  onmessage: { enumerable: true },
  binaryType: { enumerable: true },
  send: { enumerable: true },
  [Symbol.toStringTag]: { value: 'WebSocket', configurable: true },
});
// WebIDL: an operation's `length` counts its required arguments; both of close()'s are optional.
Object.defineProperty(WebSocket.prototype.close, 'length', { value: 0 });

/**
 * The message as an ArrayBuffer of its own. A Buffer that spans its whole ArrayBuffer owns it
 * (@wskit/node gives each reassembled or inflated message a fresh allocation, never a pooled
 * one): handed over without a copy. A view into a socket chunk or the pool is copied.
 */
function toArrayBuffer(data: Buffer): ArrayBuffer {
  const buffer = data.buffer;
  if (
    data.byteOffset === 0 &&
    data.byteLength === buffer.byteLength &&
    buffer instanceof ArrayBuffer
  ) {
    return buffer;
  }
  return buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
}
