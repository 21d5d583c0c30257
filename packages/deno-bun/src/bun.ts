/**
 * @wskit/deno-bun/bun: the shared server API over `Bun.serve`'s native WebSockets (uWebSockets
 * underneath). Bun calls one `websocket` handler object for every connection of a server, so
 * the adapter is that object plus an upgrade helper for your `fetch`.
 *
 * Sections, in the same order as deno.ts: native shapes, options, adapter, peer, serve.
 */
import {
  type CloseDetails,
  messageFrom,
  type Peer,
  PeerState,
  type SendData,
  type SendOptions,
  WebSocketError,
} from '@wskit/core';
import {
  type CloseServerOptions,
  checkTopic,
  closeAllPeers,
  consoleReporter,
  defaultLivenessScheduler,
  HookDispatcher,
  LivenessMonitor,
  type Monitored,
  PeerIds,
  payloadLength,
  TopicRegistry,
  toPayload,
  type UpgradePolicy,
} from '@wskit/server';
import { assertRuntime, PREFIX } from './shared/errors.js';
import { type AdapterOptions, type ResolvedOptions, resolveOptions } from './shared/options.js';
import { type AdapterContext, BasePeer, type PeerInit } from './shared/peer.js';
import { type ListenOptions, serverHandle, splitServeOptions } from './shared/serve.js';
import type { AdapterControls, ServerHandle } from './shared/types.js';
import {
  decideWebSocketUpgrade,
  isWebSocketRequest,
  type RequestDecision,
  upgradePolicy,
  upgradeRequired,
} from './shared/upgrade.js';

// --- Native shapes -----------------------------------------------------------------------
// The few members of Bun's API this file uses, declared here so the published types need no
// bun-types. Structural: Bun's own objects satisfy them.

export interface BunServerWebSocket<T = unknown> {
  readonly data: T;
  readonly readyState: number;
  send(data: string | Uint8Array, compress?: boolean): number;
  ping(data?: string | Uint8Array): number;
  close(code?: number, reason?: string): void;
  terminate(): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  publish(topic: string, data: string | Uint8Array, compress?: boolean): number;
  getBufferedAmount(): number;
}

export interface BunServer {
  readonly port: number;
  readonly hostname: string;
  upgrade(request: Request, options?: { data?: unknown; headers?: Headers }): boolean;
  requestIP(request: Request): { readonly address: string } | null;
  publish(topic: string, data: string | Uint8Array, compress?: boolean): number;
  subscriberCount?(topic: string): number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}

/** The `websocket` option of `Bun.serve`, as this adapter fills it in. */
export interface BunWebSocketHandler {
  open(ws: BunServerWebSocket<ConnectionData>): void;
  message(ws: BunServerWebSocket<ConnectionData>, message: string | Uint8Array): void;
  close(ws: BunServerWebSocket<ConnectionData>, code: number, reason: string): void;
  drain(ws: BunServerWebSocket<ConnectionData>): void;
  ping(ws: BunServerWebSocket<ConnectionData>, data: Uint8Array): void;
  pong(ws: BunServerWebSocket<ConnectionData>, data: Uint8Array): void;
  maxPayloadLength: number;
  backpressureLimit: number;
  closeOnBackpressureLimit: boolean;
  idleTimeout: number;
  sendPings: boolean;
  publishToSelf: boolean;
  perMessageDeflate: boolean;
}

/**
 * What `server.upgrade` stores in `ws.data`: the adapter's peer itself, made when the upgrade
 * is accepted and attached to its socket when Bun opens it. Opaque to applications. One object
 * per connection rather than a holder of the handshake's outcome and then of the peer: at
 * 10,000 idle connections every object counts (packages/bench, runtimes.mjs, idle memory).
 */
export type ConnectionData = object;

interface BunGlobal {
  serve(options: {
    port?: number;
    hostname?: string;
    fetch(
      request: Request,
      server: BunServer,
    ): Response | undefined | Promise<Response | undefined>;
    websocket: BunWebSocketHandler;
  }): BunServer;
}

// --- Options -------------------------------------------------------------------------------

