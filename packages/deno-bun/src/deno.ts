/**
 * @wskit/deno-bun/deno: the shared server API over `Deno.serve` and `Deno.upgradeWebSocket`.
 * Deno hands out one WHATWG `WebSocket` per connection, so the adapter wires each socket's
 * events to the hooks and keeps what Deno lacks (pub/sub, drain) itself.
 *
 * Sections, in the same order as bun.ts: native shapes, options, adapter, peer, serve.
 */
import {
  messageFrom,
  type Peer,
  PeerState,
  type SendData,
  type SendOptions,
  WebSocketError,
} from '@wskit/core';
import {
  byteLengthOver,
  type CloseServerOptions,
  closeAllPeers,
  consoleReporter,
  HookDispatcher,
  PeerIds,
  TopicRegistry,
  toPayload,
  type UpgradePolicy,
} from '@wskit/server';
import { adapterError, assertRuntime, PREFIX } from './shared/errors.js';
import {
  type AdapterOptions,
  type HeartbeatOptions,
  type ResolvedOptions,
  resolveOptions,
} from './shared/options.js';
import { type AdapterContext, BasePeer, type PeerInit } from './shared/peer.js';
import { type Linked, PeerList } from './shared/peer-list.js';
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
// The few members of Deno's API this file uses, declared here so the published types need no
// Deno lib. Structural: Deno's own objects satisfy them.

export interface DenoServeHandlerInfo {
  readonly remoteAddr: { readonly hostname: string; readonly port: number };
}

interface DenoWebSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  binaryType: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: DenoEventType, listener: { handleEvent(event: DenoEvent): void }): void;
}

type DenoEventType = 'open' | 'message' | 'error' | 'close';

/** The events of Deno's WebSocket, as much of each as the adapter reads. */
interface DenoEvent {
  readonly type: string;
  /** message */
  readonly data?: unknown;
  /** error */
  readonly message?: string;
  /** close */
  readonly code?: number;
  readonly reason?: string;
  readonly wasClean?: boolean;
}

export interface DenoHttpServer {
  readonly addr: { readonly hostname: string; readonly port: number };
  shutdown(): Promise<void>;
  readonly finished: Promise<void>;
}

interface DenoGlobal {
  upgradeWebSocket(
    request: Request,
    options?: { protocol?: string; idleTimeout?: number },
  ): { socket: DenoWebSocket; response: Response };
  serve(
    options: { port?: number; hostname?: string; onListen?: (address: unknown) => void },
    handler: (request: Request, info: DenoServeHandlerInfo) => Response | Promise<Response>,
  ): DenoHttpServer;
}

const denoGlobal = () => (globalThis as unknown as { Deno: DenoGlobal }).Deno;

// --- Options -------------------------------------------------------------------------------

/**
 * Deno's own heartbeat (`upgradeWebSocket`'s idleTimeout, default 30 s): a ping after
 * idleTimeout/2 of silence, and a close (1001) when nothing arrives in the next half.
 */
const DEFAULT_HEARTBEAT = { interval: 15_000, timeout: 15_000 } as const;
/**
 * Deno has no drain event: once `bufferedAmount` passes this mark the peer counts as
 * backpressured, and `bufferedAmount` is polled until it is back to 0, which fires drain.
 */
const DRAIN_HIGH_WATER_MARK = 64 * 1024;
const DRAIN_POLL_INTERVAL = 10;

export interface DenoAdapterOptions<Data = unknown> extends AdapterOptions<Data> {}

/** Options Deno cannot honour at all, with the reason. */
const DENO_UNSUPPORTED: Readonly<Record<string, string>> = {
  idleTimeout:
    'Deno answers pings and pongs itself and never tells JavaScript, so a quiet peer cannot be told from a dead one; use heartbeat (Deno pings natively)',
};

function resolveDenoOptions<Data>(options: DenoAdapterOptions<Data>): ResolvedOptions<Data> {
  if (options !== null && typeof options === 'object') {
    if (options.perMessageDeflate !== undefined && options.perMessageDeflate !== false) {
      throw adapterError(
        'option perMessageDeflate is not supported on Deno: Deno.upgradeWebSocket does not negotiate permessage-deflate',
      );
    }
    // idleTimeout: 0 is "off", which Deno can honour.
    if (options.idleTimeout === 0) options = { ...options, idleTimeout: undefined };
    options = { ...options, heartbeat: equalHalves(options.heartbeat) };
  }
  const resolved = resolveOptions(options, {
    runtime: 'Deno',
    unsupported: DENO_UNSUPPORTED,
    heartbeat: DEFAULT_HEARTBEAT,
  });
  if (
    resolved.heartbeat !== undefined &&
    resolved.heartbeat.interval !== resolved.heartbeat.timeout
  ) {
    throw adapterError(
      `option heartbeat is not supported on Deno: Deno pings after idleTimeout/2 of silence and closes idleTimeout/2 later, so interval and timeout must be equal (got ${resolved.heartbeat.interval} and ${resolved.heartbeat.timeout})`,
    );
  }
  return resolved;
}

