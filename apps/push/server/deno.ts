/** The Deno entry: the same app through @wskit/deno-bun's serve(). */
import { stopOnSignals } from '@wskit/app-shared/shutdown';
import { serve } from '@wskit/deno-bun';
import { banner, openBackends, readConfig } from './config.js';
import { createPushApp, type PeerState } from './hooks.js';

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
console.log(banner(`Deno`, server.url.replace(/^ws/, 'http').replace(/\/$/, ''), config));

// As on Node (node.ts): peers first, then the store and the broker.
stopOnSignals('push', async (close) => {
  await server.close(close);
  await app.close();
});