/** Bun's limits are unsigned 32-bit integers; `Infinity` means "as large as Bun allows". */
const BUN_MAX_LIMIT = 2 ** 32 - 1;
/**
 * What Bun answers to a permessage-deflate offer with `perMessageDeflate: true` (its shared
 * compressor: no context takeover either way). Bun does not expose the negotiated header, so
 * peer.extensions reports this when the client offered the extension.
 */
const BUN_DEFLATE_RESPONSE =
  'permessage-deflate; client_no_context_takeover; server_no_context_takeover';

export interface BunAdapterOptions<Data = unknown> extends AdapterOptions<Data> {}

// --- Adapter -------------------------------------------------------------------------------

export interface BunAdapter<Data = unknown> extends AdapterControls<Data> {
  /** Pass as `Bun.serve({ websocket })`. */
  readonly websocket: BunWebSocketHandler;
  /**
   * Call from your `fetch` for WebSocket requests and return its result: `undefined` once
   * Bun took over the connection (Bun wants no Response then), or the rejection Response.
   */
  handleUpgrade(
    request: Request,
    server: BunServer,
  ): Response | undefined | Promise<Response | undefined>;
}

/**
 * The upgrade helper, to mount the shared hooks beside other routes in your own `Bun.serve`:
 *
 * ```ts
 * const ws = createAdapter({ hooks });
 * Bun.serve({
 *   fetch: (request, server) =>
 *     new URL(request.url).pathname === '/ws' ? ws.handleUpgrade(request, server) : app.fetch(request),
 *   websocket: ws.websocket,
 * });
 * ```
 */
export function createAdapter<Data = unknown>(
  options: BunAdapterOptions<Data> = {},
): BunAdapter<Data> {
  assertRuntime('Bun', '@wskit/deno-bun/bun createAdapter()');
  return new BunAdapterImpl<Data>(resolveOptions(options, { runtime: 'Bun' }));
}

class BunAdapterImpl<Data> implements BunAdapter<Data> {
  readonly peers = new Set<BunPeer<Data>>();
  readonly websocket: BunWebSocketHandler;
  readonly options: ResolvedOptions<Data>;
  readonly monitor: LivenessMonitor;
  /** Bun publishes natively; the registry keeps each peer's topic set and the counts. */
  readonly context: AdapterContext<Data, string | Uint8Array>;
  /** The server of the latest upgrade: Bun's server-wide publish needs it. */
  #server: BunServer | undefined;
  readonly #policy: UpgradePolicy<Data>;
  #accepting = true;
  readonly #isAccepting = () => this.#accepting;

  constructor(options: ResolvedOptions<Data>) {
    this.options = options;
    this.monitor = new LivenessMonitor(options, defaultLivenessScheduler);
    const dispatcher = new HookDispatcher(options.hooks, consoleReporter(PREFIX));
    this.#policy = upgradePolicy(options, dispatcher);
    this.context = {
      ids: new PeerIds(),
      dispatcher,
      topics: new TopicRegistry<BunPeer<Data>, string | Uint8Array>((payload) => payload, {
        broker: options.broker,
        reportError: (error) => dispatcher.unhandled('broker', error),
        // The subscribers live in Bun's native pub/sub: a publish from another process goes
        // through it too (framed once in C++). Before the first upgrade there is no server,
        // and so no subscriber to reach.
        deliverRemote: (topic, payload) =>
          this.#server?.publish(topic, payload, this.shouldCompress(payload, undefined)),
      }),
    };
    const peerOf = (ws: BunServerWebSocket<ConnectionData>) => ws.data as BunPeer<Data>;
    this.websocket = {
      // Bun's limit closes an oversized message with 1009 before we see it.
      maxPayloadLength: Math.min(options.maxMessageSize, BUN_MAX_LIMIT),
      // Past maxBufferedAmount Bun drops the message (send returns 0) and closes the socket;
      // BunPeer.send turns the 0 into a WS_ERR_SEND_BUFFER_FULL error, as @wskit/node does.
      backpressureLimit: Math.min(options.maxBufferedAmount, BUN_MAX_LIMIT),
      closeOnBackpressureLimit: Number.isFinite(options.maxBufferedAmount),
      // uWebSockets' own idle timer works in whole seconds and pings at a fixed 4-16 s margin
      // before it fires, which cannot express { interval, timeout } in ms; its default (120 s)
      // would also close quiet peers with 1006. The LivenessMonitor does both jobs instead,
      // with ws.ping() and the pong handler, so the semantics match @wskit/node's exactly.
      idleTimeout: 0,
      sendPings: false,
      // The shared API's peer.publish excludes the sender (as Bun's ws.publish does anyway).
      publishToSelf: false,
      perMessageDeflate: options.deflate !== undefined,
      open: (ws) => {
        const peer = peerOf(ws);
        peer.attach(ws);
        this.peers.add(peer);
        this.monitor.add(peer);
        peer.dispatchOpen();
      },
      message: (ws, message) => {
        const peer = peerOf(ws);
        peer.received = true;
        // Bun hands text as a string and binary as a Buffer (a Uint8Array).
        peer.dispatchMessage(messageFrom(message, typeof message !== 'string'));
      },
      // Bun answers pings itself; both control frames only prove the peer alive.
      ping: (ws) => {
        peerOf(ws).received = true;
      },
      pong: (ws) => {
        peerOf(ws).received = true;
      },
      drain: (ws) => peerOf(ws).onDrain(),
      close: (ws, code, reason) => {
        const peer = peerOf(ws);
        // Only a peer Bun opened is known here (and has a socket to report on).
        if (!this.peers.delete(peer)) return;
        this.monitor.delete(peer);
        peer.onClose(code, reason);
      },
    };
  }

