/** The push app on Bun or Deno (server/bun.ts, server/deno.ts) through @wskit/deno-bun's serve(). */
import { stopOnSignals } from '@wskit/app-shared/shutdown';
import { serve } from '@wskit/deno-bun';
import { banner, openBackends, readConfig } from './config.js';
import { createPushApp, type PeerState } from './hooks.js';

export async function startPush(runtime: 'Bun' | 'Deno'): Promise<void> {
  // Both runtimes have Node's process.env.
  const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } })
    .process.env;
  const config = readConfig(env);
  const app = createPushApp({
    ...(await openBackends(config)),
    token: config.token,
    allowedOrigins: config.allowedOrigins,
    webDir: config.webDir,
  });
  const server = serve<PeerState>({
    port: config.port,
    hostname: env.HOST ?? '127.0.0.1',
    hooks: app.hooks,
    maxMessageSize: app.maxMessageBytes,
    fetch: (request) => app.fetch(request),
  });
  console.log(banner(runtime, server.url.replace(/^ws/, 'http').replace(/\/$/, ''), config));

  // As on Node (node.ts): peers first, then the store and the broker.
  stopOnSignals('push', async (close) => {
    await server.close(close);
    await app.close();
  });
}
