// The echo example on Bun and Deno, from the repository root after a build:
//   bun packages/deno-bun/examples/echo.ts --port 8080
//   deno run -A packages/deno-bun/examples/echo.ts --port 8080
// The neutral entry point picks Bun.serve or Deno.serve; the hooks are the ones Node runs
// in echo-node.mjs. It imports the built package (dist/), as an installed one would be.
import { serve } from '../dist/index.js';
import { echoHooks, portFrom } from './echo-hooks.mjs';

const runtime = globalThis as { Deno?: { args: string[] }; process?: { argv: string[] } };
const args = runtime.Deno?.args ?? runtime.process?.argv.slice(2) ?? [];

const server = serve({
  port: portFrom(args),
  hostname: '127.0.0.1',
  hooks: echoHooks,
  fetch: () => new Response('echo server: connect with a WebSocket\n'),
});
console.log(`listening on ${server.port}`);
