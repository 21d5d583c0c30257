import { type PerMessageDeflateOptions, validateDeflateOptions } from '@wskit/core';
import { deflateSettings, prefixedError } from '@wskit/server';
import type { LiveStreamPool } from './live-stream-pool.js';
import { isSyncMaxBytes, type ZlibCodecOptions } from './zlib-codec.js';

export type { ConnectionOptions, HeartbeatOptions } from '@wskit/server';

/** In front of every error this package throws about its options. */
export const NODE_PREFIX = '[@wskit/node]';

/** The keys of `perMessageDeflate` on Node: RFC 7692's parameters plus zlib's. */
const DEFLATE_KEYS = [
  'serverNoContextTakeover',
  'clientNoContextTakeover',
  'serverMaxWindowBits',
  'clientMaxWindowBits',
  'threshold',
  'zlibDeflateOptions',
  'zlibInflateOptions',
  'limiter',
  'streamPool',
  'syncMaxBytes',
] as const satisfies ReadonlyArray<keyof (PerMessageDeflateOptions & ZlibCodecOptions)>;

export type NodeDeflateOptions = PerMessageDeflateOptions & ZlibCodecOptions;

export function optionError(message: string) {
  return prefixedError(NODE_PREFIX, message);
}

/**
 * `perMessageDeflate`: `true` for the defaults, an object to configure, `false` to disable;
 * `fallback` when it is not given (servers: off, clients: offered). Unknown keys throw.
 */
export function resolveDeflateOption(
  value: boolean | NodeDeflateOptions | undefined,
  fallback: boolean,
): NodeDeflateOptions | undefined {
  const settings = deflateSettings<NodeDeflateOptions>(
    value ?? fallback,
    NODE_PREFIX,
    DEFLATE_KEYS,
  );
  if (settings !== undefined) {
    validateDeflateOptions(settings);
    // Checked here, not at the first compressed message: a wrong value would only fail then.
    if (settings.streamPool !== undefined && !isStreamPool(settings.streamPool)) {
      throw optionError(
        `option perMessageDeflate.streamPool must be a LiveStreamPool (new LiveStreamPool(capacity, idleMs)), got ${describeValue(settings.streamPool)}`,
      );
    }
    if (settings.syncMaxBytes !== undefined && !isSyncMaxBytes(settings.syncMaxBytes)) {
      throw optionError(
        `option perMessageDeflate.syncMaxBytes must be a non-negative integer or Infinity, got ${describeValue(settings.syncMaxBytes)}`,
      );
    }
  }
  return settings;
}

/**
 * By shape rather than `instanceof`: the ESM and CommonJS builds each have their own class, and
 * a pool made with one may reach a server made with the other.
 */
function isStreamPool(value: unknown): value is LiveStreamPool {
  const pool = value as Partial<LiveStreamPool> | null;
  return (
    typeof pool === 'object' &&
    pool !== null &&
    typeof pool.checkOut === 'function' &&
    typeof pool.checkIn === 'function' &&
    typeof pool.delete === 'function'
  );
}

function describeValue(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : String(value);
}
