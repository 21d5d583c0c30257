/** Entry for Node.js: `node dist/server/node.js` (PORT, HOST, REDIS_URL, ALLOWED_ORIGINS). */
import { createBroker, readConfig } from './config.js';
import { SERVICE_RESTART, SHUTDOWN_TIMEOUT_MS, startNodeChat } from './node-server.js';
import { defaultDataDir, defaultWebDir } from './static.js';

const config = readConfig({ get: (name) => process.env[name] });
const chat = await startNodeChat({
  port: config.port,
  host: config.host,
  allowedOrigins: config.allowedOrigins,
  broker: await createBroker(config.redisUrl, config.dataDir ?? defaultDataDir(import.meta.url)),
  webDir: defaultWebDir(import.meta.url),
});
console.log(`chat (node${config.redisUrl ? ', redis broker' : ''}) ready: open ${chat.url}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    // Bounded: whatever hangs (a broker that does not answer), the process exits.
    setTimeout(() => process.exit(1), 3 * SHUTDOWN_TIMEOUT_MS).unref();
    try {
      await chat.close({ ...SERVICE_RESTART, timeout: SHUTDOWN_TIMEOUT_MS });
      await chat.broker.close();
      process.exit(0);
    } catch (error) {
      console.error('chat: shutdown failed:', error);
      process.exit(1);
    }
  });
}
