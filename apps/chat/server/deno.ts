/** Entry for Deno: `deno run -A dist/server/deno.js` (PORT, HOST, REDIS_URL, ALLOWED_ORIGINS). */
declare const Deno: { env: { get(name: string): string | undefined } };

import { startChat } from './deno-bun.js';

await startChat('deno', Deno.env);
