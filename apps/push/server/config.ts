import { fileURLToPath } from 'node:url';
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

/**
 * With REDIS_URL (`redis://` or `rediss://`): durable topics of @wskit/redis (Redis Streams,
 * delivered to every process). Without: files and this process only.
 */
export async function openBackends(config: Config): Promise<{ store: NotificationStore }> {
  if (!config.redisUrl) {
    return {
      store: await FileStore.open({ dir: config.dataDir, maxPerTopic: config.maxPerTopic }),
    };
  }
  return {
    store: await RedisStore.open({ url: config.redisUrl, maxPerTopic: config.maxPerTopic }),
  };
}

export function banner(runtime: string, url: string, config: Config): string {
  const store = config.redisUrl
    ? `Redis Streams at ${withoutPassword(config.redisUrl)}`
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

/** The URL for a log line: a password in it (`redis://user:secret@host`) is not printed. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
