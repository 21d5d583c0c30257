import { DEFAULT_DEFLATE_THRESHOLD, type Hooks, type UpgradeRequest } from '@wskit/core';
import { adapterError, type RuntimeName, unsupportedOption } from './errors.js';

export type OriginPolicy = readonly string[] | ((origin: string | undefined) => boolean);

export interface HeartbeatOptions {
  /** Ping after this many ms of silence from the peer. */
  interval?: number;
  /** Drop the peer if nothing arrives this many ms after the ping. */
  timeout?: number;
}

/**
 * permessage-deflate as the runtime's own compressor does it. Only what every supported
 * runtime can honour is accepted; anything else throws (see the README's runtime table).
 */
export interface DeflateOptions {
  /** Messages of at least this many bytes are compressed unless `send` says otherwise. 1024. */
  threshold?: number;
}

/** Options of the upgrade helper (`createAdapter`) and of `serve`. */
export interface AdapterOptions<Data = unknown> {
  /** The shared hooks API (upgrade, open, message, close, error, drain). */
  hooks?: Hooks<Data>;
  /** Picks a subprotocol when the upgrade hook did not. Default: none is selected. */
  selectProtocol?: (protocols: readonly string[], request: UpgradeRequest) => string | undefined;
  /** Allowed `Origin` values or a predicate; other origins get 403. Default: any origin. */
  allowedOrigins?: OriginPolicy;
  /** The runtime's permessage-deflate. Off by default. Bun only. */
  perMessageDeflate?: boolean | DeflateOptions;
  /** Largest message accepted, in bytes; bigger ones close the connection with 1009. 32 MiB. */
  maxMessageSize?: number;
  /** Bytes queued for sending past which the peer is closed with 1008. 16 MiB. */
  maxBufferedAmount?: number;
  /** Ping idle peers and drop those that do not answer. `false` turns it off. */
  heartbeat?: HeartbeatOptions | false;
  /** Close the connection (1001) after this many ms without any received frame. Bun only. */
  idleTimeout?: number;
  /** How long `close()` waits for closing handshakes before dropping peers, in ms. 5,000. */
  closeTimeout?: number;
}

export interface ResolvedOptions<Data> {
  readonly hooks: Hooks<Data>;
  readonly selectProtocol: AdapterOptions<Data>['selectProtocol'];
  readonly allowedOrigins: OriginPolicy | undefined;
  readonly deflate: { readonly threshold: number } | undefined;
  readonly maxMessageSize: number;
  readonly maxBufferedAmount: number;
  readonly heartbeat: { readonly interval: number; readonly timeout: number } | undefined;
  readonly idleTimeout: number;
  readonly closeTimeout: number;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 32 * 1024 * 1024;
export const DEFAULT_MAX_BUFFERED_AMOUNT = 16 * 1024 * 1024;
export const DEFAULT_CLOSE_TIMEOUT = 5_000;

const ADAPTER_OPTION_NAMES = new Set([
  'hooks',
  'selectProtocol',
  'allowedOrigins',
  'perMessageDeflate',
  'maxMessageSize',
  'maxBufferedAmount',
  'heartbeat',
  'idleTimeout',
  'closeTimeout',
]);

/**
 * @wskit/node options that have no counterpart here, with the reason. Passing a Node options
 * object as is must fail loudly, not half-work.
 */
const NODE_ONLY_OPTIONS: Readonly<Record<string, string>> = {
  maxFrameSize: 'the runtime limits whole messages only (use maxMessageSize)',
  handshakeTimeout: 'the runtime answers the upgrade request itself',
  clientTracking: 'peers are always tracked (adapter.peers)',
  noServer: 'use createAdapter() and call handleUpgrade from your own fetch handler',
  server: 'use createAdapter() and call handleUpgrade from your own fetch handler',
  tls: "serve() has no TLS: pass your own TLS server's fetch handler to createAdapter()",
  host: 'the option is called hostname here',
};

const HOOK_NAMES = ['upgrade', 'open', 'message', 'close', 'error', 'drain'] as const;

/**
 * Validates the options every runtime shares and applies the defaults. `extra` names the
 * options of the caller (serve's port, hostname...), which are checked by the caller.
 */
export function resolveOptions<Data>(
  options: AdapterOptions<Data> | undefined,
  runtime: RuntimeName,
  defaultHeartbeat: { interval: number; timeout: number },
  extra: readonly string[] = [],
): ResolvedOptions<Data> {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object') {
    throw adapterError('expected an options object');
  }
  for (const name of Object.keys(options)) {
    if ((options as Record<string, unknown>)[name] === undefined) continue;
    if (ADAPTER_OPTION_NAMES.has(name) || extra.includes(name)) continue;
    const why = NODE_ONLY_OPTIONS[name];
    throw why !== undefined
      ? unsupportedOption(name, runtime, why)
      : adapterError(`unknown option ${name} (on ${runtime})`);
  }
  const hooks = options.hooks ?? {};
  if (hooks === null || typeof hooks !== 'object') {
    throw adapterError('option hooks must be an object of hook functions');
  }
  for (const name of HOOK_NAMES) {
    const hook = hooks[name];
    if (hook !== undefined && typeof hook !== 'function') {
      throw adapterError(`hook ${name} must be a function, got ${typeof hook}`);
    }
  }
  if (options.selectProtocol !== undefined && typeof options.selectProtocol !== 'function') {
    throw adapterError('option selectProtocol must be a function');
  }
  const origins = options.allowedOrigins;
  if (origins !== undefined && !Array.isArray(origins) && typeof origins !== 'function') {
    throw adapterError('option allowedOrigins must be an array of origins or a function');
  }