  handleUpgrade(
    request: Request,
    server: BunServer,
  ): Response | undefined | Promise<Response | undefined> {
    if (!isWebSocketRequest(request)) return upgradeRequired();
    return this.upgradeWebSocketRequest(request, server);
  }

  /** @internal handleUpgrade for a request already known to ask for a WebSocket (serve()). */
  upgradeWebSocketRequest(
    request: Request,
    server: BunServer,
  ): Response | undefined | Promise<Response | undefined> {
    // Read the address before any await: it belongs to the request's socket.
    const remoteAddress = server.requestIP(request)?.address;
    const decision = decideWebSocketUpgrade(
      request,
      remoteAddress,
      this.#policy,
      this.#isAccepting,
    );
    // Without an upgrade hook the decision is already made: upgrade in this call, no promise.
    return decision instanceof Promise
      ? decision.then((decided) => this.#answer(request, server, decided))
      : this.#answer(request, server, decision);
  }

  /** The decision made: the refusal, or Bun's upgrade with the peer's data. */
  #answer(
    request: Request,
    server: BunServer,
    decision: RequestDecision<Data>,
  ): Response | undefined {
    if (!decision.accepted) return decision.response;
    // decision.headers is already a copy of its own: extend it, and make none when there is
    // nothing to add (the common case: one native Headers less per handshake).
    let headers = decision.headers;
    if (decision.protocol !== '') {
      headers ??= new Headers();
      headers.set('sec-websocket-protocol', decision.protocol);
    } else if (decision.request.protocols.length > 0) {
      // With no Sec-WebSocket-Protocol in the response headers Bun echoes the client's first
      // offer (oven-sh/bun#18243). The shared API selects none by default (RFC 6455 §4.2.2
      // allows it), so the offer is removed from the request Bun reads.
      request.headers.delete('sec-websocket-protocol');
    }
    const peer = new BunPeer<Data>(
      {
        id: this.context.ids.next(),
        data: decision.data,
        request: decision.request,
        protocol: decision.protocol,
        extensions:
          this.options.deflate !== undefined && offersDeflate(request) ? BUN_DEFLATE_RESPONSE : '',
      },
      this,
    );
    this.#server = server;
    if (server.upgrade(request, { data: peer, headers })) return undefined;
    // Bun refused the handshake itself (a bad Sec-WebSocket-Key or version, say).
    return new Response('Bad WebSocket handshake', { status: 400 });
  }

  publish(topic: string, data: SendData, options?: SendOptions): number {
    checkTopic(topic, 'publish');
    const payload = toPayload(data, 'publish');
    const server = this.#server;
    // Bun's native pub/sub: the frame is built once in C++. With no upgrade yet there is no
    // local subscriber, but the other processes may have some.
    server?.publish(topic, payload, this.shouldCompress(payload, options));
    this.context.topics.forward(topic, payload);
    return server === undefined ? 0 : this.subscriberCount(topic);
  }

