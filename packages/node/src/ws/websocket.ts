import { EventEmitter } from 'node:events';
import { type SendData, WebSocketError } from '@wskit/core';
import { defaultLivenessScheduler, LivenessMonitor } from '@wskit/server';
import type { ClientOptions } from '../client.js';
import {
  type ClientHandshake,
  nextClientId,
  openHandshake,
  UnexpectedResponseError,
} from '../client.js';
import {
  WebSocket as BaseWebSocket,
  type WebSocketEvents as BaseWebSocketEvents,
  type NodeSendOptions,
  type SendCallback,
  type WebSocketInit,
} from '../websocket.js';
import { clientOptionsFromWs, type WsCommonOptions } from './options.js';
import type { WebSocketServer } from './server.js';
import type { createWebSocketStream } from './stream.js';

/** What 'message' listeners get for binary messages (text messages are always Buffers). */
export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments';
const BINARY_TYPES: readonly BinaryType[] = ['nodebuffer', 'arraybuffer', 'fragments'];

/** The handshake request, as 'redirect' and 'unexpected-response' listeners see it. */
export interface HandshakeRequestInfo {
  readonly method: 'GET';
  readonly url: string;
}

/** The server's answer, as 'upgrade' and 'unexpected-response' listeners see it. */
export interface HandshakeResponseInfo {
  readonly statusCode: number;
  readonly statusMessage: string;
  /** Lowercase names, as Node's IncomingMessage has them. */
  readonly headers: Record<string, string>;
  /** The body of a non-101 answer (up to maxResponseBodySize); empty for the 101. */
  readonly body: Buffer;
}

/** The client options of the ws surface: ws's names, plus wskit's. */
export interface WsClientOptions extends WsCommonOptions, Omit<ClientOptions, 'perMessageDeflate'> {
  /** 13 only (RFC 6455). */
  protocolVersion?: number;
  /** TLS options may be given at the top level, as ws passes them to https.request. */
  ca?: unknown;
  cert?: unknown;
  key?: unknown;
  rejectUnauthorized?: boolean;
  servername?: string;
  [tlsOption: string]: unknown;
}

/** The events of the ws surface's WebSocket: wskit's plus ws's client events. */
export interface WebSocketEvents extends BaseWebSocketEvents {
  open: [];
  upgrade: [response: HandshakeResponseInfo];
  'unexpected-response': [request: HandshakeRequestInfo, response: HandshakeResponseInfo];
  redirect: [url: string, request: HandshakeRequestInfo];
}

type Listener<K extends keyof WebSocketEvents> = (...args: WebSocketEvents[K]) => void;