/** `{ interval: 10_000 }` alone means 10 s both ways on Deno, where the halves are equal. */
function equalHalves(
  heartbeat: HeartbeatOptions | false | undefined,
): HeartbeatOptions | false | undefined {
  if (heartbeat === null || typeof heartbeat !== 'object') return heartbeat;
  const { interval, timeout } = heartbeat;
  // Other keys stay, so a misspelt one is still refused by name.
  return { ...heartbeat, interval: interval ?? timeout, timeout: timeout ?? interval };
}

// --- Adapter -------------------------------------------------------------------------------

export interface DenoAdapter<Data = unknown> extends AdapterControls<Data> {
  /**
   * Call from your `Deno.serve` handler for WebSocket requests and return its Response: the
   * 101 that starts the connection, or the rejection.
   */
  handleUpgrade(request: Request, info?: DenoServeHandlerInfo): Response | Promise<Response>;
}

/**
 * The upgrade helper, to mount the shared hooks beside other routes in your own `Deno.serve`:
 *
 * ```ts
 * const ws = createAdapter({ hooks });
 * Deno.serve((request, info) =>
 *   new URL(request.url).pathname === '/ws' ? ws.handleUpgrade(request, info) : app.fetch(request));
 * ```
 */
export function createAdapter<Data = unknown>(
  options: DenoAdapterOptions<Data> = {},
): DenoAdapter<Data> {
  assertRuntime('Deno', '@wskit/deno-bun/deno createAdapter()');
  return new DenoAdapterImpl<Data>(resolveDenoOptions(options));
}

class DenoAdapterImpl<Data> implements DenoAdapter<Data> {
  /** A linked list, not a Set: see PeerList. */
  readonly peers = new PeerList<DenoPeer<Data>>();
  readonly options: ResolvedOptions<Data>;
  /** Deno has no pub/sub: topics live in the registry, and a publish converts its payload once. */
  readonly context: AdapterContext<Data, string | Uint8Array>;
  readonly #policy: UpgradePolicy<Data>;
  #accepting = true;
  readonly #isAccepting = () => this.#accepting;

  constructor(options: ResolvedOptions<Data>) {
    this.options = options;
    const dispatcher = new HookDispatcher(options.hooks, consoleReporter(PREFIX));
    this.#policy = upgradePolicy(options, dispatcher);
    this.context = {
      ids: new PeerIds(),
      dispatcher,
      topics: new TopicRegistry<DenoPeer<Data>, string | Uint8Array>((payload) => payload, {
        broker: options.broker,
        reportError: (error) => dispatcher.unhandled('broker', error),
      }),
    };
  }

  handleUpgrade(request: Request, info?: DenoServeHandlerInfo): Response | Promise<Response> {
    if (!isWebSocketRequest(request)) return upgradeRequired();
    return this.upgradeWebSocketRequest(request, info);
  }

