// Baseline: Bun.serve with the least WebSocket code that does the job, no adapter.
// --mode echo: every message goes back to its sender, text as text, binary as binary.
// --mode broadcast: every connection subscribes to one topic on open, and every message is
// published to it with Bun's native pub/sub (the sender included: server.publish).
// Bun's defaults otherwise (idleTimeout 120 s with pings, 16 MiB limits).
import { answerCommands, option, TOPIC } from './control.mjs';

const broadcast = option('mode') === 'broadcast';
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch(request, server) {
    return server.upgrade(request) ? undefined : new Response('websocket only', { status: 426 });
  },
  websocket: broadcast
    ? {
        open(ws) {
          ws.subscribe(TOPIC);
        },
        message(_ws, message) {
          server.publish(TOPIC, message);
        },
      }
    : {
        message(ws, message) {
          ws.send(message);
        },
      },
});

answerCommands(
  { port: server.port, runtime: `Bun ${Bun.version}`, server: 'raw' },
  // Bun counts the open WebSockets itself: no JavaScript per connection beyond the above.
  { connections: () => server.pendingWebSockets },
);
