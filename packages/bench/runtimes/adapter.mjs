// The @wskit/deno-bun adapter (its built dist, default options) doing what raw-bun.mjs and
// raw-deno.mjs do, written once against the shared hooks API for both runtimes.
// --mode echo: peer.send of every message, text as text, binary as binary. --mode broadcast:
// every peer subscribes to one topic on open and every message goes to server.publish.
// --module: the file URL of @wskit/deno-bun's dist/index.js (the runner resolves it).
import { answerCommands, option, TOPIC } from './control.mjs';

const { serve } = await import(option('module'));
const payloadOf = (message) => (message.isBinary ? message.bytes() : message.text());
const hooks =
  option('mode') === 'broadcast'
    ? {
        open(peer) {
          peer.subscribe(TOPIC);
        },
        message(_peer, message) {
          server.publish(TOPIC, payloadOf(message));
        },
      }
    : {
        message(peer, message) {
          peer.send(payloadOf(message));
        },
      };
const server = serve({ port: 0, hostname: '127.0.0.1', hooks });
const runtime =
  globalThis.Bun !== undefined ? `Bun ${Bun.version}` : `Deno ${globalThis.Deno.version.deno}`;

answerCommands(
  { port: server.port, runtime, server: 'adapter' },
  { connections: () => server.peers.size },
);
