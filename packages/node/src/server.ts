import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  buildAcceptResponse,
  CloseCode,
  createRejectResponse,
  type ExtensionElement,
  type HeadersLike,
  type Hooks,
  isUpgradeReject,
  type NegotiatedDeflate,
  negotiateDeflate,
  type PerMessageCodec,
  type PerMessageDeflateOptions,
  type RejectResponseOptions,
  type SendData,
  type SendOptions,
  type UpgradeAccept,
  type UpgradeReject,
  validateClientRequest,
  validateDeflateOptions,
  WebSocketError,
} from '@wskit/core';
import { createLivenessMonitor } from './liveness-monitor.js';
import {
  type ConnectionOptions,
  checkNonNegative,
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_HEARTBEAT,
  optionError,
  type ResolvedConnectionOptions,
  resolveConnectionOptions,
  resolveDeflateOption,
} from './options.js';
import { TopicRegistry } from './topics.js';
import { NodeUpgradeRequest } from './upgrade-request.js';
import { WebSocket } from './websocket.js';
import { createZlibCodec, type ZlibCodecOptions } from './zlib-codec.js';

export type OriginPolicy = readonly string[] | ((origin: string | undefined) => boolean);

export interface ServerOptions<Data = unknown> extends ConnectionOptions {
  /** Standalone: listen on this port (0 picks a free one). */
  port?: number;
  /** Standalone: the address to bind. Default: Node's default (all interfaces). */
  host?: string;
  /** Standalone with TLS (wss): the usual `https.createServer` options (key, cert...). */
  tls?: https.ServerOptions;
  /** Attach to an existing http or https server, sharing its port with HTTP routes. */
  server?: http.Server | https.Server;
  /** Neither listen nor attach: call `handleUpgrade` yourself (Express, Fastify, Hono). */
  noServer?: boolean;
  /** Only accept upgrades for this pathname (e.g. '/chat'). */
  path?: string;
  /** The shared hooks API (upgrade, open, message, close, error, drain). */
  hooks?: Hooks<Data>;
  /** permessage-deflate (RFC 7692). Off by default; `true` for the defaults. */
  perMessageDeflate?: boolean | (PerMessageDeflateOptions & ZlibCodecOptions);
  /**
   * Allowed `Origin` values (exact, e.g. 'https://example.com'), or a predicate. Requests
   * from other origins get 403: the defence against Cross-Site WebSocket Hijacking. Default:
   * any origin.
   */
  allowedOrigins?: OriginPolicy;
  /**
   * Picks a subprotocol from the client's offer when the upgrade hook did not. Default: none
   * is selected (RFC 6455 §4.2.2: the server may select none).
   */
  selectProtocol?: (
    protocols: readonly string[],
    request: NodeUpgradeRequest,
  ) => string | undefined;
  /** Time allowed from the upgrade request to the 101, including the upgrade hook. 10 s. */
  handshakeTimeout?: number;
  /** Keep `server.clients`. Default true. */
  clientTracking?: boolean;
}

export interface CloseServerOptions {
  /** Close code sent to every peer. Default 1001 (going away). */
  code?: number;
  reason?: string;
  /** How long to wait for closing handshakes before terminating. Default `closeTimeout`. */
  timeout?: number;
}

/** One handshake in progress; the timeout marks it answered so a late hook result is dropped. */
interface HandshakeAttempt {
  timedOut: boolean;
}

type UpgradeCallback<Data> = (socket: WebSocket<Data>, request: http.IncomingMessage) => void;

let nextServerId = 0;

const HOOK_NAMES = ['upgrade', 'open', 'message', 'close', 'error', 'drain'] as const;

/** The events of a server, `ws`-style, for typed `on`/`once`/`off`. */
export interface WebSocketServerEvents<Data> {
  connection: [socket: WebSocket<Data>, request: http.IncomingMessage];
  listening: [];
  error: [error: Error];
  close: [];
  /** A handshake failed or was refused (bad request, Origin, timeout): reported, not thrown. */
  wsClientError: [error: Error];
}

/**
 * A WebSocket server on Node: standalone, attached to an http/https server, or fed by
 * `handleUpgrade`. Offers the shared hooks API and an EventEmitter surface like `ws`'s.
 */