/**
 * `ws`'s WebSocket on @wskit/node: `new WebSocket(url, protocols?, options?)` connects a
 * client (readyState CONNECTING, then 'open'), and every socket a ws-surface server accepts
 * is one too. Everything else is @wskit/node's connection (driver.ts, websocket.ts).
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below adds listener overloads only.
export class WebSocket<Data = unknown> extends BaseWebSocket<Data> {
  declare static Server: typeof WebSocketServer;
  declare static WebSocketServer: typeof WebSocketServer;
  declare static WebSocket: typeof WebSocket;
  declare static createWebSocketStream: typeof createWebSocketStream;

  #binaryType: BinaryType = 'nodebuffer';
  /** close()/terminate() before the handshake finished. */
  #aborted = false;

  constructor(address: string | URL, protocols?: string | string[], options?: WsClientOptions);
  constructor(address: string | URL, options?: WsClientOptions);
  /** @internal A ws-surface server builds its peers with this. */
  constructor(init: WebSocketInit<Data>);
  constructor(
    address: string | URL | WebSocketInit<Data>,
    protocols?: string | string[] | WsClientOptions,
    options?: WsClientOptions,
  ) {
    if (typeof address === 'object' && address !== null && !(address instanceof URL)) {
      super(address);
      return;
    }
    if (protocols !== undefined && typeof protocols === 'object' && !Array.isArray(protocols)) {
      options = protocols as WsClientOptions;
      protocols = undefined;
    }
    // Checked now, so a mistake throws from the constructor, as in ws.
    const clientOptions = clientOptionsFromWs(
      options as Record<string, unknown> | undefined,
      protocols as string | string[] | undefined,
    );
    super({ id: nextClientId(), url: String(address) });
    const request: HandshakeRequestInfo = { method: 'GET', url: String(address) };
    openHandshake(address, clientOptions, {
      redirect: (url) => this.#emit('redirect', url, { method: 'GET', url }),
    }).then(
      (handshake) => this.#opened(handshake),
      (error: Error) => this.#failed(error, request),
    );
  }

  /**
   * ws's `send(data, options?, callback?)`: options `binary`, `compress`, `mask` (clients
   * always mask and servers never, as RFC 6455 §5.1 requires) and `fin` (only `true`: wskit
   * sends whole messages).
   */
  override send(
    data: SendData,
    options?: WsSendOptions | SendCallback,
    callback?: SendCallback,
  ): void {
    if (typeof options === 'object' && options !== null && options.fin === false) {
      throw new WebSocketError(
        'WS_ERR_INVALID_ARGUMENT',
        'send: fin: false (sending a message in fragments) is not supported; send the whole message',
      );
    }
    super.send(data, options as NodeSendOptions | SendCallback | undefined, callback);
  }

  /** ws's `ping(data?, mask?, callback?)`; `mask` is ignored (see `send`). */
  override ping(
    data?: SendData | SendCallback,
    mask?: boolean | SendCallback,
    callback?: SendCallback,
  ): void {
    const [payload, done] = controlArguments(data, mask, callback);
    super.ping(payload, done);
  }

  /** ws's `pong(data?, mask?, callback?)`; `mask` is ignored (see `send`). */
  override pong(
    data?: SendData | SendCallback,
    mask?: boolean | SendCallback,
    callback?: SendCallback,
  ): void {
    const [payload, done] = controlArguments(data, mask, callback);
    super.pong(payload, done);
  }

  /** How binary messages reach 'message' listeners. Default 'nodebuffer' (a Buffer). */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(type: BinaryType) {
    if (!BINARY_TYPES.includes(type)) {
      throw new TypeError(
        `binaryType must be one of ${BINARY_TYPES.join(', ')}, got ${String(type)}`,
      );
    }
    this.#binaryType = type;
  }

  protected override messageEventData(data: Uint8Array, isBinary: boolean): Buffer {
    const buffer = super.messageEventData(data, isBinary);
    if (!isBinary || this.#binaryType === 'nodebuffer') return buffer;
    // ws's binaryType: 'arraybuffer' gives an ArrayBuffer, 'fragments' an array of Buffers
    // (one here: wskit reassembles a message before it is delivered).
    if (this.#binaryType === 'arraybuffer') {
      return buffer.buffer.slice(
        buffer.byteOffset,
        buffer.byteOffset + buffer.byteLength,
      ) as unknown as Buffer;
    }
    return [buffer] as unknown as Buffer;
  }

  protected override onCloseBeforeOpen(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.abandon();
    // As ws does: an error, then close 1006, after the current call returns.
    process.nextTick(() => {
      this.#emitError(new Error('WebSocket was closed before the connection was established'));
      this.emit('close', 1006, Buffer.alloc(0), false);
    });
  }

  #opened(handshake: ClientHandshake): void {
    if (this.#aborted) {
      handshake.socket.destroy();
      return;
    }
    this.attachClient({
      ...handshake,
      role: 'client',
      monitor: new LivenessMonitor(handshake.options, defaultLivenessScheduler),
    });
    this.#emit(
      'upgrade',
      responseInfo(
        handshake.response.status,
        handshake.response.statusText,
        handshake.response.headers,
        Buffer.alloc(0),
      ),
    );
    this.#emit('open');
    this.start();
  }

  #failed(error: Error, request: HandshakeRequestInfo): void {
    if (this.#aborted) return;
    this.abandon();
    if (error instanceof UnexpectedResponseError && this.listenerCount('unexpected-response') > 0) {
      const headers: Array<[string, string]> = [];
      error.headers.forEach((value, name) => {
        headers.push([name, value]);
      });
      this.#emit(
        'unexpected-response',
        request,
        responseInfo(error.status, error.statusText, headers, error.body),
      );
    } else {
      this.#emitError(error);
    }
    this.emit('close', 1006, Buffer.alloc(0), false);
  }

  /** Emits ws's client events, which wskit's connection type does not declare. */
  #emit<K extends keyof WebSocketEvents>(event: K, ...args: WebSocketEvents[K]): void {
    EventEmitter.prototype.emit.call(this, event, ...args);
  }

  #emitError(error: Error | WebSocketError): void {
    // ws emits 'error' even without a listener; a failed connect must not crash a process
    // that only listens for 'close', so it is emitted only when someone listens.
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

/**
 * ws's typed listeners for its client events. Only overloads of methods the class inherits
 * from EventEmitter: nothing here is left unimplemented.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: adds listener overloads only.
export interface WebSocket<Data> {
  on<K extends keyof WebSocketEvents>(event: K, listener: Listener<K>): this;
  once<K extends keyof WebSocketEvents>(event: K, listener: Listener<K>): this;
  off<K extends keyof WebSocketEvents>(event: K, listener: Listener<K>): this;
  addListener<K extends keyof WebSocketEvents>(event: K, listener: Listener<K>): this;
  removeListener<K extends keyof WebSocketEvents>(event: K, listener: Listener<K>): this;
}

/** ws's send options. */
export interface WsSendOptions extends NodeSendOptions {
  readonly mask?: boolean;
  readonly fin?: boolean;
}

/** ws's `(data?, mask?, callback?)` with each argument optional, as ws sorts them. */
function controlArguments(
  data: SendData | SendCallback | undefined,
  mask: boolean | SendCallback | undefined,
  callback: SendCallback | undefined,
): [SendData | undefined, SendCallback | undefined] {
  if (typeof data === 'function') return [undefined, data];
  if (typeof mask === 'function') return [data, mask];
  return [data, callback];
}

function responseInfo(
  statusCode: number,
  statusMessage: string,
  headerLines: ReadonlyArray<readonly [string, string]>,
  body: Buffer,
): HandshakeResponseInfo {
  const headers: Record<string, string> = {};
  for (const [name, value] of headerLines) {
    const key = name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  return { statusCode, statusMessage, headers, body };
}
