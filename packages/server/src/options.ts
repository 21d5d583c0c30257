import {
  DEFAULT_MAX_MESSAGE_SIZE,
  type Hooks,
  type UpgradeRequest,
  type WebSocketError,
} from '@wskit/core';
import { isTopicBroker, type TopicBroker } from './broker.js';
import { prefixedError } from './errors.js';
import { nearestName } from './suggest.js';

/**
 * The options every wskit server shares, their defaults and their validation: one definition
 * for @wskit/node, Bun and Deno, so the same options object means the same thing everywhere
 * and a wrong one fails the same way everywhere.
 */

/** Allowed `Origin` values (exact, e.g. 'https://example.com'), or a predicate. */
export type OriginPolicy = readonly string[] | ((origin: string | undefined) => boolean);

/** When to ping a quiet peer and how long to wait for its answer. */
export interface HeartbeatOptions {
  /** Ping after this many ms of silence from the peer. Default 30,000. */
  interval?: number;
  /** Drop the peer if nothing arrives this many ms after the ping. Default 10,000. */
  timeout?: number;
}

/** Limits and timers of one connection: server peers and Node clients alike. */
export interface ConnectionOptions {
  /** Largest message accepted, across all its fragments and after decompression. 32 MiB. */
  maxMessageSize?: number;
  /** Largest single frame accepted. Default: `maxMessageSize`. */
  maxFrameSize?: number;
  /**
   * Bytes queued for sending (`bufferedAmount`) past which the connection is closed with 1008
   * and dropped, so one slow reader cannot exhaust memory. Checked against what is already
   * queued when a message is sent: one message of any size goes out to a peer that keeps up.
   * 4 MiB on a server (many peers: bursts of a few MiB pass, 1,000 peers that stop reading
   * hold at most about 4 GiB, far less when they get published messages, which are shared),
   * 16 MiB on a client (one connection, its own sender). `Infinity` disables.
   */
  maxBufferedAmount?: number;
  /** How long to wait for the peer to finish the closing handshake, in ms. 5,000. `Infinity`: no limit. */
  closeTimeout?: number;
  /** Ping the peer after this many ms without traffic and drop it if no pong follows. */
  heartbeat?: HeartbeatOptions | false;
  /** Close the connection (1001) after this many ms without any received frame. 0 = off. */
  idleTimeout?: number;
}

/** The shared server options; each adapter adds its own (port, server, fetch...). */
export interface ServerOptions<Data = unknown> extends ConnectionOptions {
  /** The shared hooks API (upgrade, open, message, close, error, drain). */
  hooks?: Hooks<Data>;
  /**
   * Picks a subprotocol from the client's offer when the upgrade hook did not. Default: none
   * is selected (RFC 6455 §4.2.2: the server may select none).
   */
  selectProtocol?: (protocols: readonly string[], request: UpgradeRequest) => string | undefined;
  /**
   * Allowed `Origin` values, or a predicate. Requests from other origins get 403: the defence
   * against Cross-Site WebSocket Hijacking (RFC 6455 §10.2). Default: any origin.
   */
  allowedOrigins?: OriginPolicy;
  /**
   * Time allowed from the upgrade request to the 101, including the upgrade hook. 10 s.
   * 0 or `Infinity`: no limit of ours.
   */
  handshakeTimeout?: number;
  /** Keep the set of connected peers. Default true. */
  clientTracking?: boolean;
  /**
   * Carries `peer.publish` and `server.publish` to the servers of other processes and theirs
   * to this one (e.g. `createRedisBroker` from @wskit/redis). Default: `inProcessBroker`, this
   * server only. The server attaches on creation and detaches on close; closing the broker is
   * up to you.
   */
  broker?: TopicBroker;
}

/** `ConnectionOptions` checked, with every default applied. */
export interface ResolvedConnectionOptions {
  readonly maxMessageSize: number;
  readonly maxFrameSize: number;
  readonly maxBufferedAmount: number;
  readonly closeTimeout: number;
  readonly heartbeat: { readonly interval: number; readonly timeout: number } | undefined;
  readonly idleTimeout: number;
}

