// Run as a child process (bundled by reconnecting-websocket.test.ts): opens a
// ReconnectingWebSocket with every timer-owning feature on (heartbeat, connect timeout,
// retries), closes it, and then must let Node exit on its own. Prints 'closed' after the final
// close event; the parent fails the test if the process is still alive after a few seconds.
import WS from 'ws';
import { WebSocket as OurWebSocket } from '../../src/node.js';
import { ReconnectingWebSocket } from '../../src/reconnecting-websocket.js';
import type { WebSocketLikeConstructor } from '../../src/websocket-like.js';

const [url, scenario, webSocketClass] = process.argv.slice(2) as [
  string,
  'open' | 'waiting',
  'ws' | 'ours',
];

const socket = new ReconnectingWebSocket(url, {
  WebSocket: webSocketClass === 'ws' ? (WS as unknown as WebSocketLikeConstructor) : OurWebSocket,
  initialDelay: 20,
  jitter: 0,
  connectTimeout: 60_000,
  heartbeat: { interval: 50, timeout: 60_000, message: 'ping' },
});

socket.addEventListener('close', (event) => {
  if (!event.willReconnect) console.log('closed');
});

if (scenario === 'open') {
  // Close once a message came back: heartbeat timers and the socket are live.
  socket.addEventListener('open', () => socket.send('hello'));
  socket.addEventListener('message', () => socket.close(1000, 'done'));
} else {
  // Nothing listens at `url`: close during the wait before the third attempt.
  socket.addEventListener('reconnecting', (event) => {
    if (event.attempt === 3) socket.close();
  });
}