  subscriberCount(topic: string): number {
    return this.context.topics.subscriberCount(topic);
  }

  async close(options: CloseServerOptions = {}): Promise<void> {
    this.#accepting = false;
    // Closing peers get nothing more; the broker itself stays open for its other users.
    this.context.topics.detachBroker();
    await closeAllPeers(this.peers, options, this.options.closeTimeout, (peer) => peer.closed);
  }

  /** Compress when asked to, else by size; never when deflate is off (Bun would ignore it). */
  shouldCompress(payload: string | Uint8Array, options: SendOptions | undefined): boolean {
    const deflate = this.options.deflate;
    if (deflate === undefined) return false;
    return options?.compress ?? payloadLength(payload) >= deflate.threshold;
  }
}

/** The client offers permessage-deflate (RFC 7692 §5); read only when deflate is on. */
function offersDeflate(request: Request): boolean {
  return /permessage-deflate/i.test(request.headers.get('sec-websocket-extensions') ?? '');
}

// --- Peer ----------------------------------------------------------------------------------

class BunPeer<Data = unknown>
  extends BasePeer<Data, string | Uint8Array>
  implements Peer<Data>, Monitored
{
  /** Set by attach() when Bun opens the socket, before the application sees the peer. */
  #ws!: BunServerWebSocket<ConnectionData>;
  readonly #adapter: BunAdapterImpl<Data>;
  #backpressured = false;
  /** Set when we dropped the peer, so the close hook can say why. */
  #dropReason: WebSocketError | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Liveness (Monitored): a frame sets `received`; the monitor writes the times. */
  received = false;
  lastReceivedAt = 0;
  pingSentAt = 0;

  constructor(init: PeerInit<Data>, adapter: BunAdapterImpl<Data>) {
    super(init, adapter.context);
    this.#adapter = adapter;
  }

  /** @internal Bun opened the socket this peer was made for. */
  attach(ws: BunServerWebSocket<ConnectionData>): void {
    this.#ws = ws;
  }

  get bufferedAmount(): number {
    return this.state === PeerState.CLOSED ? 0 : this.#ws.getBufferedAmount();
  }

  send(data: SendData, options?: SendOptions): void {
    const payload = toPayload(data, 'send');
    if (this.state !== PeerState.OPEN) return;
    const result = this.#ws.send(payload, this.#adapter.shouldCompress(payload, options));
    // Bun: -1 = queued behind backpressure (drain follows), 0 = dropped, > 0 = bytes written.
    // An empty message writes 0 payload bytes and also returns 0: that 0 is not a drop.
    if (result === -1) this.#backpressured = true;
    else if (result === 0 && payloadLength(payload) > 0) this.#dropped();
  }

  ping(data?: SendData): void {
    const payload = data === undefined ? undefined : toPayload(data, 'ping');
    if (this.state === PeerState.OPEN) this.#ws.ping(payload);
  }

  close(code?: number, reason?: string): void {
    if (this.state !== PeerState.OPEN) return;
    this.state = PeerState.CLOSING;
    this.#ws.close(code, reason);
    // A peer that never answers the close frame is dropped after closeTimeout, as on Node.
    this.#closeTimer = setTimeout(() => this.#ws.terminate(), this.#adapter.options.closeTimeout);
    (this.#closeTimer as { unref?: () => void }).unref?.();
  }

  terminate(): void {
    if (this.state === PeerState.CLOSED) return;
    this.state = PeerState.CLOSING;
    this.#ws.terminate();
  }

  subscribe(topic: string): void {
    if (this.context.topics.subscribe(this, topic)) this.#ws.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    if (this.context.topics.unsubscribe(this, topic) && this.state !== PeerState.CLOSED) {
      this.#ws.unsubscribe(topic);
    }
  }

  publish(topic: string, data: SendData, options?: SendOptions): void {
    checkTopic(topic, 'publish');
    const payload = toPayload(data, 'publish');
    // Bun's native pub/sub: the frame is built once in C++ and excludes this socket. Once the
    // socket closed it has left its topics, so there is nothing to publish as.
    if (this.state === PeerState.CLOSED) return;
    this.#ws.publish(topic, payload, this.#adapter.shouldCompress(payload, options));
    this.context.topics.forward(topic, payload);
  }

  /** @internal Never called: Bun publishes natively (see publish). */
  deliverPublished(payload: string | Uint8Array): void {
    if (this.state === PeerState.OPEN) this.#ws.send(payload);
  }

  // Monitored: heartbeat and idle timeout (see the comment on idleTimeout above).

  sendHeartbeatPing(): void {
    if (this.state === PeerState.OPEN) this.#ws.ping();
  }

  onPongTimeout(): void {
    this.dispatchError(
      new WebSocketError('WS_ERR_PONG_TIMEOUT', 'no pong received within the heartbeat timeout'),
    );
    this.terminate();
  }

  onIdleTimeout(): void {
    if (this.state === PeerState.OPEN) this.close(1001, 'idle timeout');
  }

  /** @internal Bun's drain: the socket can take more after a send returned -1. */
  onDrain(): void {
    if (!this.#backpressured) return;
    this.#backpressured = false;
    this.dispatchDrain();
  }

  /** @internal */
  onClose(code: number, reason: string): void {
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    let details: CloseDetails = { code, reason, wasClean: code !== 1006 };
    // Bun sends 1009 to a client whose message passed maxPayloadLength but reports the
    // close to us as 1006 "Received too big message": report what went on the wire.
    if (code === 1006 && reason === 'Received too big message') {
      this.dispatchError(
        new WebSocketError(
          'WS_ERR_MESSAGE_TOO_BIG',
          `a message exceeded maxMessageSize (${this.#adapter.options.maxMessageSize} bytes)`,
          {
            closeCode: 1009,
          },
        ),
      );
      details = { code: 1009, reason, wasClean: false };
    } else if (this.#dropReason !== undefined) {
      details = { code: 1006, reason: '', wasClean: false };
    }
    this.dispatchClose(details);
  }

  #dropped(): void {
    // Bun dropped the message: the peer passed backpressureLimit (= maxBufferedAmount) and
    // Bun is closing it (closeOnBackpressureLimit).
    this.state = PeerState.CLOSING;
    this.#dropReason = new WebSocketError(
      'WS_ERR_SEND_BUFFER_FULL',
      `bufferedAmount passed maxBufferedAmount (${this.#adapter.options.maxBufferedAmount} bytes): the peer is not reading`,
      { closeCode: 1008 },
    );
    this.dispatchError(this.#dropReason);
    this.#ws.terminate();
  }
}