/** `ServerOptions` checked, with every default applied. */
export interface ResolvedServerOptions<Data> extends ResolvedConnectionOptions {
  readonly hooks: Hooks<Data>;
  /** See `ServerOptions.selectProtocol`. */
  readonly selectProtocol: ServerOptions<Data>['selectProtocol'];
  readonly allowedOrigins: OriginPolicy | undefined;
  readonly handshakeTimeout: number;
  readonly clientTracking: boolean;
  /** See `ServerOptions.broker`; undefined means no other process. */
  readonly broker: TopicBroker | undefined;
}

/** The defaults, defined here only: adapters, docs and tests import them. */
export const DEFAULTS = {
  maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
  /** Per server peer: a server has many, and each slow one may hold this much. */
  maxBufferedAmount: 4 * 1024 * 1024,
  /** Per client connection: one connection whose sender is the application itself. */
  clientMaxBufferedAmount: 16 * 1024 * 1024,
  closeTimeout: 5_000,
  handshakeTimeout: 10_000,
  heartbeat: { interval: 30_000, timeout: 10_000 },
  idleTimeout: 0,
} as const;

/** The hooks a server calls, by name (other keys in `hooks` are refused). */
export const HOOK_NAMES = ['upgrade', 'open', 'message', 'close', 'error', 'drain'] as const;

const CONNECTION_OPTION_NAMES = [
  'maxMessageSize',
  'maxFrameSize',
  'maxBufferedAmount',
  'closeTimeout',
  'heartbeat',
  'idleTimeout',
] as const;

/** Every shared server option name (perMessageDeflate is shared, its keys are per adapter). */
export const SERVER_OPTION_NAMES: readonly string[] = [
  'hooks',
  'selectProtocol',
  'allowedOrigins',
  'perMessageDeflate',
  'handshakeTimeout',
  'clientTracking',
  'broker',
  ...CONNECTION_OPTION_NAMES,
];

/**
 * Names other libraries use (ws, Bun/uWebSockets, socket.io), with what to write instead: a
 * program ported from them must fail loudly, not run with the option silently ignored.
 */
const FOREIGN_OPTION_NAMES: Readonly<Record<string, string>> = {
  maxPayload: "maxMessageSize (ws's maxPayload)",
  maxPayloadLength: "maxMessageSize (Bun's maxPayloadLength)",
  verifyClient:
    'the upgrade hook (hooks.upgrade): return { status: 401 } or a Response to refuse a request',
  handleProtocols: 'selectProtocol(protocols, request) (or return { protocol } from hooks.upgrade)',
  backpressureLimit: "maxBufferedAmount (Bun's backpressureLimit)",
  maxBackpressure: "maxBufferedAmount (uWebSockets' maxBackpressure)",
  closeOnBackpressureLimit: 'maxBufferedAmount: a peer past it is always closed with 1008',
  sendPings: 'heartbeat: { interval, timeout } (or heartbeat: false)',
  pingInterval: 'heartbeat: { interval }',
  pingTimeout: 'heartbeat: { timeout }',
  compression: 'perMessageDeflate',
  skipUTF8Validation:
    'nothing: text messages are always validated (RFC 6455 §8.1); send bytes as binary instead',
  autoPong: 'nothing: pings are always answered (RFC 6455 §5.5.2)',
  publishToSelf: 'nothing: peer.publish never sends to the publishing peer; use server.publish',
  adapter: "broker (socket.io's adapter): e.g. createRedisBroker() from @wskit/redis",
};

/** How one adapter describes itself to the resolver. */
export interface OptionSpec {
  /** Put in front of every message, e.g. '[@wskit/node]'. */
  readonly prefix: string;
  /** The runtime, for messages about options it cannot honour. */
  readonly runtime: string;
  /** The adapter's own option names (port, server, fetch...), validated by the adapter. */
  readonly extra?: readonly string[];
  /** Shared options this runtime cannot honour, each with the reason. */
  readonly unsupported?: Readonly<Record<string, string>>;
  /** Where a runtime's native behaviour fixes a default (Deno's heartbeat), say so here. */
  readonly defaults?: { readonly heartbeat?: { interval: number; timeout: number } };
}

/** What a connection gets for the options it leaves out: servers and clients differ. */
export interface ConnectionDefaults {
  readonly heartbeat: HeartbeatOptions | false;
  readonly maxBufferedAmount: number;
}

