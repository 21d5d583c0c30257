/** The chat on Bun or Deno (server/bun.ts, server/deno.ts): the page and /ws share one port. */
import { stopOnSignals } from '@wskit/app-shared/shutdown';
import { serve } from '@wskit/deno-bun';
import { createBroker, readConfig } from './config.js';
import { pageHandler } from './fetch.js';
import { createChat } from './hooks.js';
import { defaultDataDir, defaultWebDir } from './static.js';

export async function startChat(
  runtime: 'bun' | 'deno',
  env: { get(name: string): string | undefined },
): Promise<void> {
  const config = readConfig(env);
  const broker = await createBroker(
    config.redisUrl,
    config.dataDir ?? defaultDataDir(import.meta.url),
  );
  const chat = createChat({ broker, allowedOrigins: config.allowedOrigins });
  const server = serve({
    port: config.port,
    hostname: config.host,
    hooks: chat.hooks,
    maxMessageSize: 64 * 1024,
    fetch: pageHandler(defaultWebDir(import.meta.url)),
  });
  console.log(`chat (${runtime}) ready: open http://${config.host}:${server.port}/`);

  // As on Node (node-server.ts): peers first, then the rooms they leave, then the broker.
  stopOnSignals('chat', async (close) => {
    await server.close(close);
    await chat.shutdown();
    await broker.close();
  });
}
