import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type * as http2 from 'node:http2';
import * as https from 'node:https';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  buildAcceptResponse,
  buildH2AcceptResponse,
  createRejectResponse,
  type ExtensionElement,
  type NegotiatedDeflate,
  negotiateDeflate,
  type PerMessageCodec,
  type PreparedMessage,
  prepareServerMessage,
  type RejectResponseOptions,
  type SendData,
  type SendOptions,
  type ValidatedClientRequest,
  validateClientRequest,
  validateH2ClientRequest,
  WebSocketError,
} from '@wskit/core';
import {
  type CloseServerOptions,
  closeAllPeers,
  consoleReporter,
  decideUpgrade,
  decideUpgradeNow,
  defaultLivenessScheduler,
  HookDispatcher,
  LivenessMonitor,
  type OptionSpec,
  PeerIds,
  type ResolvedServerOptions,
  resolveServerOptions,
  type ServerOptions as SharedServerOptions,
  TopicRegistry,
  UPGRADE_REQUIRED,
  type UpgradeDecision,
  type UpgradePolicy,
} from '@wskit/server';
import { asBuffer, type DriverInit } from './driver.js';
import type { HeadRequest } from './head-request.js';
import {
  type AnyHttp2Server,
  createStandaloneHttp2Server,
  HTTP2_WEBSOCKET_SETTINGS,
  http2RequestSource,
  http2ResponseHeaders,
  http2RouterFor,
  isHttp2Server,
  respondHttp2Reject,
} from './http2-server.js';
import { nativeSha1 } from './native-sha1.js';
import {
  NODE_PREFIX,
  type NodeDeflateOptions,
  optionError,
  resolveDeflateOption,
} from './options.js';
import { StandaloneAcceptor } from './standalone.js';
import { NodeUpgradeRequest } from './upgrade-request.js';
import { type PeerContext, WebSocket, type WebSocketInit } from './websocket.js';
import { createZlibCodec } from './zlib-codec.js';

export type { CloseServerOptions, OriginPolicy } from '@wskit/server';

export interface ServerOptions<Data = unknown>
  extends Omit<SharedServerOptions<Data>, 'selectProtocol'> {
  /** Standalone: listen on this port (0 picks a free one). */
  port?: number;
  /** Standalone: the address to bind. Default: Node's default (all interfaces). */
  host?: string;
  /**
   * Standalone with TLS (wss): the usual `https.createServer` options (key, cert...); with
   * `http2: true`, `http2.createSecureServer`'s.
   */
  tls?: https.ServerOptions | http2.SecureServerOptions;
  /**
   * Standalone: an HTTP/2 server (RFC 8441 WebSockets as streams, SETTINGS_ENABLE_CONNECT_PROTOCOL
   * advertised). With `tls`, HTTP/1.1 upgrades work on the same port too (`allowHTTP1`);
   * without, it is h2c and HTTP/2 only. Default false.
   */
  http2?: boolean;
  /**
   * Attach to an existing http or https server, sharing its port with HTTP routes; or to an
   * `http2.createSecureServer` / `http2.createServer`, where WebSockets arrive as extended
   * CONNECT streams (RFC 8441) and, with `allowHTTP1`, as HTTP/1.1 upgrades as well.
   */
  server?: http.Server | https.Server | AnyHttp2Server;
  /** Neither listen nor attach: call `handleUpgrade` yourself (Express, Fastify, Hono). */
  noServer?: boolean;
  /** Only accept upgrades for this pathname (e.g. '/chat'). */
  path?: string;
  /** Standalone: the listen backlog (pending connections the kernel queues). Node's default. */
  backlog?: number;
  /** permessage-deflate (RFC 7692). Off by default; `true` for the defaults. */
  perMessageDeflate?: boolean | NodeDeflateOptions;
  /**
   * Picks a subprotocol from the client's offer when the upgrade hook did not. Default: none
   * is selected (RFC 6455 §4.2.2: the server may select none).
   */
  selectProtocol?: (
    protocols: readonly string[],
    request: NodeUpgradeRequest,
  ) => string | undefined;
}

/** How @wskit/node describes itself to the shared option resolver. */
const NODE_OPTION_SPEC: OptionSpec = {
  prefix: NODE_PREFIX,
  runtime: 'Node',
  extra: ['port', 'host', 'tls', 'http2', 'server', 'noServer', 'path', 'backlog'],
  unsupported: {
    hostname: 'the option is called host here',
    fetch: 'attach to your own http.Server (option server) and route plain requests there',
  },
};

