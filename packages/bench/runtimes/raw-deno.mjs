// Baseline: Deno.serve + Deno.upgradeWebSocket with the least WebSocket code that does the
// job, no adapter. --mode echo: every message goes back to its sender. --mode broadcast:
// Deno has no pub/sub, so the open sockets live in a Set and every message is sent to each
// (the sender included). Deno's defaults otherwise (idleTimeout 30 s: a ping after 15 s).
import { answerCommands, option } from './control.mjs';

const broadcast = option('mode') === 'broadcast';
const sockets = new Set();
// Shared listeners (no closure per connection): `this` is the socket.
function added() {
  sockets.add(this);
}
function removed() {
  sockets.delete(this);
}
function echo(event) {
  this.send(event.data);
}
function publish(event) {
  for (const socket of sockets) socket.send(event.data);
}

const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, (request) => {
  if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
    return new Response('websocket only', { status: 426 });
  }
  const { socket, response } = Deno.upgradeWebSocket(request);
  // ArrayBuffer rather than the default Blob: no async read per binary message.
  socket.binaryType = 'arraybuffer';
  socket.onopen = added;
  socket.onclose = removed;
  socket.onmessage = broadcast ? publish : echo;
  return response;
});

answerCommands(
  { port: server.addr.port, runtime: `Deno ${Deno.version.deno}`, server: 'raw' },
  { connections: () => sockets.size },
);
