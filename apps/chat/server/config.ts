/** Settings from the environment, the same for every runtime's entry. */
import { type Broker, InProcessBroker } from './broker.js';
import { FileJournal } from './file-journal.js';
import { DEFAULT_HISTORY_SIZE, parseOriginList } from './hooks.js';
import { RedisBroker } from './redis-broker.js';

export interface Environment {
  get(name: string): string | undefined;
}

export const DEFAULT_ROOMS = ['lobby'];

export function readConfig(env: Environment) {
  const port = Number(env.get('PORT') ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`bad PORT ${env.get('PORT')}`);
  return {
    port,
    host: env.get('HOST') ?? '127.0.0.1',
    allowedOrigins: parseOriginList(env.get('ALLOWED_ORIGINS')),
    /** `redis://` or `rediss://` (TLS). */
    redisUrl: env.get('REDIS_URL'),
    /** Without Redis, rooms and history are kept in `<dir>/chat.jsonl`. */
    dataDir: env.get('CHAT_DATA_DIR'),
  };
}

/**
 * Redis when REDIS_URL is set (shared by every process); otherwise one process, with rooms and
 * history journaled to `dataDir` (server/file-journal.ts) so they survive a restart.
 */
export async function createBroker(
  redisUrl: string | undefined,
  dataDir: string | undefined,
): Promise<Broker> {
  if (redisUrl === undefined || redisUrl === '') {
    if (dataDir === undefined || dataDir === '') return new InProcessBroker(DEFAULT_ROOMS);
    return new InProcessBroker(
      DEFAULT_ROOMS,
      await FileJournal.open(dataDir, DEFAULT_HISTORY_SIZE),
    );
  }
  return RedisBroker.connect({ url: redisUrl, initialRooms: DEFAULT_ROOMS });
}