/** One handshake in progress; the timeout marks it answered so a late hook result is dropped. */
interface HandshakeAttempt {
  timedOut: boolean;
}

/** What `#negotiateDeflate` agreed: the codec, if any, and the response's extensions. */
interface DeflateNegotiation {
  readonly deflate: { negotiated: NegotiatedDeflate; codec: PerMessageCodec } | undefined;
  readonly responseExtensions: readonly ExtensionElement[];
}

/** No permessage-deflate: shared by every such handshake, which then allocates nothing here. */
const NO_DEFLATE: DeflateNegotiation = Object.freeze({
  deflate: undefined,
  responseExtensions: Object.freeze([]),
});

type UpgradeCallback<Data> = (socket: WebSocket<Data>, request: http.IncomingMessage) => void;
/** `handleStream`'s callback: the open connection and the request view of its stream. */
export type StreamCallback<Data> = (socket: WebSocket<Data>, request: NodeUpgradeRequest) => void;

/** The events of a server, `ws`-style, for typed `on`/`once`/`off`. */
export interface WebSocketServerEvents<Data> {
  /** `emit('connection', ws, request, ...more)` passes extra arguments on, as in ws. */
  connection: [socket: WebSocket<Data>, request: http.IncomingMessage, ...rest: unknown[]];
  listening: [];
  error: [error: Error];
  close: [];
  /** A handshake failed or was refused (bad request, Origin, timeout): reported, not thrown. */
  wsClientError: [error: Error];
  /**
   * `ws`-style: the 101 response's lines (status line first) before they are written; push
   * `'Name: value'` strings to add headers.
   */
  headers: [headers: string[], request: http.IncomingMessage];
}

/**
 * A WebSocket server on Node: standalone, attached to an http/https server, or fed by
 * `handleUpgrade`. Offers the shared hooks API and an EventEmitter surface like `ws`'s.
 * Options, hook dispatch, the upgrade decision, topics, liveness and shutdown come from the
 * shared server layer (@wskit/server); this file maps them onto node:http sockets.
 */
export class WebSocketServer<Data = unknown> extends EventEmitter<WebSocketServerEvents<Data>> {
  readonly options: Readonly<ServerOptions<Data>>;
  readonly clients: Set<WebSocket<Data>> = new Set();
  readonly #resolved: ResolvedServerOptions<Data>;
  readonly #deflate: NodeDeflateOptions | undefined;
  readonly #monitor: LivenessMonitor;
  readonly #context: PeerContext<Data>;
  #httpServer: http.Server | https.Server | AnyHttp2Server | NetServer | undefined;
  /** A standalone plain-TCP server's own HTTP/1.1 front (standalone.ts). */
  #acceptor: StandaloneAcceptor | undefined;
  /** What every handshake's decision needs; one object per server. */
  readonly #policy: UpgradePolicy<Data>;
  readonly #accepting = (): boolean => this.#state === 'running';
  /** HTTP/2 sessions of a standalone `http2: true` server, for the GOAWAY at shutdown. */
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  #ownsHttpServer = false;
  #detach: (() => void) | undefined;
  #state: 'running' | 'closing' | 'closed' = 'running';
  #closing: Promise<void> | undefined;