export class WebSocketServer<Data = unknown> extends EventEmitter<WebSocketServerEvents<Data>> {
  readonly options: Readonly<ServerOptions<Data>>;
  readonly clients: Set<WebSocket<Data>> = new Set();
  readonly #connectionOptions: ResolvedConnectionOptions;
  readonly #deflate: (PerMessageDeflateOptions & ZlibCodecOptions) | undefined;
  readonly #handshakeTimeout: number;
  readonly #monitor: ReturnType<typeof createLivenessMonitor>;
  readonly #topics = new TopicRegistry();
  readonly #hooks: Hooks<Data> | undefined;
  readonly #serverId = (nextServerId++).toString(36);
  #nextPeerId = 0;
  #httpServer: http.Server | https.Server | undefined;
  #ownsHttpServer = false;
  #detach: (() => void) | undefined;
  #state: 'running' | 'closing' | 'closed' = 'running';
  #closing: Promise<void> | undefined;

  constructor(options: ServerOptions<Data> = {}, onListening?: () => void) {
    super();
    if (options === null || typeof options !== 'object') {
      throw optionError('WebSocketServer expects an options object');
    }
    const modes = [
      options.port !== undefined,
      options.server !== undefined,
      options.noServer === true,
    ];
    if (modes.filter(Boolean).length !== 1) {
      throw optionError('WebSocketServer needs exactly one of: port, server, noServer: true');
    }
    if (
      options.path !== undefined &&
      (typeof options.path !== 'string' || !options.path.startsWith('/'))
    ) {
      throw optionError(`option path must start with '/', got ${String(options.path)}`);
    }
    if (
      options.port !== undefined &&
      (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)
    ) {
      // Node would take a string as a pipe path and create a socket file: refuse it.
      throw optionError(
        `option port must be an integer from 0 to 65535, got ${String(options.port)}`,
      );
    }
    if (options.host !== undefined && typeof options.host !== 'string') {
      throw optionError('option host must be a string');
    }
    if (options.tls !== undefined && (options.tls === null || typeof options.tls !== 'object')) {
      throw optionError('option tls must be an https.createServer options object');
    }
    if (options.tls !== undefined && options.port === undefined) {
      throw optionError('option tls needs port (standalone); attach to an https server instead');
    }
    if (
      options.server !== undefined &&
      (options.server === null || typeof (options.server as http.Server).on !== 'function')
    ) {
      throw optionError('option server must be an http.Server or https.Server');
    }
    if (
      options.hooks !== undefined &&
      (options.hooks === null || typeof options.hooks !== 'object')
    ) {
      throw optionError('option hooks must be an object of hook functions');
    }
    for (const name of HOOK_NAMES) {
      const hook = options.hooks?.[name];
      if (hook !== undefined && typeof hook !== 'function') {
        throw optionError(`hook ${name} must be a function, got ${typeof hook}`);
      }
    }
    if (options.selectProtocol !== undefined && typeof options.selectProtocol !== 'function') {
      throw optionError('option selectProtocol must be a function');
    }
    if (
      options.allowedOrigins !== undefined &&
      !Array.isArray(options.allowedOrigins) &&
      typeof options.allowedOrigins !== 'function'
    ) {
      throw optionError('option allowedOrigins must be an array of origins or a function');
    }
    this.options = options;
    this.#hooks = options.hooks;
    this.#connectionOptions = resolveConnectionOptions(options, DEFAULT_HEARTBEAT);
    this.#deflate = resolveDeflateOption(options.perMessageDeflate, false);
    if (this.#deflate !== undefined) validateDeflateOptions(this.#deflate);
    this.#handshakeTimeout = checkNonNegative(
      'handshakeTimeout',
      options.handshakeTimeout,
      DEFAULT_HANDSHAKE_TIMEOUT,
    );
    this.#monitor = createLivenessMonitor(this.#connectionOptions);

    if (options.port !== undefined) {
      // Node checks headersTimeout only every connectionsCheckingInterval (30 s by default):
      // check at least twice per handshake timeout so a trickled head is really cut off.
      const checking = {
        connectionsCheckingInterval: Math.max(
          100,
          Math.min(30_000, Math.ceil((this.#handshakeTimeout || 60_000) / 2)),
        ),
      };
      const server = options.tls
        ? https.createServer({ ...options.tls, ...checking }, respondUpgradeRequired)
        : http.createServer(checking, respondUpgradeRequired);
      // Slowloris: a client trickling its request head is cut off by the handshake timeout.
      server.headersTimeout = this.#handshakeTimeout || 60_000;
      server.requestTimeout = this.#handshakeTimeout || 300_000;
      this.#httpServer = server;
      this.#ownsHttpServer = true;
      this.#attach(server);
      server.listen(options.port, options.host, onListening);
    } else if (options.server !== undefined) {
      this.#httpServer = options.server;
      this.#attach(options.server);
    }
  }

  /** The bound address of a standalone or attached server. */
  address(): AddressInfo | string | null {
    if (this.#httpServer === undefined) {
      throw new WebSocketError('WS_ERR_INVALID_STATE', 'address(): the server is in noServer mode');
    }
    return this.#httpServer.address();
  }

  /** The port a standalone server listens on (handy with port 0). */
  get port(): number {
    const address = this.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** True when this server handles the request's path. */
  shouldHandle(request: http.IncomingMessage): boolean {
    if (this.options.path === undefined) return true;
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    return (query === -1 ? url : url.slice(0, query)) === this.options.path;
  }

  /**
   * Completes (or rejects) the WebSocket handshake on a socket from an http server's
   * 'upgrade' event, then calls `callback` with the open connection.
   */
  handleUpgrade(
    request: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback?: UpgradeCallback<Data>,
  ): void {
    socket.on('error', swallowHandshakeError);
    if (this.#state !== 'running') {
      writeReject(socket, { status: 503, body: 'The server is shutting down' });
      return;
    }
    const attempt: HandshakeAttempt = { timedOut: false };
    const timer =
      this.#handshakeTimeout > 0
        ? setTimeout(() => {
            // The 408 is the answer: whatever the upgrade hook returns later is ignored.
            attempt.timedOut = true;
            this.#emitServerError(
              new WebSocketError(
                'WS_ERR_HANDSHAKE_TIMEOUT',
                'the handshake did not complete in time',
              ),
            );
            writeReject(socket, { status: 408, body: 'Handshake timeout' });
          }, this.#handshakeTimeout)
        : undefined;
    timer?.unref();
    this.#upgrade(request, socket, head, attempt).then(
      (peer) => {
        if (timer !== undefined) clearTimeout(timer);
        if (peer === undefined) return;
        this.#open(peer, request, callback);
      },
      (error: unknown) => {
        if (timer !== undefined) clearTimeout(timer);
        this.#emitServerError(error);
        if (!attempt.timedOut) {
          writeReject(socket, error instanceof Error ? error : { status: 500 });
        }
      },
    );
  }

  /** Sends `data` to every peer subscribed to `topic`, framed once. Returns the count. */
  publish(topic: string, data: SendData, options?: SendOptions): number {
    return this.#topics.publish(topic, data, options);
  }

  subscriberCount(topic: string): number {
    return this.#topics.subscriberCount(topic);
  }

  /**
   * Graceful shutdown: stop accepting, send 1001 to every peer, wait for the closing
   * handshakes up to `timeout`, terminate what is left, then stop listening.
   */
  close(options: CloseServerOptions = {}, callback?: (error?: Error) => void): Promise<void> {
    if (this.#closing === undefined) this.#closing = this.#shutdown(options);
    if (callback) this.#closing.then(() => callback(), callback);
    return this.#closing;
  }

  async #shutdown(options: CloseServerOptions): Promise<void> {
    this.#state = 'closing';
    this.#detach?.();
    const code = options.code ?? CloseCode.GOING_AWAY;
    const reason = options.reason ?? 'server shutting down';
    const timeout = options.timeout ?? this.#connectionOptions.closeTimeout;
    const peers = [...this.clients];
    const closed = peers.map(
      (peer) =>
        new Promise<void>((resolve) => {
          if (peer.readyState === WebSocket.CLOSED) return resolve();
          peer.once('close', () => resolve());
          try {
            peer.close(code, reason);
          } catch {
            peer.terminate();
          }
        }),
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeout);
      }),
    ]);
    if (timer !== undefined) clearTimeout(timer);
    for (const peer of peers) peer.terminate();
    await Promise.all(closed);
    if (this.#ownsHttpServer && this.#httpServer !== undefined) {
      const server = this.#httpServer;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
    }
    this.#state = 'closed';
    this.emit('close');
  }

  // ---------------------------------------------------------------------------------------

  #attach(server: http.Server | https.Server): void {
    const router = routerFor(server);
    router.add(this as WebSocketServer<unknown>);
    const onListening = () => this.emit('listening');
    const onError = (error: Error) => this.emit('error', error);
    server.on('listening', onListening);
    server.on('error', onError);
    this.#detach = () => {
      router.remove(this as WebSocketServer<unknown>);
      server.off('listening', onListening);
      server.off('error', onError);
      if (this.#ownsHttpServer) server.close();
    };
  }

  async #upgrade(
    request: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    attempt: HandshakeAttempt,
  ): Promise<WebSocket<Data> | undefined> {
    // RFC 6455 §4.2.1: check the request; a malformed one gets 400/405/426 with a reason.
    let validated: ReturnType<typeof validateClientRequest>;
    try {
      validated = validateClientRequest({
        method: request.method ?? '',
        httpVersion: request.httpVersion,
        headers: NodeUpgradeRequest.headerPairs(request),
      });
    } catch (error) {
      writeReject(socket, error as Error);
      return undefined;
    }
    // RFC 6455 §10.2: the Origin header is how a server refuses pages it does not trust.
    if (!this.#originAllowed(validated.origin)) {
      writeReject(socket, { status: 403, body: 'Origin not allowed' });
      this.#emitServerError(
        new WebSocketError(
          'WS_ERR_ORIGIN_NOT_ALLOWED',
          `origin ${String(validated.origin)} is not allowed`,
          { status: 403 },
        ),
      );
      return undefined;
    }
    const upgradeRequest = new NodeUpgradeRequest(request, validated.protocols, validated.origin);

    let accept: UpgradeAccept<Data> = {};
    const hook = this.#hooks?.upgrade;
    if (hook !== undefined) {
      const result = await hook(upgradeRequest);
      if (isUpgradeReject(result)) {
        const reject = await rejectOptions(result);
        // Timed out meanwhile: the client already has its 408.
        if (!attempt.timedOut) writeReject(socket, reject);
        return undefined;
      }
      if (result !== undefined && result !== null) accept = result as UpgradeAccept<Data>;
    }
    // The hook may have taken a while: the client may be gone, answered with 408, or the
    // server shutting down (a peer opened now would miss the 1001 sent to the others).
    if (attempt.timedOut || socket.destroyed) return undefined;
    if (this.#state !== 'running') {
      writeReject(socket, { status: 503, body: 'The server is shutting down' });
      return undefined;
    }

    let protocol =
      accept.protocol ?? this.options.selectProtocol?.(validated.protocols, upgradeRequest) ?? '';
    if (protocol !== '' && !validated.protocols.includes(protocol)) {
      // RFC 6455 §4.2.2: the selected subprotocol must be one the client offered.
      throw new WebSocketError(
        'WS_ERR_INVALID_SUBPROTOCOL',
        `the selected subprotocol ${JSON.stringify(protocol)} was not offered by the client`,
      );
    }
    protocol ||= '';

    let deflate: { negotiated: NegotiatedDeflate; codec: PerMessageCodec } | undefined;
    const responseExtensions: ExtensionElement[] = [];
    if (this.#deflate !== undefined) {
      const negotiation = negotiateDeflate(validated.extensions, this.#deflate);
      if (negotiation !== undefined) {
        responseExtensions.push(negotiation.response);
        deflate = {
          negotiated: negotiation.negotiated,
          codec: createZlibCodec(
            {
              deflate: negotiation.negotiated.deflateParamsFor('server'),
              inflate: negotiation.negotiated.inflateParamsFor('server'),
            },
            this.#deflate,
          ),
        };
      }
    }

    const response = buildAcceptResponse({
      digest: nativeSha1,
      key: validated.key,
      protocol,
      extensions: responseExtensions,
      headers: accept.headers === undefined ? undefined : headersToPairs(accept.headers),
    });
    socket.removeListener('error', swallowHandshakeError);
    socket.write(response.toBytes());
    const extensions =
      response.headers.find(([name]) => name === 'Sec-WebSocket-Extensions')?.[1] ?? '';
    return new WebSocket<Data>({
      socket,
      head,
      role: 'server',
      url: upgradeRequest.url,
      protocol,
      extensions,
      deflate,
      options: this.#connectionOptions,
      monitor: this.#monitor,
      id: `${this.#serverId}-${(this.#nextPeerId++).toString(36)}`,
      data: accept.data as Data,
      request: upgradeRequest,
      hooks: this.#hooks,
      topics: this.#topics,
    });
  }

  #open(
    peer: WebSocket<Data>,
    request: http.IncomingMessage,
    callback: UpgradeCallback<Data> | undefined,
  ): void {
    if (this.options.clientTracking !== false) {
      this.clients.add(peer);
      peer.once('close', () => this.clients.delete(peer));
    }
    peer.runOpenHook();
    // As in ws: with a callback (noServer mode) the caller decides what to emit.
    if (callback !== undefined) callback(peer, request);
    else this.emit('connection', peer, request);
    // Listeners are in place: now read, including frames that came with the request.
    peer.start();
  }

  #originAllowed(origin: string | undefined): boolean {
    const policy = this.options.allowedOrigins;
    if (policy === undefined) return true;
    if (typeof policy === 'function') return policy(origin) === true;
    return origin !== undefined && policy.includes(origin);
  }

  #emitServerError(error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    // 'wsClientError' mirrors ws: handshake failures are reported, never thrown.
    if (this.listenerCount('wsClientError') > 0) this.emit('wsClientError', failure);
  }
}

