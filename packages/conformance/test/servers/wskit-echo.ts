// The echo server built with @wskit/deno-bun, for Bun and Deno alike (the neutral `serve` picks
// Bun.serve or Deno.serve), running the same hooks as the Node target (echo-hooks.ts). Options
// from argv: `--deflate` turns permessage-deflate on (Bun only: Deno's native WebSocket cannot);
// `--report` prints what the server saw, one JSON line per event. Prints `{"port": N}` once
// listening. Started by test/runtime-servers.ts.
import { serve } from '@wskit/deno-bun';
import { echoHooks } from './echo-hooks.ts';

const runtime = globalThis as { Deno?: { args: string[] }; process?: { argv: string[] } };
const args = runtime.Deno?.args ?? runtime.process?.argv.slice(2) ?? [];

const server = serve({
  port: 0,
  hostname: '127.0.0.1',
  ...(args.includes('--deflate') ? { perMessageDeflate: true } : {}),
  hooks: echoHooks(
    args.includes('--report') ? (event) => console.log(JSON.stringify(event)) : undefined,
  ),
});
console.log(JSON.stringify({ port: server.port }));
