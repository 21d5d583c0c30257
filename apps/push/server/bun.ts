/** The Bun entry: `bun dist/server/bun.js`. */
import { startPush } from './deno-bun.js';

await startPush('Bun');