  constructor(options: ServerOptions<Data> = {}, onListening?: () => void) {
    super();
    this.#resolved = resolveServerOptions(options as SharedServerOptions<Data>, NODE_OPTION_SPEC);
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
    if (
      options.backlog !== undefined &&
      (!Number.isInteger(options.backlog) || options.backlog < 0 || options.port === undefined)
    ) {
      throw optionError('option backlog must be a non-negative integer, with port (standalone)');
    }
    if (options.tls !== undefined && (options.tls === null || typeof options.tls !== 'object')) {
      throw optionError('option tls must be an https.createServer options object');
    }
    if (options.http2 !== undefined && typeof options.http2 !== 'boolean') {
      throw optionError('option http2 must be a boolean');
    }
    if (options.http2 === true && options.port === undefined) {
      throw optionError(
        'option http2 needs port (standalone); attach to an http2.createSecureServer instead',
      );
    }
    if (options.tls !== undefined && options.port === undefined) {
      throw optionError('option tls needs port (standalone); attach to an https server instead');
    }
    if (
      options.server !== undefined &&
      (options.server === null || typeof (options.server as http.Server).on !== 'function')
    ) {
      throw optionError(
        'option server must be an http.Server, https.Server or an HTTP/2 server (node:http2)',
      );
    }
    this.options = options;
    this.#deflate = resolveDeflateOption(options.perMessageDeflate, false);
    const print = consoleReporter(NODE_PREFIX);
    const dispatcher = new HookDispatcher(this.#resolved.hooks, print);
    this.#context = {
      dispatcher,
      ids: new PeerIds(),
      clients: this.#resolved.clientTracking ? this.clients : undefined,
      // With a broker, publishes from other processes arrive here and are framed once, as
      // local ones are; broker failures take the unhandled-error route (no peer to blame).
      topics: new TopicRegistry<WebSocket<unknown>, PreparedMessage>(prepareNodeMessage, {
        broker: this.#resolved.broker,
        reportError: (error) => dispatcher.unhandled('broker', error),
      }),
    };
    this.#monitor = new LivenessMonitor(this.#resolved, defaultLivenessScheduler);
    this.#policy = {
      allowedOrigins: this.#resolved.allowedOrigins,
      selectProtocol: this.#resolved.selectProtocol,
      dispatcher,
    };