  /** @internal handleUpgrade for a request already known to ask for a WebSocket (serve()). */
  upgradeWebSocketRequest(
    request: Request,
    info?: DenoServeHandlerInfo,
  ): Response | Promise<Response> {
    // Read the address first: after the upgrade Deno closes the request, and reading
    // info.remoteAddr then throws "Request closed".
    let remoteAddress: string | undefined;
    try {
      remoteAddress = info?.remoteAddr.hostname;
    } catch {}
    const decision = decideWebSocketUpgrade(
      request,
      remoteAddress,
      this.#policy,
      this.#isAccepting,
    );
    // Without an upgrade hook the decision is already made: answer in this call, no promise.
    return decision instanceof Promise
      ? decision.then((decided) => this.#answer(request, decided))
      : this.#answer(request, decision);
  }

  /** The decision made: the refusal, or the 101 from Deno and the peer behind it. */
  #answer(request: Request, decision: RequestDecision<Data>): Response {
    if (!decision.accepted) return decision.response;
    let upgrade: ReturnType<DenoGlobal['upgradeWebSocket']>;
    try {
      upgrade = denoGlobal().upgradeWebSocket(request, {
        // No `protocol` here: Deno checks it against the offer split on ", " only, so a legal
        // offer without the space ("chat.v1,chat.v2", as ws sends it) makes it throw. The
        // offer was parsed and the choice checked in decideUpgrade; the header is set below.
        // Deno's idleTimeout is a heartbeat in seconds; 0 turns it off (its default is 30).
        idleTimeout:
          this.options.heartbeat === undefined ? 0 : (this.options.heartbeat.interval * 2) / 1000,
      });
    } catch (error) {
      // Deno validates the handshake itself (key, version) and throws on a bad one.
      return new Response(`Bad WebSocket handshake: ${(error as Error).message}`, { status: 400 });
    }
    const { socket, response } = upgrade;
    if (decision.protocol !== '') response.headers.set('sec-websocket-protocol', decision.protocol);
    // Deno's upgradeWebSocket takes no headers (denoland/deno#19277), but the 101 Response it
    // returns has mutable headers: extra ones (Set-Cookie...) go there.
    decision.headers?.forEach((value, name) => {
      response.headers.append(name, value);
    });
    // Binary messages as ArrayBuffer, not Blob (the WHATWG default): no async read per message.
    socket.binaryType = 'arraybuffer';
    const peer = new DenoPeer<Data>(
      {
        id: this.context.ids.next(),
        data: decision.data,
        request: decision.request,
        protocol: decision.protocol,
        extensions: '',
      },
      socket,
      this,
    );
    // The peer is the listener of all four events (handleEvent): no closures per connection.
    socket.addEventListener('open', peer);
    socket.addEventListener('message', peer);
    socket.addEventListener('error', peer);
    socket.addEventListener('close', peer);
    return response;
  }

  publish(topic: string, data: SendData, _options?: SendOptions): number {
    return this.context.topics.publish(topic, data);
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
}

// --- Peer ----------------------------------------------------------------------------------

class DenoPeer<Data = unknown>
  extends BasePeer<Data, string | Uint8Array>
  implements Peer<Data>, Linked<DenoPeer<Data>>
{
  readonly #socket: DenoWebSocket;
  /** @internal The adapter's PeerList. */
  listPrev: DenoPeer<Data> | undefined = undefined;
  /** @internal */
  listNext: DenoPeer<Data> | undefined = undefined;
  /** @internal */
  listOwner: object | undefined = undefined;
  readonly #adapter: DenoAdapterImpl<Data>;
  #drainTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(init: PeerInit<Data>, socket: DenoWebSocket, adapter: DenoAdapterImpl<Data>) {
    super(init, adapter.context);
    this.#socket = socket;
    this.#adapter = adapter;
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  send(data: SendData, _options?: SendOptions): void {
    this.deliverPublished(toPayload(data, 'send'));
  }

  /** @internal Also the topic registry's entry point: the payload is already converted. */
  deliverPublished(payload: string | Uint8Array): void {
    if (this.state !== PeerState.OPEN) return;
    // The backlog before this message decides, as on Node and Bun: a peer is "not reading" when
    // old data piles up, not when one large message is queued at once.
    if (this.#socket.bufferedAmount > this.#adapter.options.maxBufferedAmount) {
      this.#dropSlowPeer();
      return;
    }
    this.#socket.send(payload);
    if (this.#socket.bufferedAmount >= DRAIN_HIGH_WATER_MARK && this.#drainTimer === undefined) {
      this.#pollDrain();
    }
  }

  ping(_data?: SendData): void {
    throw adapterError(
      "peer.ping() is not available on Deno: Deno's WebSocket cannot send pings (use the heartbeat option, which Deno runs natively)",
      'WS_ERR_INVALID_STATE',
    );
  }

  close(code?: number, reason?: string): void {
    if (this.state !== PeerState.OPEN) return;
    this.state = PeerState.CLOSING;
    this.#socket.close(code, reason);
  }

  /**
   * Deno exposes no way to drop a WebSocket's connection without a closing handshake: this
   * sends a close frame (1001) and stops delivering messages. See the README's runtime table.
   */
  terminate(): void {
    if (this.state === PeerState.CLOSED) return;
    const wasOpen = this.state === PeerState.OPEN;
    this.state = PeerState.CLOSING;
    if (wasOpen) this.#socket.close(1001, 'terminated');
  }

  subscribe(topic: string): void {
    this.context.topics.subscribe(this, topic);
  }

  unsubscribe(topic: string): void {
    this.context.topics.unsubscribe(this, topic);
  }

  publish(topic: string, data: SendData, _options?: SendOptions): void {
    this.context.topics.publish(topic, data, this);
  }

  /**
   * @internal The socket's listener for its four events (the DOM's EventListener object): one
   * object per connection for all of them, where four closures would be kept besides.
   */
  handleEvent(event: DenoEvent): void {
    switch (event.type) {
      case 'message':
        this.onMessage(event.data);
        return;
      case 'open':
        this.#adapter.peers.add(this);
        this.dispatchOpen();
        return;
      case 'error':
        this.onError(event.message);
        return;
      case 'close':
        // A connection that failed before it opened never reached the hooks.
        if (this.#adapter.peers.delete(this)) {
          this.dispatchClose({
            code: event.code as number,
            reason: event.reason as string,
            wasClean: event.wasClean as boolean,
          });
        }
        return;
    }
  }

  /** @internal */
  onMessage(data: unknown): void {
    // After close() or terminate() Deno may still deliver what was already read: drop it,
    // as @wskit/node does once the closing handshake began.
    if (this.state !== PeerState.OPEN) return;
    const payload = data as string | ArrayBuffer;
    const limit = this.#adapter.options.maxMessageSize;
    // Deno has no message size option (its own cap is 64 MiB): the limit is enforced here,
    // after Deno read the message, with the close code @wskit/node and Bun send.
    if (byteLengthOver(payload, limit)) {
      this.close(1009, 'message too big');
      this.dispatchError(
        new WebSocketError(
          'WS_ERR_MESSAGE_TOO_BIG',
          `a message exceeded maxMessageSize (${limit} bytes)`,
          {
            closeCode: 1009,
          },
        ),
      );
      return;
    }
    this.dispatchMessage(messageFrom(payload, typeof payload !== 'string'));
  }

  /** @internal */
  onError(message: string | undefined): void {
    // Deno's heartbeat reports a missing pong as an error event, then closes with 1001.
    const error =
      message === 'No response from ping frame.'
        ? new WebSocketError('WS_ERR_PONG_TIMEOUT', 'no pong received within the heartbeat timeout')
        : new WebSocketError('WS_ERR_CONNECTION_FAILED', message ?? 'WebSocket error');
    this.dispatchError(error);
  }

  #dropSlowPeer(): void {
    const limit = this.#adapter.options.maxBufferedAmount;
    // Closing first: the error hook must see a closing peer, not send into the full buffer.
    // Deno cannot drop the socket, so the close frame waits behind what is queued.
    this.close(1008, 'send buffer limit exceeded');
    this.dispatchError(
      new WebSocketError(
        'WS_ERR_SEND_BUFFER_FULL',
        `bufferedAmount passed maxBufferedAmount (${limit} bytes): the peer is not reading`,
        { closeCode: 1008 },
      ),
    );
  }

