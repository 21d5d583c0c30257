// The wskit echo demo: an HTTP server that serves one page and, on the same port, a WebSocket
// endpoint at /echo that sends every message back (text as text, binary as binary).
//   npm start                 → http://127.0.0.1:3000
//   npm start -- --port 8080
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { WebSocketServer } from '@wskit/node';

const portFlag = process.argv.indexOf('--port');
const port = Number(portFlag === -1 ? (process.env.PORT ?? 3000) : process.argv[portFlag + 1]);
const host = process.env.HOST ?? '127.0.0.1';
const page = await readFile(new URL('./public/index.html', import.meta.url));

const http = createServer((request, response) => {
  if (request.url === '/' || request.url === '/index.html') {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(page);
    return;
  }
  response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n');
});

const sockets = new WebSocketServer({
  server: http,
  path: '/echo',
  perMessageDeflate: true,
  hooks: {
    open(peer) {
      peer.send(JSON.stringify({ type: 'welcome', id: peer.id }));
    },
    message(peer, message) {
      peer.send(message.isBinary ? message.bytes() : message.text());
    },
  },
});

http.listen(port, host, () => {
  console.log(
    `wskit echo demo: open http://${host}:${port}/ (WebSocket at ws://${host}:${port}/echo)`,
  );
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await sockets.close();
    http.close();
    process.exit(0);
  });
}