/** One 'upgrade' listener per http server, dispatching to the WebSocketServer for the path. */
class UpgradeRouter {
  readonly #servers = new Set<WebSocketServer<unknown>>();
  readonly #httpServer: http.Server | https.Server;
  readonly #listener = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    for (const server of this.#servers) {
      if (server.shouldHandle(request)) {
        server.handleUpgrade(request, socket, head);
        return;
      }
    }
    // Nobody here wants it. If other code listens for upgrades too, leave the socket to it.
    if (this.#httpServer.listenerCount('upgrade') <= 1) {
      writeReject(socket, { status: 404, body: 'No WebSocket endpoint at this path' });
    }
  };

  constructor(httpServer: http.Server | https.Server) {
    this.#httpServer = httpServer;
  }

  add(server: WebSocketServer<unknown>): void {
    if (this.#servers.size === 0) this.#httpServer.on('upgrade', this.#listener);
    this.#servers.add(server);
  }

  remove(server: WebSocketServer<unknown>): void {
    this.#servers.delete(server);
    if (this.#servers.size === 0) {
      this.#httpServer.off('upgrade', this.#listener);
      routers.delete(this.#httpServer);
    }
  }
}

const routers = new WeakMap<http.Server | https.Server, UpgradeRouter>();

function routerFor(server: http.Server | https.Server): UpgradeRouter {
  let router = routers.get(server);
  if (router === undefined) {
    router = new UpgradeRouter(server);
    routers.set(server, router);
  }
  return router;
}

/** A plain HTTP request to a WebSocket-only server gets a clear answer, not a hang. */
function respondUpgradeRequired(
  _request: http.IncomingMessage,
  response: http.ServerResponse,
): void {
  const body =
    'This endpoint speaks WebSocket only (RFC 6455): send a GET with Upgrade: websocket.\n';
  response.writeHead(426, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Upgrade: 'websocket',
    Connection: 'Upgrade, close',
    'Sec-WebSocket-Version': '13',
  });
  response.end(body);
}