  #pollDrain(): void {
    this.#drainTimer = setTimeout(() => {
      this.#drainTimer = undefined;
      if (this.state === PeerState.CLOSED) return;
      if (this.#socket.bufferedAmount > 0) this.#pollDrain();
      else this.dispatchDrain();
    }, DRAIN_POLL_INTERVAL);
  }
}

// --- serve -----------------------------------------------------------------------------------

export interface DenoServeOptions<Data = unknown>
  extends DenoAdapterOptions<Data>,
    ListenOptions<(request: Request, info: DenoServeHandlerInfo) => Response | Promise<Response>> {}

export interface DenoServerHandle<Data = unknown> extends ServerHandle<Data> {
  /** The underlying `Deno.serve` server. */
  readonly server: DenoHttpServer;
}

/** `Deno.serve` with the shared hooks on every WebSocket request and `fetch` for the rest. */
export function serve<Data = unknown>(options: DenoServeOptions<Data>): DenoServerHandle<Data> {
  assertRuntime('Deno', '@wskit/deno-bun/deno serve()');
  const { listen, adapterOptions } = splitServeOptions(options, '(request, info) => Response');
  // The class itself rather than createAdapter's interface: its WebSocket requests are
  // checked once, here, not again in handleUpgrade.
  const adapter = new DenoAdapterImpl<Data>(resolveDenoOptions(adapterOptions));
  const fetch = listen.fetch;
  const server = denoGlobal().serve(
    // onListen replaces Deno's default "Listening on ..." line: a library prints nothing.
    { port: listen.port ?? 0, hostname: listen.hostname, onListen() {} },
    (request, info) => {
      if (isWebSocketRequest(request)) return adapter.upgradeWebSocketRequest(request, info);
      return fetch !== undefined ? fetch(request, info) : upgradeRequired();
    },
  );
  return serverHandle(server, server.addr, adapter, {
    // Deno has no way to stop listening alone: shutdown() also closes every WebSocket itself
    // (1001, without waiting for the peer), which would replace our close code and cut the
    // closing handshakes. So Deno listens until its peers have closed; meanwhile an upgrade
    // is refused (503) and other requests still reach `fetch`.
    stopListening: () => undefined,
    finish: () => server.shutdown(),
  });
}
