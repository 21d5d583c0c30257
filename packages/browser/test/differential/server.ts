// The one server of test/differential.test.ts: an http server on 127.0.0.1 that serves the
// page (and the scenarios module, transpiled for the browser) and upgrades WebSocket requests
// with `ws`, an implementation independent of ours. Each path behaves in one fixed way (see
// scenarios.ts), so both runs meet the same server behaviour.

import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import { transformSync } from 'esbuild';
import { WebSocketServer } from 'ws';

const SCENARIOS = transformSync(readFileSync(new URL('./scenarios.ts', import.meta.url), 'utf8'), {
  loader: 'ts',
  format: 'esm',
  target: 'es2022',
}).code;

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wskit differential</title></head>
<body><script type="module">
  import { scenarios } from '/scenarios.js';
  // page.evaluate calls this with a scenario's name: the native class, the same server.
  globalThis.runScenario = (name, base) => scenarios[name]({ WebSocket: globalThis.WebSocket, base });
  globalThis.ready = true;
</script></body></html>`;

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A 101 written by hand, for the answers `ws` refuses to give (a subprotocol never offered). */
function rawAccept(request: http.IncomingMessage, socket: Socket, headers: string[]): void {
  const key = request.headers['sec-websocket-key'] as string;
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  socket.write(
    [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${accept}`,
      ...headers,
      '',
      '',
    ].join('\r\n'),
  );
}

export interface DifferentialServer {
  /** ws://127.0.0.1:<port> */
  readonly base: string;
  /** http://127.0.0.1:<port>/ */
  readonly page: string;
  close(): Promise<void>;
}

export async function startServer(): Promise<DifferentialServer> {
  const sockets = new Set<Socket>();
  const server = http.createServer((request, response) => {
    if (request.url === '/') {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (request.url === '/scenarios.js') {
      response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(SCENARIOS);
    } else {
      response.writeHead(404).end();
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // permessage-deflate on, as most servers run it: both clients offer it and get it.
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: true,
    handleProtocols: (offered, request) =>
      request.url === '/no-protocol' ? false : offered.has('chat') ? 'chat' : false,
  });
  server.on('upgrade', (request: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const path = (request.url ?? '/').split('?')[0] as string;
    if (path === '/reject') {
      socket.end(
        'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nforbidden',
      );
      return;
    }
    if (path.startsWith('/hang')) return; // never answered; closed with the server
    if (path === '/unknown-protocol') {
      rawAccept(request, socket, ['Sec-WebSocket-Protocol: other']);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('message', (data, isBinary) => {
        switch (path) {
          case '/echo':
            ws.send(data, { binary: isBinary });
            break;
          case '/count':
            ws.send(String((data as Buffer).length));
            break;
          case '/close-4001':
            ws.close(4001, 'bye ✓');
            break;
          case '/close-empty':
            ws.close();
            break;
          case '/drop':
            ws.terminate();
            break;
          case '/bad-utf8':
            // A final text frame whose 2-byte payload is not UTF-8 (0xC3 0x28).
            (ws as unknown as { _socket: Socket })._socket.write(
              Buffer.from([0x81, 0x02, 0xc3, 0x28]),
            );
            break;
          case '/burst':
            ws.send('a');
            ws.send('b');
            break;
          default:
            ws.close(1011, 'no such path');
        }
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    base: `ws://127.0.0.1:${port}`,
    page: `http://127.0.0.1:${port}/`,
    async close() {
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
