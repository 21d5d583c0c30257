/**
 * The part of the WHATWG `WebSocket` interface that `ReconnectingWebSocket` and
 * `WebSocketStream` rely on. Both the native class (browsers, workers, Deno, Bun, workerd) and
 * our Node class satisfy it, so those helpers stay generic over whichever class is active.
 * https://websockets.spec.whatwg.org/#the-websocket-interface
 *
 * Types only, and self-contained: no DOM lib and no @types/node needed beyond the Event,
 * EventTarget, MessageEvent and Blob globals both of them declare.
 */
import type { CloseEvent } from './close-event.js';

/** `binaryType` values (https://websockets.spec.whatwg.org/#enumdef-binarytype). */
export type BinaryType = 'blob' | 'arraybuffer';

/** What `send` accepts (`BufferSource or Blob or USVString`). */
export type WebSocketSendData = string | ArrayBufferLike | ArrayBufferView | Blob;

/** Options of addEventListener / removeEventListener. */
export interface WebSocketListenerOptions {
  capture?: boolean;
  once?: boolean;
  passive?: boolean;
  signal?: AbortSignal;
}

/** A listener: a function or an object with `handleEvent`. */
export type WebSocketEventListener<E = Event> =
  | ((event: E) => void)
  | {
      /** Called with each event. */
      handleEvent(event: E): void;
    };

/** Events a WebSocket dispatches, by type. */
export interface WebSocketLikeEventMap {
  open: Event;
  message: MessageEvent;
  error: Event;
  close: CloseEvent;
}

/** An instance of a WHATWG-compatible WebSocket class. */
export interface WebSocketLike {
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
  /** The URL, serialized (http: and https: become ws: and wss:). */
  readonly url: string;
  /** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED. */
  readonly readyState: number;
  /** Bytes of application data queued by `send` and not yet written to the network. */
  readonly bufferedAmount: number;
  readonly protocol: string;
  readonly extensions: string;
  binaryType: BinaryType;

  /** Called on the 'open' event (after listeners added before it). */
  onopen: ((event: Event) => unknown) | null;
  /** Called on each 'message' event. */
  onmessage: ((event: MessageEvent) => unknown) | null;
  /** Called on the 'error' event. */
  onerror: ((event: Event) => unknown) | null;
  /** Called on the 'close' event. */
  onclose: ((event: CloseEvent) => unknown) | null;

  /** Sends a message: a string as text, bytes or a Blob as binary. */
  send(data: WebSocketSendData): void;
  /** Starts the closing handshake with `code` (1000 or 3000-4999) and `reason`. */
  close(code?: number, reason?: string): void;

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
  /** Dispatches `event` to this WebSocket's listeners (EventTarget). */
  dispatchEvent(event: Event): boolean;
}

/** A WHATWG-compatible WebSocket class: the constructor plus its constants. */
export interface WebSocketLikeConstructor {
  new (url: string | URL, protocols?: string | string[]): WebSocketLike;
  readonly prototype: WebSocketLike;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
}