// --- serve -----------------------------------------------------------------------------------

export interface BunServeOptions<Data = unknown>
  extends BunAdapterOptions<Data>,
    ListenOptions<(request: Request, server: BunServer) => Response | Promise<Response>> {}

export interface BunServerHandle<Data = unknown> extends ServerHandle<Data> {
  /** The underlying `Bun.serve` server. */
  readonly server: BunServer;
}

/** `Bun.serve` with the shared hooks on every WebSocket request and `fetch` for the rest. */
export function serve<Data = unknown>(options: BunServeOptions<Data>): BunServerHandle<Data> {
  assertRuntime('Bun', '@wskit/deno-bun/bun serve()');
  const { listen, adapterOptions } = splitServeOptions(options, '(request, server) => Response');
  // The class itself rather than createAdapter's interface: its WebSocket requests are
  // checked once, here, not again in handleUpgrade.
  const adapter = new BunAdapterImpl<Data>(resolveOptions(adapterOptions, { runtime: 'Bun' }));
  const bun = (globalThis as unknown as { Bun: BunGlobal }).Bun;
  const fetch = listen.fetch;
  const server = bun.serve({
    port: listen.port ?? 0,
    hostname: listen.hostname,
    fetch(request, server) {
      if (isWebSocketRequest(request)) return adapter.upgradeWebSocketRequest(request, server);
      return fetch !== undefined ? fetch(request, server) : upgradeRequired();
    },
    websocket: adapter.websocket,
  });
  return serverHandle(server, server, adapter, {
    // stop(false) stops listening and leaves open connections (WebSockets included) alone.
    stopListening: () => server.stop(false),
    finish: () => server.stop(true),
  });
}
