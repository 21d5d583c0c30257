import type * as http from 'node:http';
import type * as http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { createRejectResponse, type UpgradeRequest } from '@wskit/core';
import { prefixedError } from '@wskit/server';
import { respondHttp2Reject } from '../http2-server.js';
import { NODE_PREFIX } from '../options.js';
import {
  WebSocketServer as BaseWebSocketServer,
  type CloseServerOptions,
  type ServerOptions,
} from '../server.js';
import type { NodeUpgradeRequest } from '../upgrade-request.js';
import type { WebSocketInit } from '../websocket.js';
import { serverOptionsFromWs, type WsCommonOptions } from './options.js';
import { WebSocket } from './websocket.js';

/** What ws's `verifyClient` is told about a request. */
export interface VerifyClientInfo {
  readonly origin: string | undefined;
  /** The request came over TLS. */
  readonly secure: boolean;
  readonly req: http.IncomingMessage;
}

export type VerifyClientCallback = (
  result: boolean,
  code?: number,
  message?: string,
  headers?: http.OutgoingHttpHeaders,
) => void;

/** ws's two forms: `(info) => boolean` and `(info, callback) => void`. */
export type VerifyClient =
  | ((info: VerifyClientInfo) => boolean)
  | ((info: VerifyClientInfo, callback: VerifyClientCallback) => void);

/** The server options of the ws surface: ws's names, plus wskit's. */
export interface WsServerOptions<Data = unknown>
  extends WsCommonOptions,
    Omit<ServerOptions<Data>, 'perMessageDeflate'> {
  verifyClient?: VerifyClient;
  /** ws's: pick a subprotocol from the offer, or `false` for none. */
  handleProtocols?: (protocols: Set<string>, request: http.IncomingMessage) => string | false;
  /** Accepted for ws compatibility: the class of the sockets, which must be this WebSocket. */
  WebSocket?: typeof WebSocket;
}

/**
 * ws's WebSocketServer on @wskit/node: ws's options (maxPayload, verifyClient in both forms,
 * handleProtocols, perMessageDeflate with concurrencyLimit...) and events ('connection',
 * 'headers', 'listening', 'error', 'close', 'wsClientError'), with wskit's server underneath.
 * Its sockets are the ws surface's WebSocket (binaryType, 'open'...).
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below adds listener overloads only.
export class WebSocketServer<Data = unknown> extends BaseWebSocketServer<Data> {
  /** The open sockets (with clientTracking, the default). */
  declare readonly clients: Set<WebSocket<Data>>;
  readonly #verifyClient: VerifyClient | undefined;

  constructor(options: WsServerOptions<Data> = {}, callback?: () => void) {
    if (options === null || typeof options !== 'object') {
      throw prefixedError(NODE_PREFIX, 'WebSocketServer expects an options object');
    }
    const { verifyClient, handleProtocols, WebSocket: socketClass } = options;
    if (verifyClient !== undefined && typeof verifyClient !== 'function') {
      throw prefixedError(NODE_PREFIX, 'option verifyClient must be a function');
    }
    if (handleProtocols !== undefined && typeof handleProtocols !== 'function') {
      throw prefixedError(NODE_PREFIX, 'option handleProtocols must be a function');
    }
    if (socketClass !== undefined && socketClass !== WebSocket) {
      throw prefixedError(
        NODE_PREFIX,
        'option WebSocket must be the WebSocket class of @wskit/node/ws (a subclass of it is not supported)',
      );
    }
    const mapped = serverOptionsFromWs(options as Record<string, unknown>) as ServerOptions<Data>;
    if (handleProtocols !== undefined) {
      if (mapped.selectProtocol !== undefined) {
        throw prefixedError(
          NODE_PREFIX,
          'options handleProtocols and selectProtocol both pick the subprotocol: pass one',
        );
      }
      mapped.selectProtocol = (protocols, request: NodeUpgradeRequest) => {
        const incoming = request.incomingMessage as http.IncomingMessage;
        return handleProtocols(new Set(protocols), incoming) || undefined;
      };
    }
    super(mapped, callback);
    this.#verifyClient = verifyClient;
  }

  /** ws's `close(callback)` as well as wskit's `close(options, callback)`. */
  override close(
    options?: CloseServerOptions | ((error?: Error) => void),
    callback?: (error?: Error) => void,
  ): Promise<void> {
    if (typeof options === 'function') return super.close({}, options);
    return super.close(options, callback);
  }

  override handleUpgrade(
    request: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback?: (socket: WebSocket<Data>, request: http.IncomingMessage) => void,
  ): void {
    const verify = this.#verifyClient;
    const proceed = () =>
      super.handleUpgrade(
        request,
        socket,
        head,
        callback as Parameters<BaseWebSocketServer<Data>['handleUpgrade']>[3],
      );
    if (verify === undefined) {
      proceed();
      return;
    }
    const info: VerifyClientInfo = {
      origin:
        request.headers.origin ?? (request.headers['sec-websocket-origin'] as string | undefined),
      secure: (request.socket as { encrypted?: boolean }).encrypted === true,
      req: request,
    };
    runVerifyClient(verify, info, proceed, (code, message, headers) =>
      refuse(socket, code, message, headers),
    );
  }

  /**
   * An HTTP/2 extended CONNECT stream (RFC 8441) goes through `verifyClient` too. There is no
   * IncomingMessage for a stream: `info.req` is a stand-in with `headers` (pseudo-headers
   * included), `url` (`:path`), `method` ('CONNECT'), `httpVersion` ('2.0') and `socket`.
   */
  override handleStream(
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    callback?: (socket: WebSocket<Data>, request: NodeUpgradeRequest) => void,
  ): void {
    const verify = this.#verifyClient;
    const proceed = () =>
      super.handleStream(
        stream,
        headers,
        callback as Parameters<BaseWebSocketServer<Data>['handleStream']>[2],
      );
    if (verify === undefined) {
      proceed();
      return;
    }
    stream.on('error', () => {});
    const req = {
      headers,
      url: headers[':path'] ?? '/',
      method: 'CONNECT',
      httpVersion: '2.0',
      socket: stream.session?.socket,
    } as unknown as http.IncomingMessage;
    const info: VerifyClientInfo = {
      origin: headers.origin,
      secure: headers[':scheme'] === 'https',
      req,
    };
    runVerifyClient(verify, info, proceed, (code, message, extra) =>
      refuseStream(stream, code, message, extra),
    );
  }

  protected override createPeer(init: WebSocketInit<Data>): WebSocket<Data> {
    return new WebSocket<Data>(init);
  }
}

