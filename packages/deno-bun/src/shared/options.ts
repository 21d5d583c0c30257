import { DEFAULT_DEFLATE_THRESHOLD } from '@wskit/core';
import {
  deflateSettings,
  nonNegative,
  prefixedError,
  type ResolvedServerOptions,
  resolveServerOptions,
  type ServerOptions,
} from '@wskit/server';
import { PREFIX, type RuntimeName } from './errors.js';

export type { HeartbeatOptions, OriginPolicy } from '@wskit/server';

/**
 * permessage-deflate as the runtime's own compressor does it. Only what every supported
 * runtime can honour is accepted; anything else throws (see the README's runtime table).
 */
export interface DeflateOptions {
  /** Messages of at least this many bytes are compressed unless `send` says otherwise. 1024. */
  threshold?: number;
}

/**
 * Options of the upgrade helper (`createAdapter`) and of `serve`: the shared server options
 * (@wskit/server, the same names, defaults and checks as @wskit/node) less those the native
 * runtimes cannot honour.
 */
export interface AdapterOptions<Data = unknown>
  extends Omit<
    ServerOptions<Data>,
    'maxFrameSize' | 'handshakeTimeout' | 'clientTracking' | 'perMessageDeflate'
  > {
  /** The runtime's permessage-deflate. Off by default. Bun only. */
  perMessageDeflate?: boolean | DeflateOptions;
}

export interface ResolvedOptions<Data> extends ResolvedServerOptions<Data> {
  readonly deflate: { readonly threshold: number } | undefined;
}

/**
 * Shared options and @wskit/node options that the native runtimes cannot honour, with the
 * reason. Passing a Node options object as is must fail loudly, not half-work.
 */
const NATIVE_UNSUPPORTED: Readonly<Record<string, string>> = {
  maxFrameSize: 'the runtime limits whole messages only (use maxMessageSize)',
  handshakeTimeout: 'the runtime answers the upgrade request itself',
  clientTracking: 'peers are always tracked (adapter.peers)',
  noServer: 'use createAdapter() and call handleUpgrade from your own fetch handler',
  server: 'use createAdapter() and call handleUpgrade from your own fetch handler',
  tls: "serve() has no TLS: pass your own TLS server's fetch handler to createAdapter()",
  host: 'the option is called hostname here',
  path: 'route by URL in your own fetch handler and call handleUpgrade there',
};

/** RFC 7692 parameters @wskit/node takes but a native compressor negotiates by itself. */
const NODE_DEFLATE_KEYS = [
  'serverNoContextTakeover',
  'clientNoContextTakeover',
  'serverMaxWindowBits',
  'clientMaxWindowBits',
  'zlibDeflateOptions',
  'zlibInflateOptions',
  'limiter',
];

export interface RuntimeOptionRules {
  readonly runtime: RuntimeName;
  /** The caller's own option names (serve's port, hostname, fetch). */
  readonly extra?: readonly string[];
  /** Options this runtime refuses on top of the native ones, with the reason. */
  readonly unsupported?: Readonly<Record<string, string>>;
  /** A default the runtime's native behaviour fixes (Deno's heartbeat). */
  readonly heartbeat?: { interval: number; timeout: number };
}

/** Validates the options through the shared layer, then the runtime's deflate settings. */
export function resolveOptions<Data>(
  options: AdapterOptions<Data> | undefined,
  rules: RuntimeOptionRules,
): ResolvedOptions<Data> {
  const resolved = resolveServerOptions(options as ServerOptions<Data> | undefined, {
    prefix: PREFIX,
    runtime: rules.runtime,
    extra: rules.extra,
    unsupported: { ...NATIVE_UNSUPPORTED, ...rules.unsupported },
    defaults: rules.heartbeat === undefined ? undefined : { heartbeat: rules.heartbeat },
  });
  const deflateOption = options?.perMessageDeflate;
  if (deflateOption !== null && typeof deflateOption === 'object') {
    for (const key of Object.keys(deflateOption)) {
      if (NODE_DEFLATE_KEYS.includes(key)) {
        throw prefixedError(
          PREFIX,
          `option perMessageDeflate.${key} is not supported on ${rules.runtime}: the runtime's compressor negotiates its own parameters; only threshold can be set`,
        );
      }
    }
  }
  const settings = deflateSettings<DeflateOptions>(deflateOption, PREFIX, ['threshold']);
  return {
    ...resolved,
    deflate:
      settings === undefined
        ? undefined
        : {
            threshold: nonNegative(
              PREFIX,
              'perMessageDeflate.threshold',
              settings.threshold,
              DEFAULT_DEFLATE_THRESHOLD,
            ),
          },
  };
}

/** serve()'s own options: port and hostname, checked the same way on every runtime. */
export function checkListenOptions(port: unknown, hostname: unknown): void {
  if (
    port !== undefined &&
    (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535)
  ) {
    throw prefixedError(
      PREFIX,
      `option port must be an integer from 0 to 65535, got ${String(port)}`,
    );
  }
  if (hostname !== undefined && typeof hostname !== 'string') {
    throw prefixedError(PREFIX, 'option hostname must be a string');
  }
}
