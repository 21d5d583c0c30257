import { fileURLToPath } from 'node:url';
import { type Broker, LocalBroker, RedisBroker } from './broker.js';
import { FileStore } from './file-store.js';
import { RedisStore } from './redis-store.js';
import type { NotificationStore } from './store.js';

/** The package directory, from source (server/) or from the build (dist/server/). */
export const packageDir = fileURLToPath(
  new URL(import.meta.url.includes('/dist/server/') ? '../../' : '../', import.meta.url),
);

export const DEV_TOKEN = 'dev-push-token';

export interface Config {
  port: number;
  token: string;
  tokenIsDefault: boolean;
  dataDir: string;
  redisUrl: string | undefined;
  maxPerTopic: number;
  allowedOrigins: string[];
  webDir: string;
}

export function readConfig(env: Record<string, string | undefined>): Config {
  return {
    port: Number(env.PORT ?? 3001),
    token: env.PUSH_TOKEN ?? DEV_TOKEN,
    tokenIsDefault: env.PUSH_TOKEN === undefined,
    dataDir: env.PUSH_DATA_DIR ?? `${packageDir}.data`,
    redisUrl: env.REDIS_URL || undefined,
    maxPerTopic: Number(env.PUSH_MAX_PER_TOPIC ?? 1000),
    allowedOrigins: (env.PUSH_ALLOWED_ORIGINS ?? '').split(',').filter(Boolean),
    webDir: `${packageDir}dist/web`,
  };
}

export async function openBroker(config: Config): Promise<Broker> {
  return config.redisUrl ? RedisBroker.open(config.redisUrl) : new LocalBroker();
}

export function openStore(config: Config): Promise<NotificationStore> {
  return config.redisUrl
    ? RedisStore.open({ url: config.redisUrl, maxPerTopic: config.maxPerTopic })
    : FileStore.open({ dir: config.dataDir, maxPerTopic: config.maxPerTopic });
}

export function banner(runtime: string, url: string, config: Config): string {
  const store = config.redisUrl
    ? `Redis Streams at ${config.redisUrl}`
    : `files in ${config.dataDir}`;
  return [
    `push (${runtime}) listening on ${url}`,
    `  page:  ${url}/   admin: ${url}/admin`,
    `  store: ${store} (max ${config.maxPerTopic} per topic)`,
    config.tokenIsDefault
      ? `  token: ${config.token}  (dev default; set PUSH_TOKEN in production)`
      : '  token: from PUSH_TOKEN',
  ].join('\n');
}
