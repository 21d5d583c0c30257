import { nearestName, prefixedError } from '@wskit/server';
import type { Redis, RedisOptions } from 'ioredis';

/** In front of every error this package throws or reports. */
export const PREFIX = '[@wskit/redis]';

/**
 * The members of an ioredis client the broker relies on: a `new Redis(...)` of yours fits.
 * Declared here so that the published types do not pull in ioredis's own (which need
 * `skipLibCheck` under strict settings).
 */
export interface RedisClient {
  /** A second connection with the same options: the broker subscribes on it. */
  duplicate(): unknown;
  /** PUBLISH: the broker sends its messages (as Buffers) through your client. */
  publish(channel: string, message: string): Promise<unknown>;
}

/** Options of {@link createRedisBroker}. */
export interface RedisBrokerOptions {
  /**
   * Where Redis is: `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. The
   * broker opens two connections (one publishes, one subscribes) and closes them in `close()`.
   * Give either `url` or `redis`.
   */
  url?: string;
  /**
   * An ioredis client of yours instead of `url`: it publishes, and a `duplicate()` of it
   * subscribes. `close()` closes the duplicate only; your client stays yours.
   */
  redis?: RedisClient;
  /**
   * More ioredis options (its `RedisOptions`) for the connections made from `url`:
   * `tls: { ca }` for a private CA, `retryStrategy`, `connectTimeout`... The URL's host, port,
   * credentials and db win.
   */
  redisOptions?: Readonly<Record<string, unknown>>;
  /** Put in front of each topic to make its channel name. Default `'wskit:'`. */
  channelPrefix?: string;
  /**
   * Connection errors (Redis down: one per reconnect attempt), failed publishes and messages
   * that are not ours. Default: the error routing of the attached servers (their console
   * reporter), or stderr while none is attached. Never thrown.
   */
  onError?: (error: Error) => void;
}

const OPTION_NAMES = ['url', 'redis', 'redisOptions', 'channelPrefix', 'onError'];

/** Names other Redis adapters use, with what to write here. */
const FOREIGN_NAMES: Readonly<Record<string, string>> = {
  pubClient: 'redis (the subscriber connection is duplicated from it)',
  subClient: 'redis (the subscriber connection is duplicated from it)',
  key: 'channelPrefix',
  prefix: 'channelPrefix',
  client: 'redis',
  host: 'url (redis://host:port)',
  port: 'url (redis://host:port)',
  password: 'url (redis://:password@host)',
  tls: 'url rediss://…, and redisOptions: { tls } for the certificate options',
};

/** What the broker needs, checked. */
export interface ResolvedRedisOptions {
  readonly connect: () => { publisher: Redis; subscriber: Redis; ownsPublisher: boolean };
  readonly channelPrefix: string;
  readonly onError: ((error: Error) => void) | undefined;
}

/** Validates the options; every mistake throws a TypeError-like WebSocketError naming it. */
export function resolveRedisOptions(
  options: RedisBrokerOptions | undefined,
  Client: new (url: string, options: RedisOptions) => Redis,
): ResolvedRedisOptions {
  if (options === null || typeof options !== 'object') {
    throw prefixedError(PREFIX, 'createRedisBroker expects an options object with url or redis');
  }
  for (const name of Object.keys(options)) {
    if (OPTION_NAMES.includes(name) || (options as Record<string, unknown>)[name] === undefined)
      continue;
    const foreign = FOREIGN_NAMES[name];
    if (foreign !== undefined)
      throw prefixedError(PREFIX, `unknown option ${name}: use ${foreign}`);
    const nearest = nearestName(name, OPTION_NAMES);
    throw prefixedError(
      PREFIX,
      `unknown option ${name}${nearest === undefined ? '' : `; did you mean ${nearest}?`}`,
    );
  }
  const { url, redis, redisOptions, channelPrefix = 'wskit:', onError } = options;
  if ((url === undefined) === (redis === undefined)) {
    throw prefixedError(
      PREFIX,
      'give exactly one of url (redis:// or rediss://) and redis (an ioredis client)',
    );
  }
  if (typeof channelPrefix !== 'string') {
    throw prefixedError(PREFIX, 'option channelPrefix must be a string');
  }
  if (onError !== undefined && typeof onError !== 'function') {
    throw prefixedError(PREFIX, 'option onError must be a function (error) => void');
  }
  if (redisOptions !== undefined && (redisOptions === null || typeof redisOptions !== 'object')) {
    throw prefixedError(PREFIX, 'option redisOptions must be an ioredis options object');
  }
  if (redis !== undefined) {
    if (redisOptions !== undefined) {
      throw prefixedError(
        PREFIX,
        'option redisOptions goes with url; configure your redis client instead',
      );
    }
    if (
      redis === null ||
      typeof redis !== 'object' ||
      typeof redis.duplicate !== 'function' ||
      typeof redis.publish !== 'function'
    ) {
      throw prefixedError(PREFIX, 'option redis must be an ioredis client (new Redis(...))');
    }
    const client = redis as unknown as Redis;
    return {
      connect: () => ({ publisher: client, subscriber: client.duplicate(), ownsPublisher: false }),
      channelPrefix,
      onError,
    };
  }
  checkUrl(url);
  return {
    connect: () => ({
      publisher: new Client(url as string, { ...redisOptions } as RedisOptions),
      subscriber: new Client(url as string, { ...redisOptions } as RedisOptions),
      ownsPublisher: true,
    }),
    channelPrefix,
    onError,
  };
}

/**
 * Only redis:// and rediss:// (ioredis would take a bare host or a path too, and connect to
 * something else than meant). The message names the scheme, never the URL: it may hold a
 * password.
 */
function checkUrl(url: unknown): void {
  if (typeof url !== 'string') throw prefixedError(PREFIX, 'option url must be a string');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw prefixedError(
      PREFIX,
      'option url is not a valid URL (expected redis://host:port or rediss://host:port)',
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw prefixedError(
      PREFIX,
      `option url must use redis:// or rediss:// (TLS), not ${parsed.protocol}//`,
    );
  }
  if (parsed.hostname === '') {
    throw prefixedError(PREFIX, 'option url has no host (expected redis://host:port)');
  }
}