/**
 * ws's verifyClient in either form (`(info) => boolean` or `(info, callback)`), for an HTTP/1.1
 * upgrade and an HTTP/2 stream alike. A refusal defaults to 401; a verifyClient that throws is
 * a server bug: 500, and the log (as a throwing hook).
 */
function runVerifyClient(
  verify: VerifyClient,
  info: VerifyClientInfo,
  proceed: () => void,
  refuseWith: (code: number, message?: string, headers?: http.OutgoingHttpHeaders) => void,
): void {
  const decide: VerifyClientCallback = (result, code = 401, message, headers) => {
    if (result) proceed();
    else refuseWith(code, message, headers);
  };
  try {
    if (verify.length >= 2)
      (verify as (i: VerifyClientInfo, c: VerifyClientCallback) => void)(info, decide);
    else decide((verify as (i: VerifyClientInfo) => boolean)(info));
  } catch (error) {
    console.error(
      `${NODE_PREFIX} verifyClient failed (the client got 500 Internal Server Error):`,
      error,
    );
    refuseWith(500);
  }
}

/** ws's refusal: the status, its reason phrase (or the message) and optional headers. */
function refuse(
  socket: Duplex,
  status: number,
  message?: string,
  headers?: http.OutgoingHttpHeaders,
): void {
  if (socket.destroyed) return;
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) pairs.push([name, String(item)]);
  }
  let response: Uint8Array;
  try {
    response = createRejectResponse({
      status,
      statusText: message,
      headers: pairs,
      body: message,
    }).toBytes();
  } catch {
    response = createRejectResponse({ status: 500 }).toBytes();
  }
  socket.end(response);
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/** ws's refusal on an HTTP/2 stream: the status, the message as body, optional headers. */
function refuseStream(
  stream: http2.ServerHttp2Stream,
  status: number,
  message?: string,
  headers?: http.OutgoingHttpHeaders,
): void {
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) pairs.push([name, String(item)]);
  }
  let response: ReturnType<typeof createRejectResponse>;
  try {
    response = createRejectResponse({ status, headers: pairs, body: message });
  } catch {
    response = createRejectResponse({ status: 500 });
  }
  respondHttp2Reject(stream, response);
}

export type { UpgradeRequest };

/** The events of the ws surface's server: its sockets are the ws surface's WebSocket. */
export interface WsServerEvents<Data> {
  /** `emit('connection', ws, request, ...more)` passes extra arguments on, as in ws. */
  connection: [socket: WebSocket<Data>, request: http.IncomingMessage, ...rest: unknown[]];
  listening: [];
  error: [error: Error];
  close: [];
  wsClientError: [error: Error];
  headers: [headers: string[], request: http.IncomingMessage];
}

type ServerListener<Data, K extends keyof WsServerEvents<Data>> = (
  ...args: WsServerEvents<Data>[K]
) => void;

/** Listener overloads with the ws surface's socket type. */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: adds listener overloads only.
export interface WebSocketServer<Data> {
  on<K extends keyof WsServerEvents<Data>>(event: K, listener: ServerListener<Data, K>): this;
  once<K extends keyof WsServerEvents<Data>>(event: K, listener: ServerListener<Data, K>): this;
  off<K extends keyof WsServerEvents<Data>>(event: K, listener: ServerListener<Data, K>): this;
  addListener<K extends keyof WsServerEvents<Data>>(
    event: K,
    listener: ServerListener<Data, K>,
  ): this;
  removeListener<K extends keyof WsServerEvents<Data>>(
    event: K,
    listener: ServerListener<Data, K>,
  ): this;
}
