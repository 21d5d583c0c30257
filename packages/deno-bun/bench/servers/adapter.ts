// The adapter (built package, default options) with the shared echo hooks, on Bun or Deno.
import { serve } from '../../dist/index.js';
import { echoHooks } from '../../examples/echo-hooks.mjs';

const server = serve({ port: 0, hostname: '127.0.0.1', hooks: echoHooks });
console.log(`listening on ${server.port}`);
