import { nearestName, prefixedError } from '@wskit/server';
import type { Redis, RedisOptions } from 'ioredis';
import { PREFIX, type RedisClient, resolveRedisOptions } from './options.js';

/** How much of each topic's log Redis keeps; what is trimmed can no longer be replayed. */
export interface DurableRetention {
  /**
   * Entries kept per topic. Trimmed on every publish with `MAXLEN ~` (whole stream nodes, so
   * at least `maxLen` are kept and up to about 100 more), or exactly with `exact: true`.
   */
  maxLen?: number;
  /**
   * Entries older than this (by Redis's clock) are trimmed on every publish and before every
   * replay, so a replay never delivers an entry older than `maxAgeMs`.
   */
  maxAgeMs?: number;
  /** Trim `maxLen` exactly (`MAXLEN =`): slower for Redis, but a count you can rely on. */
  exact?: boolean;
}

/** Options of {@link createDurableTopics}. */
export interface DurableTopicsOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://`. Give either `url` or `redis`. */
  url?: string;
  /**
   * An ioredis client of yours instead of `url`: commands go through it and a `duplicate()`
   * of it receives the live messages. `close()` closes the duplicate only.
   */
  redis?: RedisClient;
  /** More ioredis options for the connections made from `url`. */
  redisOptions?: Readonly<Record<string, unknown>>;
  /**
   * Names a topic's stream key and its live channel: `keyPrefix + topic`. Default
   * `'wskit-durable:'`, apart from the plain broker's `'wskit:'` channels.
   */
  keyPrefix?: string;
  /** Default: keep everything (set at least one limit in production). */
  retention?: DurableRetention;
  /** Entries read per XRANGE while a subscriber catches up. Default 1000. */
  pageSize?: number;
  /**
   * Connection errors, failed replays (retried), live messages that are not ours. Default:
   * stderr. Never thrown. Failed publishes reject the publish's promise instead.
   */
  onError?: (error: Error) => void;
}

export interface ResolvedDurableOptions {
  readonly connect: () => { commands: Redis; listener: Redis; ownsCommands: boolean };
  readonly keyPrefix: string;
  readonly maxLen: number | undefined;
  readonly maxAgeMs: number | undefined;
  readonly exact: boolean;
  readonly pageSize: number;
  readonly onError: ((error: Error) => void) | undefined;
}

const OPTION_NAMES = [
  'url',
  'redis',
  'redisOptions',
  'keyPrefix',
  'retention',
  'pageSize',
  'onError',
];
const RETENTION_NAMES = ['maxLen', 'maxAgeMs', 'exact'];
/** Names from other libraries, with what to write here. */
const FOREIGN_NAMES: Readonly<Record<string, string>> = {
  channelPrefix: 'keyPrefix (one prefix names both the stream and its channel)',
  maxLen: 'retention: { maxLen }',
  maxAgeMs: 'retention: { maxAgeMs }',
  ttl: 'retention: { maxAgeMs }',
  maxAge: 'retention: { maxAgeMs }',
  batchSize: 'pageSize',
};

function unknownOption(name: string, known: string[], where: string): never {
  const foreign = where === '' ? FOREIGN_NAMES[name] : undefined;
  if (foreign !== undefined) throw prefixedError(PREFIX, `unknown option ${name}: use ${foreign}`);
  const nearest = nearestName(name, known);
  throw prefixedError(
    PREFIX,
    `unknown option ${where}${name}${nearest === undefined ? '' : `; did you mean ${where}${nearest}?`}`,
  );
}

function positiveInteger(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw prefixedError(PREFIX, `option ${name} must be a positive integer, not ${String(value)}`);
  }
  return value;
}

export function resolveDurableOptions(
  options: DurableTopicsOptions | undefined,
  Client: new (url: string, options: RedisOptions) => Redis,
): ResolvedDurableOptions {
  if (options === null || typeof options !== 'object') {
    throw prefixedError(PREFIX, 'createDurableTopics expects an options object with url or redis');
  }
  for (const name of Object.keys(options)) {
    if ((options as Record<string, unknown>)[name] === undefined) continue;
    if (!OPTION_NAMES.includes(name)) unknownOption(name, OPTION_NAMES, '');
  }
  const { keyPrefix = 'wskit-durable:', retention = {}, pageSize, onError } = options;
  if (typeof keyPrefix !== 'string')
    throw prefixedError(PREFIX, 'option keyPrefix must be a string');
  if (retention === null || typeof retention !== 'object') {
    throw prefixedError(PREFIX, 'option retention must be an object { maxLen, maxAgeMs, exact }');
  }
  for (const name of Object.keys(retention)) {
    if ((retention as Record<string, unknown>)[name] === undefined) continue;
    if (!RETENTION_NAMES.includes(name)) unknownOption(name, RETENTION_NAMES, 'retention.');
  }
  const maxLen = positiveInteger(retention.maxLen, 'retention.maxLen');
  const maxAgeMs = positiveInteger(retention.maxAgeMs, 'retention.maxAgeMs');
  if (retention.exact !== undefined && typeof retention.exact !== 'boolean') {
    throw prefixedError(PREFIX, 'option retention.exact must be a boolean');
  }
  // The connection options are the plain broker's: the same checks and messages.
  const connection = resolveRedisOptions(
    {
      url: options.url,
      redis: options.redis,
      redisOptions: options.redisOptions,
      onError,
    } as Parameters<typeof resolveRedisOptions>[0],
    Client,
  );
  return {
    connect: () => {
      const { publisher, subscriber, ownsPublisher } = connection.connect();
      return { commands: publisher, listener: subscriber, ownsCommands: ownsPublisher };
    },
    keyPrefix,
    maxLen,
    maxAgeMs,
    exact: retention.exact === true,
    pageSize: positiveInteger(pageSize, 'pageSize') ?? 1000,
    onError,
  };
}