/**
 * Throws a `WS_ERR_INVALID_ARGUMENT` naming the first key of `object` that is not in `known`:
 * with the name another library uses for it, or the nearest known name ("did you mean").
 * `path` prefixes nested keys (`perMessageDeflate.`). Keys set to `undefined` are ignored.
 */
export function checkOptionNames(
  object: object,
  known: readonly string[],
  prefix: string,
  path = '',
  aliases: Readonly<Record<string, string>> = {},
): void {
  for (const name of Object.keys(object)) {
    if (known.includes(name) || (object as Record<string, unknown>)[name] === undefined) continue;
    throw unknownOption(prefix, `${path}${name}`, name, known, aliases);
  }
}

function unknownOption(
  prefix: string,
  fullName: string,
  name: string,
  known: readonly string[],
  aliases: Readonly<Record<string, string>>,
): WebSocketError {
  const foreign = Object.hasOwn(aliases, name) ? aliases[name] : FOREIGN_OPTION_NAMES[name];
  if (foreign !== undefined) {
    return prefixedError(prefix, `unknown option ${fullName}: use ${foreign}`);
  }
  const nearest = nearestName(name, known);
  const hint = nearest !== undefined ? `; did you mean ${nearest}?` : '';
  return prefixedError(prefix, `unknown option ${fullName}${hint}`);
}

/**
 * Validates a server's options and applies the defaults. Unknown names, options the runtime
 * cannot honour and wrong types all throw, naming the option. `perMessageDeflate` is left to
 * the adapter (its keys depend on the compressor) except that a runtime may refuse it.
 */
export function resolveServerOptions<Data>(
  options: ServerOptions<Data> | undefined,
  spec: OptionSpec,
): ResolvedServerOptions<Data> {
  const prefix = spec.prefix;
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object') {
    throw prefixedError(prefix, 'expected an options object');
  }
  const unsupported = spec.unsupported ?? {};
  const known = [...SERVER_OPTION_NAMES, ...(spec.extra ?? [])];
  for (const name of Object.keys(options)) {
    if ((options as Record<string, unknown>)[name] === undefined) continue;
    const why = unsupported[name];
    if (why !== undefined) {
      throw prefixedError(prefix, `option ${name} is not supported on ${spec.runtime}: ${why}`);
    }
  }
  checkOptionNames(options, known, prefix);

  const hooks = options.hooks ?? {};
  if (hooks === null || typeof hooks !== 'object') {
    throw prefixedError(prefix, 'option hooks must be an object of hook functions');
  }
  checkOptionNames(hooks, HOOK_NAMES, prefix, 'hooks.');
  for (const name of HOOK_NAMES) {
    const hook = hooks[name];
    if (hook !== undefined && typeof hook !== 'function') {
      throw prefixedError(prefix, `hook ${name} must be a function, got ${typeof hook}`);
    }
  }
  if (options.selectProtocol !== undefined && typeof options.selectProtocol !== 'function') {
    throw prefixedError(prefix, 'option selectProtocol must be a function');
  }
  const origins = options.allowedOrigins;
  if (origins !== undefined && !Array.isArray(origins) && typeof origins !== 'function') {
    throw prefixedError(prefix, 'option allowedOrigins must be an array of origins or a function');
  }
  if (options.clientTracking !== undefined && typeof options.clientTracking !== 'boolean') {
    throw prefixedError(prefix, 'option clientTracking must be a boolean');
  }
  if (options.broker !== undefined && !isTopicBroker(options.broker)) {
    throw prefixedError(
      prefix,
      'option broker must be a TopicBroker: an object with attach(deliver, reportError) (e.g. createRedisBroker() from @wskit/redis)',
    );
  }
  return {
    ...resolveConnectionOptions(options, prefix, {
      heartbeat: spec.defaults?.heartbeat ?? DEFAULTS.heartbeat,
      maxBufferedAmount: DEFAULTS.maxBufferedAmount,
    }),
    hooks,
    selectProtocol: options.selectProtocol,
    allowedOrigins: origins,
    handshakeTimeout: timeoutOption(
      prefix,
      'handshakeTimeout',
      options.handshakeTimeout,
      DEFAULTS.handshakeTimeout,
    ),
    clientTracking: options.clientTracking ?? true,
    broker: options.broker,
  };
}