function swallowHandshakeError(): void {}

/** OpenSSL's SHA-1 for the accept key: cheaper per handshake than the core's portable one. */
function nativeSha1(data: Uint8Array): Uint8Array {
  return createHash('sha1').update(data).digest();
}

function writeReject(socket: Duplex, input: Error | RejectResponseOptions): void {
  if (socket.destroyed) return;
  try {
    const response = createRejectResponse(input);
    socket.end(response.toBytes());
  } catch {
    socket.end(
      'HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
    );
  }
  // Never keep a rejected socket around waiting for the client.
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/** The upgrade hook's rejection (a `{ status }` object or a WHATWG Response) as a response. */
async function rejectOptions(result: UpgradeReject | Response): Promise<RejectResponseOptions> {
  if (typeof Response !== 'undefined' && result instanceof Response) {
    const body = await result.text();
    const headers: Array<[string, string]> = [];
    result.headers.forEach((value, name) => {
      if (name !== 'content-length' && name !== 'connection' && name !== 'transfer-encoding') {
        headers.push([name, value]);
      }
    });
    return { status: result.status, statusText: result.statusText || undefined, headers, body };
  }
  const reject = result as UpgradeReject;
  return {
    status: reject.status,
    statusText: reject.statusText,
    headers: reject.headers === undefined ? undefined : headersToPairs(reject.headers),
    body: reject.body,
  };
}

function headersToPairs(init: HeadersLike): Array<[string, string]> {
  if (Array.isArray(init)) return init.map(([name, value]) => [String(name), String(value)]);
  if (
    typeof (init as Headers).forEach === 'function' &&
    typeof (init as Headers).get === 'function'
  ) {
    const pairs: Array<[string, string]> = [];
    (init as Headers).forEach((value, name) => {
      pairs.push([name, value]);
    });
    return pairs;
  }
  return Object.entries(init as Record<string, string>).map(([name, value]) => [
    name,
    String(value),
  ]);
}
