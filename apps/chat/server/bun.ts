/** Entry for Bun: `bun dist/server/bun.js` (PORT, HOST, REDIS_URL, ALLOWED_ORIGINS). */
import { startChat } from './deno-bun.js';

await startChat('bun', { get: (name) => process.env[name] });