    const handshakeTimeout = this.#resolved.handshakeTimeout;
    // A client that opens TCP and never finishes the TLS handshake is the same slowloris as one
    // that trickles its HTTP head: the same timeout cuts it off (Node's TLS default is 120 s).
    // An explicit tls.handshakeTimeout wins.
    const tlsOptions =
      options.tls === undefined
        ? undefined
        : { handshakeTimeout: handshakeTimeout || 120_000, ...options.tls };
    if (options.port !== undefined && options.http2 === true) {
      const server = createStandaloneHttp2Server(
        tlsOptions as http2.SecureServerOptions | undefined,
        respondUpgradeRequired,
      );
      server.on('session', (session: http2.ServerHttp2Session) => {
        this.#sessions.add(session);
        session.once('close', () => this.#sessions.delete(session));
      });
      this.#httpServer = server;
      this.#ownsHttpServer = true;
      this.#attach(server);
      server.listen(
        { port: options.port, host: options.host, backlog: options.backlog },
        onListening,
      );
    } else if (options.port !== undefined && tlsOptions === undefined) {
      // Plain TCP: our own HTTP/1.1 front on a net.Server (standalone.ts), no http.Server.
      const acceptor = new StandaloneAcceptor(
        {
          upgradeHead: (request, socket, rest) => this.#upgradeHead(request, socket, rest),
        },
        handshakeTimeout,
      );
      this.#acceptor = acceptor;
      this.#httpServer = acceptor.server;
      this.#ownsHttpServer = true;
      this.#attachListening(acceptor.server);
      acceptor.server.listen(
        { port: options.port, host: options.host, backlog: options.backlog },
        onListening,
      );
    } else if (options.port !== undefined) {
      // Node checks headersTimeout only every connectionsCheckingInterval (30 s by default):
      // check at least twice per handshake timeout so a trickled head is really cut off.
      const checking = {
        connectionsCheckingInterval: Math.max(
          100,
          Math.min(30_000, Math.ceil((handshakeTimeout || 60_000) / 2)),
        ),
      };
      const server = tlsOptions
        ? https.createServer({ ...tlsOptions, ...checking }, respondUpgradeRequired)
        : http.createServer(checking, respondUpgradeRequired);
      // Slowloris: a client trickling its request head is cut off by the handshake timeout.
      server.headersTimeout = handshakeTimeout || 60_000;
      server.requestTimeout = handshakeTimeout || 300_000;
      this.#httpServer = server;
      this.#ownsHttpServer = true;
      this.#attach(server);
      server.listen(
        { port: options.port, host: options.host, backlog: options.backlog },
        onListening,
      );
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
    return this.shouldHandlePath(request.url ?? '/');
  }

  /** True when this server handles a request for `path` (a request-target or `:path`). */
  shouldHandlePath(path: string): boolean {
    if (this.options.path === undefined) return true;
    const query = path.indexOf('?');
    return (query === -1 ? path : path.slice(0, query)) === this.options.path;
  }

  /**
   * Completes (or refuses) a WebSocket handshake on an HTTP/2 extended CONNECT stream (RFC
   * 8441) from an http2 server's 'stream' event, then calls `callback` with the open connection
   * (no callback: the server emits 'connection'). Attached and standalone servers call it
   * themselves; with `noServer`, call it for the streams whose headers have `:method` CONNECT and
   * `:protocol` websocket.
   */
  handleStream(
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    callback?: StreamCallback<Data>,
  ): void {
    stream.on('error', swallowHandshakeError);
    this.#handshake(
      (attempt) => this.#upgradeStream(stream, headers, attempt),
      (response) => respondHttp2Reject(stream, createRejectResponse(response)),
      (peer) => this.#openStream(peer, callback),
    );
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
    if (this.#context.dispatcher.hooks.upgrade === undefined) {
      // No upgrade hook: decided in this tick, with no promise, timer or closure per handshake.
      let peer: WebSocket<Data> | undefined;
      try {
        peer = this.#upgradeNow(request, socket, head);
      } catch (error) {
        this.#context.dispatcher.unhandled('upgrade', error);
        writeReject(socket, { status: 500 });
        return;
      }
      if (peer !== undefined) this.#open(peer, request, callback);
      return;
    }
    this.#handshake(
      (attempt) => this.#upgrade(request, socket, head, attempt),
      (response) => writeReject(socket, response),
      (peer) => this.#open(peer, request, callback),
    );
  }

  /**
   * What an HTTP/1.1 upgrade and an HTTP/2 stream share: the handshake timeout (408, and a
   * late hook result is dropped), then the peer opens, or a bug of ours answers 500 (the hooks'
   * own failures are decided in decideUpgrade) and goes to the log.
   */
  #handshake(
    upgrade: (attempt: HandshakeAttempt) => Promise<WebSocket<Data> | undefined>,
    refuse: (response: RejectResponseOptions) => void,
    open: (peer: WebSocket<Data>) => void,
  ): void {
    const attempt: HandshakeAttempt = { timedOut: false };
    const handshakeTimeout = this.#resolved.handshakeTimeout;
    const timer =
      handshakeTimeout > 0
        ? setTimeout(() => {
            attempt.timedOut = true;
            this.#emitClientError(
              new WebSocketError(
                'WS_ERR_HANDSHAKE_TIMEOUT',
                'the handshake did not complete in time',
              ),
            );
            refuse({ status: 408, body: 'Handshake timeout' });
          }, handshakeTimeout)
        : undefined;
    timer?.unref();
    upgrade(attempt).then(
      (peer) => {
        if (timer !== undefined) clearTimeout(timer);
        if (peer !== undefined) open(peer);
      },
      (error: unknown) => {
        if (timer !== undefined) clearTimeout(timer);
        this.#context.dispatcher.unhandled('upgrade', error);
        if (!attempt.timedOut) refuse({ status: 500 });
      },
    );
  }

  /**
   * Sends `data` to every peer subscribed to `topic`, framed once, then to the other servers
   * through the `broker` option. Returns the count of this server's subscribers reached.
   */
  publish(topic: string, data: SendData, _options?: SendOptions): number {
    return this.#context.topics.publish(topic, data);
  }

  subscriberCount(topic: string): number {
    return this.#context.topics.subscriberCount(topic);
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
    // Closing peers get nothing more, so remote publishes can stop now; the broker stays open
    // for whoever else uses it.
    this.#context.topics.detachBroker();
    await closeAllPeers(this.clients, options, this.#resolved.closeTimeout, whenClosed);
    // RFC 9113 §6.8: GOAWAY once the close frames went out; a session closes when its streams
    // have ended (the closing handshakes above ended the WebSocket streams).
    for (const session of this.#sessions) session.close();
    // A session still busy with other streams (a slow download) after closeTimeout is cut, as
    // the HTTP/1.1 connections are below.
    const sessionTimer =
      this.#sessions.size > 0
        ? setTimeout(() => {
            for (const session of this.#sessions) session.destroy();
          }, this.#resolved.closeTimeout)
        : undefined;
    sessionTimer?.unref();
    if (this.#ownsHttpServer && this.#httpServer !== undefined) {
      const server = this.#httpServer;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      (server as http.Server).closeAllConnections?.();
      this.#acceptor?.destroyReading();
      await closed;
    }
    if (sessionTimer !== undefined) clearTimeout(sessionTimer);
    this.#state = 'closed';
    this.emit('close');
  }

  // ---------------------------------------------------------------------------------------

  #attach(server: http.Server | https.Server | AnyHttp2Server): void {
    // An HTTP/2 server with allowHTTP1 emits 'upgrade' for HTTP/1.1 clients as http does.
    const router = routerFor(server as http.Server);
    router.add(this as WebSocketServer<unknown>);
    const http2Router = isHttp2Server(server) ? http2RouterFor(server) : undefined;
    if (http2Router !== undefined) {
      http2Router.add(this as WebSocketServer<unknown>);
      // Clients only open WebSockets as streams where the setting is advertised (RFC 8441 §3).
      (server as AnyHttp2Server).updateSettings(HTTP2_WEBSOCKET_SETTINGS);
    }
    const detachListening = this.#attachListening(server);
    this.#detach = () => {
      router.remove(this as WebSocketServer<unknown>);
      http2Router?.remove(this as WebSocketServer<unknown>);
      detachListening();
    };
  }

  /** 'listening' and 'error' of the server we listen or attach to; returns the detach. */
  #attachListening(server: NetServer): () => void {
    const onListening = () => this.emit('listening');
    const onError = (error: Error) => this.emit('error', error);
    server.on('listening', onListening);
    server.on('error', onError);
    const detach = () => {
      server.off('listening', onListening);
      server.off('error', onError);
      if (this.#ownsHttpServer) server.close();
    };
    this.#detach = detach;
    return detach;
  }

  /** A complete request head from the standalone acceptor, with an Upgrade header. */
  #upgradeHead(request: HeadRequest, socket: Socket, rest: Buffer): void {
    if (!this.shouldHandlePath(request.url)) {
      writeReject(socket, { status: 404, body: 'No WebSocket endpoint at this path' });
      return;
    }
    // As from an http server's 'upgrade' event: the request view stands in for the
    // IncomingMessage ('connection', 'headers', verifyClient and handleProtocols get it).
    this.handleUpgrade(request as unknown as http.IncomingMessage, socket, rest);
  }

  /** RFC 6455 §4.2.1: checks the request; a malformed one gets 400/405/426 with a reason. */
  #checkRequest(
    request: http.IncomingMessage,
    socket: Duplex,
  ): { validated: ValidatedClientRequest; upgradeRequest: NodeUpgradeRequest } | undefined {
    let validated: ValidatedClientRequest;
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
    const upgradeRequest = new NodeUpgradeRequest(request, validated.protocols, validated.origin);
    return { validated, upgradeRequest };
  }

  /** The handshake of a server without an upgrade hook, decided at once. */
  #upgradeNow(
    request: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): WebSocket<Data> | undefined {
    const checked = this.#checkRequest(request, socket);
    if (checked === undefined) return undefined;
    const decision = decideUpgradeNow(checked.upgradeRequest, this.#policy, this.#accepting);
    checked.upgradeRequest.releaseIncomingMessage();
    if (decision === undefined) throw new Error('decideUpgradeNow: the server has an upgrade hook');
    return this.#answerUpgrade(
      request,
      socket,
      head,
      checked.validated,
      checked.upgradeRequest,
      decision,
    );
  }

  async #upgrade(
    request: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    attempt: HandshakeAttempt,
  ): Promise<WebSocket<Data> | undefined> {
    const checked = this.#checkRequest(request, socket);
    if (checked === undefined) return undefined;
    const decision = await decideUpgrade(checked.upgradeRequest, this.#policy, this.#accepting);
    checked.upgradeRequest.releaseIncomingMessage();
    // Timed out meanwhile: the client already has its 408.
    if (attempt.timedOut) return undefined;
    return this.#answerUpgrade(
      request,
      socket,
      head,
      checked.validated,
      checked.upgradeRequest,
      decision,
    );
  }

  /** The decision made: the refusal, or the 101 and the peer. */
  #answerUpgrade(
    request: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    validated: ValidatedClientRequest,
    upgradeRequest: NodeUpgradeRequest,
    decision: UpgradeDecision<Data>,
  ): WebSocket<Data> | undefined {
    if (!decision.accepted) {
      writeRaw(socket, decision.response.toBytes());
      this.#emitClientError(decision.reason);
      return undefined;
    }
    // The hook may have taken a while: the client may be gone.
    if (socket.destroyed) return undefined;

    const { deflate, responseExtensions } = this.#negotiateDeflate(validated.extensions);
    const response = buildAcceptResponse({
      digest: nativeSha1,
      key: validated.key,
      protocol: decision.protocol,
      extensions: responseExtensions,
      headers: decision.headers,
    });
    socket.removeListener('error', swallowHandshakeError);
    if (this.listenerCount('headers') === 0) {
      // One character per byte: Node writes the string itself, with no Buffer made here.
      socket.write(response.toText(), 'latin1');
    } else {
      socket.write(this.#responseHead(response, request));
    }
    // Only a negotiated extension puts the header there (a hook's own one is refused).
    const extensions =
      deflate === undefined
        ? ''
        : (response.headers.find(([name]) => name === 'Sec-WebSocket-Extensions')?.[1] ?? '');
    return this.#acceptedPeer(socket, head, upgradeRequest, decision, extensions, deflate);
  }

  /** permessage-deflate (RFC 7692 §5): the response element and a codec, if agreed. */
  #negotiateDeflate(offered: readonly ExtensionElement[]): DeflateNegotiation {
    if (this.#deflate === undefined) return NO_DEFLATE;
    const negotiation = negotiateDeflate(offered, this.#deflate);
    if (negotiation === undefined) return NO_DEFLATE;
    const responseExtensions = [negotiation.response];
    const codec = createZlibCodec(
      {
        deflate: negotiation.negotiated.deflateParamsFor('server'),
        inflate: negotiation.negotiated.inflateParamsFor('server'),
      },
      this.#deflate,
    );
    return { deflate: { negotiated: negotiation.negotiated, codec }, responseExtensions };
  }

  /** The HTTP/2 twin of `#upgrade`: RFC 8441 §5 on a stream, the same decision and peer. */
  async #upgradeStream(
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    attempt: HandshakeAttempt,
  ): Promise<WebSocket<Data> | undefined> {
    let validated: ReturnType<typeof validateH2ClientRequest>;
    try {
      validated = validateH2ClientRequest(headers);
    } catch (error) {
      respondHttp2Reject(stream, createRejectResponse(error as Error));
      this.#emitClientError(error as Error);
      return undefined;
    }
    const upgradeRequest = new NodeUpgradeRequest(
      http2RequestSource(stream, headers, validated.url),
      validated.protocols,
      validated.origin,
    );
    const decision = await decideUpgrade(upgradeRequest, this.#policy, this.#accepting);
    if (attempt.timedOut) return undefined;
    if (!decision.accepted) {
      respondHttp2Reject(stream, decision.response);
      this.#emitClientError(decision.reason);
      return undefined;
    }
    // The hook may have taken a while: the client may have reset the stream.
    if (stream.destroyed || stream.closed) return undefined;
    const { deflate, responseExtensions } = this.#negotiateDeflate(validated.extensions);
    const response = buildH2AcceptResponse({
      protocol: decision.protocol,
      extensions: responseExtensions,
      headers: decision.headers,
    });
    try {
      // RFC 8441 §5: a 200 without END_STREAM; the stream now carries RFC 6455 frames.
      stream.respond(http2ResponseHeaders(response.status, response.headers));
    } catch {
      stream.destroy();
      return undefined;
    }
    stream.removeListener('error', swallowHandshakeError);
    const extensions =
      response.headers.find(([name]) => name === 'sec-websocket-extensions')?.[1] ?? '';
    return this.#acceptedPeer(stream, undefined, upgradeRequest, decision, extensions, deflate);
  }

  /** The peer of an accepted handshake, on an HTTP/1.1 socket or an HTTP/2 stream. */
  #acceptedPeer(
    socket: Duplex,
    head: Uint8Array | undefined,
    request: NodeUpgradeRequest,
    decision: Extract<UpgradeDecision<Data>, { accepted: true }>,
    extensions: string,
    deflate: DriverInit['deflate'],
  ): WebSocket<Data> {
    return this.createPeer({
      socket,
      head,
      role: 'server',
      // No url: the peer answers with request.url, which is built only when read.
      protocol: decision.protocol,
      extensions,
      deflate,
      options: this.#resolved,
      monitor: this.#monitor,
      id: this.#context.ids.next(),
      data: decision.data,
      request,
      context: this.#context,
    });
  }

  /**
   * Builds a peer for an accepted handshake. The ws-style server (`@wskit/node/ws`) builds its
   * own WebSocket class here.
   */
  protected createPeer(init: WebSocketInit<Data>): WebSocket<Data> {
    return new WebSocket<Data>(init);
  }

  /**
   * The 101 head after `ws`-style 'headers' listeners added lines; written as UTF-8, as ws
   * writes it.
   */
  #responseHead(
    response: ReturnType<typeof buildAcceptResponse>,
    request: http.IncomingMessage,
  ): string {
    const lines = [
      `HTTP/1.1 ${response.status} ${response.statusText}`,
      ...response.headers.map(([name, value]) => `${name}: ${value}`),
    ];
    this.emit('headers', lines, request);
    return `${lines.join('\r\n')}\r\n\r\n`;
  }

  #open(
    peer: WebSocket<Data>,
    request: http.IncomingMessage,
    callback: UpgradeCallback<Data> | undefined,
  ): void {
    // Leaves the set as it closes (WebSocket.onConnectionClosed, through the context).
    if (this.#resolved.clientTracking) this.clients.add(peer);
    peer.runOpenHook();
    // As in ws: with a callback (noServer mode) the caller decides what to emit.
    if (callback !== undefined) callback(peer, request);
    else this.emit('connection', peer, request);
    // Listeners are in place: now read, including frames that came with the request.
    peer.start();
  }

  #openStream(peer: WebSocket<Data>, callback: StreamCallback<Data> | undefined): void {
    // Leaves the set as it closes (WebSocket.onConnectionClosed, through the context).
    if (this.#resolved.clientTracking) this.clients.add(peer);
    peer.runOpenHook();
    const request = peer.request as NodeUpgradeRequest;
    // There is no IncomingMessage for a stream: the listener gets the request view.
    if (callback !== undefined) callback(peer, request);
    else this.emit('connection', peer, request as unknown as http.IncomingMessage);
    peer.start();
  }

  /** 'wsClientError' mirrors ws: handshake failures are reported, never thrown. */
  #emitClientError(error: Error): void {
    if (this.listenerCount('wsClientError') > 0) this.emit('wsClientError', error);
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
  request: http.IncomingMessage | http2.Http2ServerRequest,
  response: http.ServerResponse | http2.Http2ServerResponse,
): void {
  const length = String(Buffer.byteLength(UPGRADE_REQUIRED.body));
  if (request.httpVersion === '2.0') {
    // HTTP/2 forbids Upgrade and Connection (RFC 9113 §8.2.2): the status and body say it.
    response.writeHead(UPGRADE_REQUIRED.status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': length,
    });
    response.end(UPGRADE_REQUIRED.body);
    return;
  }
  (response as http.ServerResponse).writeHead(UPGRADE_REQUIRED.status, [
    ...UPGRADE_REQUIRED.headers.flat(),
    'Content-Length',
    length,
    'Connection',
    'Upgrade, close',
  ]);
  response.end(UPGRADE_REQUIRED.body);
}

function swallowHandshakeError(): void {}

/**
 * A publish framed once, its chunks as Node Buffers: `socket.write` would otherwise wrap a plain
 * Uint8Array in a new Buffer for every subscriber.
 */
function prepareNodeMessage(payload: string | Uint8Array): PreparedMessage {
  const message = prepareServerMessage(payload);
  const chunks = message.chunks;
  for (let i = 0; i < chunks.length; i++) chunks[i] = asBuffer(chunks[i] as Uint8Array);
  return message;
}

function writeReject(socket: Duplex, input: Error | RejectResponseOptions): void {
  writeRaw(socket, createRejectResponse(input).toBytes());
}

/** Ends a socket with a rejection response, then drops it if the client lingers. */
function writeRaw(socket: Duplex, response: Uint8Array): void {
  if (socket.destroyed) return;
  socket.end(response);
  // Never keep a rejected socket around waiting for the client.
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/** Resolves once a peer reported its close (for the graceful shutdown). */
function whenClosed(peer: WebSocket<unknown>): Promise<void> {
  if (peer.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => peer.once('close', () => resolve()));
}
