// Starts a throwaway redis-server on a free loopback port with its own temp dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startRedisServer, stopChild } from '@wskit/app-shared/test-processes';

export interface RedisInstance {
  url: string;
  stop(): Promise<void>;
}

export { freePort };

export async function startRedis(): Promise<RedisInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'push-redis-'));
  const port = await freePort();
  const { child } = await startRedisServer(port, dir, { persist: false });
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
