// The echo server built with @wskit/deno-bun, for Bun and Deno alike (the neutral `serve` picks
// Bun.serve or Deno.serve): text is echoed as text, binary as binary. Options come from argv:
// `--deflate` turns permessage-deflate on (Bun only: Deno's native WebSocket cannot). Prints one
// JSON line `{"port": N}` once listening. Started by test/runtime-servers.ts.
import { serve } from '@wskit/deno-bun';

const runtime = globalThis as { Deno?: { args: string[] }; process?: { argv: string[] } };
const args = runtime.Deno?.args ?? runtime.process?.argv.slice(2) ?? [];

const server = serve({
  port: 0,
  hostname: '127.0.0.1',
  ...(args.includes('--deflate') ? { perMessageDeflate: true } : {}),
  hooks: {
    message(peer, message) {
      peer.send(message.isBinary ? message.bytes() : message.text());
    },
  },
});
console.log(JSON.stringify({ port: server.port }));
