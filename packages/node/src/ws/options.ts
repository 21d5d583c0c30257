import type * as tls from 'node:tls';
import { prefixedError } from '@wskit/server';
import type { ClientOptions } from '../client.js';
import { ConcurrencyLimiter } from '../concurrency-limiter.js';
import { NODE_PREFIX, type NodeDeflateOptions } from '../options.js';

/**
 * ws's option names on the ws surface: each is mapped to wskit's, refused with the reason when
 * wskit cannot honour it, or accepted as it is. What is left goes to the wskit resolver, which
 * refuses anything it does not know by name.
 */

/** ws's `perMessageDeflate` object: RFC 7692 parameters, zlib options and `concurrencyLimit`. */
export interface WsDeflateOptions extends NodeDeflateOptions {
  /** How many zlib jobs may run at once for this server or client. ws: 10, process-wide. */
  concurrencyLimit?: number;
}

/** Options both sides of the ws surface share. */
export interface WsCommonOptions {
  /** ws's name for `maxMessageSize`. Default here 32 MiB (ws: 100 MiB). */
  maxPayload?: number;
  /** Must stay false: text is always validated (RFC 6455 §8.1). */
  skipUTF8Validation?: boolean;
  /** Must stay true: pings are always answered (RFC 6455 §5.5.2). */
  autoPong?: boolean;
  /** Accepted: events are emitted synchronously as each message is parsed. */
  allowSynchronousEvents?: boolean;
  perMessageDeflate?: boolean | WsDeflateOptions;
}

/** ws's client options that wskit cannot honour, with the reason. */
const UNSUPPORTED_CLIENT: Readonly<Record<string, string>> = {
  agent:
    'wskit opens its own socket; for a proxy pass proxy (or HTTPS_PROXY), for TLS settings pass them as options',
  createConnection: 'wskit opens its own TCP or TLS socket',
  finishRequest: 'the handshake request is built by wskit; pass headers for extra headers',
  lookup: 'wskit uses the system resolver',
  localAddress: 'not supported by wskit',
  family: 'not supported by wskit',
  socketPath: 'not supported by wskit: connect to a TCP address',
};

/** TLS options ws passes through to https.request: here they go to `tls`. */
const TLS_KEYS = new Set([
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'rejectUnauthorized',
  'servername',
  'checkServerIdentity',
  'ciphers',
  'ecdhCurve',
  'minVersion',
  'maxVersion',
  'secureContext',
  'secureOptions',
  'secureProtocol',
  'crl',
  'sigalgs',
  'honorCipherOrder',
  'sessionIdContext',
]);

function refuse(message: string): never {
  throw prefixedError(NODE_PREFIX, message);
}

/** The switches ws has and wskit fixes, checked for both sides. */
function takeCommon(options: Record<string, unknown>, mapped: Record<string, unknown>): void {
  const { maxPayload, skipUTF8Validation, autoPong, allowSynchronousEvents, perMessageDeflate } =
    options;
  if (maxPayload !== undefined) {
    if (mapped.maxMessageSize !== undefined) {
      refuse('options maxPayload and maxMessageSize name the same limit: pass one');
    }
    mapped.maxMessageSize = maxPayload;
  }
  if (skipUTF8Validation === true) {
    refuse(
      'option skipUTF8Validation is not supported: text messages are always validated (RFC 6455 §8.1); send bytes as binary instead',
    );
  }
  if (autoPong === false) {
    refuse('option autoPong: false is not supported: pings are always answered (RFC 6455 §5.5.2)');
  }
  if (allowSynchronousEvents !== undefined && typeof allowSynchronousEvents !== 'boolean') {
    refuse('option allowSynchronousEvents must be a boolean');
  }
  if (perMessageDeflate !== undefined) mapped.perMessageDeflate = mapDeflate(perMessageDeflate);
}

const WS_COMMON = new Set([
  'maxPayload',
  'skipUTF8Validation',
  'autoPong',
  'allowSynchronousEvents',
  'perMessageDeflate',
]);

function mapDeflate(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const { concurrencyLimit, ...rest } = value as WsDeflateOptions;
  if (concurrencyLimit === undefined) return rest;
  if (!Number.isInteger(concurrencyLimit) || concurrencyLimit < 1) {
    refuse(
      `option perMessageDeflate.concurrencyLimit must be a positive integer, got ${String(concurrencyLimit)}`,
    );
  }
  if (rest.limiter !== undefined) {
    refuse('options perMessageDeflate.concurrencyLimit and .limiter both set the limit: pass one');
  }
  return { ...rest, limiter: new ConcurrencyLimiter(concurrencyLimit) };
}

/** ws client options (`new WebSocket(url, protocols, options)`) as wskit's ClientOptions. */
export function clientOptionsFromWs(
  options: Record<string, unknown> | undefined,
  protocols: string | readonly string[] | undefined,
): ClientOptions {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object') refuse('options must be an object');
  const mapped: Record<string, unknown> = {};
  const tlsOptions: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined || WS_COMMON.has(name)) continue;
    const why = UNSUPPORTED_CLIENT[name];
    if (why !== undefined) refuse(`option ${name} is not supported: ${why}`);
    if (TLS_KEYS.has(name)) tlsOptions[name] = value;
    else if (name === 'protocolVersion') {
      if (value !== 13)
        refuse(`option protocolVersion must be 13 (RFC 6455), got ${String(value)}`);
    } else mapped[name] = value;
  }
  takeCommon(options, mapped);
  if (Object.keys(tlsOptions).length > 0) {
    mapped.tls = { ...(mapped.tls as tls.ConnectionOptions | undefined), ...tlsOptions };
  }
  if (protocols !== undefined) {
    if (mapped.protocols !== undefined)
      refuse('protocols are given twice: as an argument and as an option');
    mapped.protocols = protocols;
  }
  return mapped as ClientOptions;
}

/** ws server options, less verifyClient/handleProtocols (the ws server handles them). */
export function serverOptionsFromWs(options: Record<string, unknown>): Record<string, unknown> {
  const mapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined || WS_COMMON.has(name)) continue;
    if (name === 'verifyClient' || name === 'handleProtocols' || name === 'WebSocket') continue;
    mapped[name] = value;
  }
  takeCommon(options, mapped);
  return mapped;
}