  let deflate: ResolvedOptions<Data>['deflate'];
  const deflateOption = options.perMessageDeflate ?? false;
  if (deflateOption !== false) {
    if (deflateOption !== true && (typeof deflateOption !== 'object' || deflateOption === null)) {
      throw adapterError('option perMessageDeflate must be a boolean or { threshold }');
    }
    const settings = deflateOption === true ? {} : deflateOption;
    for (const key of Object.keys(settings)) {
      if (key !== 'threshold') {
        throw unsupportedOption(
          `perMessageDeflate.${key}`,
          runtime,
          "the runtime's compressor negotiates its own parameters; only threshold can be set",
        );
      }
    }
    deflate = {
      threshold: nonNegative(
        'perMessageDeflate.threshold',
        settings.threshold,
        DEFAULT_DEFLATE_THRESHOLD,
      ),
    };
  }

  let heartbeat: ResolvedOptions<Data>['heartbeat'];
  const heartbeatOption = options.heartbeat ?? defaultHeartbeat;
  if (heartbeatOption !== false) {
    if (heartbeatOption === null || typeof heartbeatOption !== 'object') {
      throw adapterError('option heartbeat must be { interval, timeout } or false');
    }
    heartbeat = {
      interval: positive('heartbeat.interval', heartbeatOption.interval, defaultHeartbeat.interval),
      timeout: positive('heartbeat.timeout', heartbeatOption.timeout, defaultHeartbeat.timeout),
    };
  }

  return {
    hooks,
    selectProtocol: options.selectProtocol,
    allowedOrigins: origins,
    deflate,
    maxMessageSize: nonNegative('maxMessageSize', options.maxMessageSize, DEFAULT_MAX_MESSAGE_SIZE),
    maxBufferedAmount: nonNegative(
      'maxBufferedAmount',
      options.maxBufferedAmount,
      DEFAULT_MAX_BUFFERED_AMOUNT,
    ),
    heartbeat,
    idleTimeout: nonNegative('idleTimeout', options.idleTimeout, 0),
    closeTimeout: nonNegative('closeTimeout', options.closeTimeout, DEFAULT_CLOSE_TIMEOUT),
  };
}

export function nonNegative(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw adapterError(`option ${name} must be a non-negative number, got ${String(value)}`);
  }
  return value;
}

function positive(name: string, value: unknown, fallback: number): number {
  const result = nonNegative(name, value, fallback);
  if (result === 0) throw adapterError(`option ${name} must be greater than 0`);
  return result;
}

/** serve()'s own options: port and hostname, checked the same way on every runtime. */
export function checkListenOptions(port: unknown, hostname: unknown): void {
  if (
    port !== undefined &&
    (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535)
  ) {
    throw adapterError(`option port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  if (hostname !== undefined && typeof hostname !== 'string') {
    throw adapterError('option hostname must be a string');
  }
}