/**
 * The limits and timers of one connection (`ConnectionOptions`), validated, with `defaults`
 * for what is left out (servers ping by default, clients do not; see DEFAULTS for the caps).
 */
export function resolveConnectionOptions(
  options: ConnectionOptions,
  prefix: string,
  defaults: ConnectionDefaults,
): ResolvedConnectionOptions {
  const heartbeatDefault = defaults.heartbeat;
  const maxMessageSize = nonNegative(
    prefix,
    'maxMessageSize',
    options.maxMessageSize,
    DEFAULTS.maxMessageSize,
  );
  const heartbeatOption = options.heartbeat === undefined ? heartbeatDefault : options.heartbeat;
  let heartbeat: ResolvedConnectionOptions['heartbeat'];
  if (heartbeatOption !== false) {
    if (heartbeatOption === null || typeof heartbeatOption !== 'object') {
      throw prefixedError(prefix, 'option heartbeat must be { interval, timeout } or false');
    }
    checkOptionNames(heartbeatOption, ['interval', 'timeout'], prefix, 'heartbeat.');
    const fallback = heartbeatDefault === false ? DEFAULTS.heartbeat : heartbeatDefault;
    heartbeat = {
      interval: positiveTimeout(
        prefix,
        'heartbeat.interval',
        heartbeatOption.interval,
        fallback.interval ?? DEFAULTS.heartbeat.interval,
      ),
      timeout: positiveTimeout(
        prefix,
        'heartbeat.timeout',
        heartbeatOption.timeout,
        fallback.timeout ?? DEFAULTS.heartbeat.timeout,
      ),
    };
  }
  return {
    maxMessageSize,
    maxFrameSize: nonNegative(prefix, 'maxFrameSize', options.maxFrameSize, maxMessageSize),
    maxBufferedAmount: nonNegative(
      prefix,
      'maxBufferedAmount',
      options.maxBufferedAmount,
      defaults.maxBufferedAmount,
    ),
    closeTimeout: timeoutOption(
      prefix,
      'closeTimeout',
      options.closeTimeout,
      DEFAULTS.closeTimeout,
    ),
    heartbeat,
    idleTimeout: timeoutOption(prefix, 'idleTimeout', options.idleTimeout, DEFAULTS.idleTimeout),
  };
}

/** The connection option names, for adapters (a client) that accept only these. */
export const CONNECTION_OPTIONS: readonly string[] = CONNECTION_OPTION_NAMES;

/**
 * The longest delay a timer can wait: runtimes count it in a signed 32-bit integer of ms and
 * fire a longer one at once (Node warns TimeoutOverflowWarning and waits 1 ms).
 */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/**
 * A time option in ms: a number >= 0 (`Infinity` for no limit), or `fallback` when absent;
 * throws naming it. Capped at MAX_TIMER_DELAY (24.8 days, which never comes in practice), so
 * that `Infinity` or a huge value waits instead of firing at once.
 */
export function timeoutOption(
  prefix: string,
  name: string,
  value: unknown,
  fallback: number,
): number {
  return Math.min(nonNegative(prefix, name, value, fallback), MAX_TIMER_DELAY);
}

/** An option that must be a number >= 0, or `fallback` when absent; throws naming it. */
export function nonNegative(
  prefix: string,
  name: string,
  value: unknown,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw prefixedError(
      prefix,
      `option ${name} must be a non-negative number, got ${String(value)}`,
    );
  }
  return value;
}

/** A time option (see timeoutOption) that must be greater than 0. */
function positiveTimeout(prefix: string, name: string, value: unknown, fallback: number): number {
  const result = timeoutOption(prefix, name, value, fallback);
  if (result === 0) throw prefixedError(prefix, `option ${name} must be greater than 0`);
  return result;
}

/** `perMessageDeflate: true` means the defaults, an object configures it, false/undefined off. */
export function deflateSettings<T extends object>(
  value: boolean | T | undefined,
  prefix: string,
  knownKeys: readonly string[],
): T | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {} as T;
  if (typeof value !== 'object' || value === null) {
    throw prefixedError(prefix, 'option perMessageDeflate must be a boolean or an options object');
  }
  checkOptionNames(value, knownKeys, prefix, 'perMessageDeflate.');
  return value;
}
