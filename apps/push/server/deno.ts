/** The Deno entry: `deno run -A dist/server/deno.js`. */
import { startPush } from './deno-bun.js';

await startPush('Deno');
