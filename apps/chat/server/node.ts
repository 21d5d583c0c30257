/** Entry for Node.js: `node dist/server/node.js` (PORT, HOST, REDIS_URL, ALLOWED_ORIGINS). */
import { stopOnSignals } from '@wskit/app-shared/shutdown';
import { createBroker, readConfig } from './config.js';
import { startNodeChat } from './node-server.js';
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

stopOnSignals('chat', async (close) => {
  await chat.close(close);
  await chat.broker.close();
});
