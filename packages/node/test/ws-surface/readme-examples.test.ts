/**
 * The examples of ws's README, written as a ws user would write them, against
 * @wskit/node/ws: the import is the only change. (Our own code: the behaviour is ws's
 * documented API.)
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import WebSocket, { createWebSocketStream, WebSocketServer } from '../../src/ws/index.js';
import { listening, nextText, Scope } from './helpers.js';

const scope = new Scope();
afterEach(() => scope.cleanup());

describe('ws README examples on @wskit/node/ws', () => {
  test('sending and receiving text data', async () => {
    const wss = scope.server(new WebSocketServer({ port: 0, host: '127.0.0.1' }));
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo: ${data}`)));
    const ws = scope.client(new WebSocket(await listening(wss)));
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    ws.on('open', () => ws.send('something'));
    expect(await nextText(ws)).toBe('echo: something');
  });

  test('sending binary data (a Float32Array)', async () => {
    const wss = scope.server(new WebSocketServer({ port: 0, host: '127.0.0.1' }));
    const received = new Promise<[Buffer, boolean]>((resolve) =>
      wss.on('connection', (ws) =>
        ws.on('message', (data, isBinary) => resolve([data as Buffer, isBinary])),
      ),
    );
    const ws = scope.client(new WebSocket(await listening(wss)));
    ws.on('open', () => {
      const array = new Float32Array(5);
      for (let i = 0; i < array.length; ++i) array[i] = i / 2;
      ws.send(array);
    });
    const [data, isBinary] = await received;
    expect(isBinary).toBe(true);
    expect([...new Float32Array(Uint8Array.from(data).buffer)]).toEqual([0, 0.5, 1, 1.5, 2]);
  });

  test('simple server: error listener, message listener, a greeting', async () => {
    const wss = scope.server(new WebSocketServer({ port: 0, host: '127.0.0.1' }));
    const seen: string[] = [];
    wss.on('connection', function connection(ws) {
      ws.on('error', console.error);
      ws.on('message', function message(data) {
        seen.push(`received: ${data}`);
      });
      ws.send('something');
    });
    const ws = scope.client(new WebSocket(await listening(wss)));
    expect(await nextText(ws)).toBe('something');
    ws.send('hi');
    await expect.poll(() => seen).toEqual(['received: hi']);
  });

  test('external HTTP server', async () => {
    const server = createServer();
    const wss = scope.server(new WebSocketServer({ server }));
    wss.on('connection', (ws) => ws.send('from the shared port'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    scope.onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const ws = scope.client(
      new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
    expect(await nextText(ws)).toBe('from the shared port');
  });

  test('multiple servers sharing a single HTTP server (noServer + handleUpgrade by path)', async () => {
    const server = createServer();
    const wss1 = scope.server(new WebSocketServer({ noServer: true }));
    const wss2 = scope.server(new WebSocketServer({ noServer: true }));
    wss1.on('connection', (ws) => ws.send('one'));
    wss2.on('connection', (ws) => ws.send('two'));
    server.on('upgrade', (request, socket, head) => {
      const { pathname } = new URL(request.url ?? '/', 'ws://base.url');
      if (pathname === '/foo') {
        wss1.handleUpgrade(request, socket, head, (ws) => wss1.emit('connection', ws, request));
      } else if (pathname === '/bar') {
        wss2.handleUpgrade(request, socket, head, (ws) => wss2.emit('connection', ws, request));
      } else {
        socket.destroy();
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    scope.onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await nextText(scope.client(new WebSocket(`${base}/foo`)))).toBe('one');
    expect(await nextText(scope.client(new WebSocket(`${base}/bar`)))).toBe('two');
  });

  test('client authentication in the upgrade listener, with a 401 for strangers', async () => {
    const server = createServer();
    const wss = scope.server(new WebSocketServer({ noServer: true }));
    wss.on('connection', (ws, _request, client) => ws.send(`hello ${client}`));
    server.on('upgrade', (request, socket, head) => {
      socket.on('error', () => {});
      const user = request.headers.authorization === 'Bearer good' ? 'ada' : undefined;
      if (user === undefined) {
        socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n');
        socket.destroy();
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) => {
        (wss.emit as (...args: unknown[]) => boolean)('connection', ws, request, user);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    scope.onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const good = scope.client(new WebSocket(url, { headers: { Authorization: 'Bearer good' } }));
    expect(await nextText(good)).toBe('hello ada');
    const bad = scope.client(new WebSocket(url));
    const [error] = await once(bad, 'error');
    expect(String(error)).toMatch(/401/);
  });

  test('server broadcast, skipping the sender', async () => {
    const wss = scope.server(new WebSocketServer({ port: 0, host: '127.0.0.1' }));
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        for (const client of wss.clients) {
          if (client !== ws && client.readyState === WebSocket.OPEN) {
            client.send(data, { binary: isBinary });
          }
        }
      });
    });
    const url = await listening(wss);
    const [a, b, c] = [1, 2, 3].map(() => scope.client(new WebSocket(url)));
    await Promise.all([a, b, c].map((client) => once(client as WebSocket, 'open')));
    await expect.poll(() => wss.clients.size).toBe(3);
    const toB = nextText(b as WebSocket);
    const toC = nextText(c as WebSocket);
    let aGotIt = false;
    (a as WebSocket).on('message', () => {
      aGotIt = true;
    });
    (a as WebSocket).send('news');
    expect([await toB, await toC]).toEqual(['news', 'news']);
    expect(aGotIt).toBe(false);
  });

  test('the Node.js streams API: createWebSocketStream', async () => {
    const wss = scope.server(new WebSocketServer({ port: 0, host: '127.0.0.1' }));
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(String(data).toUpperCase())));
    const ws = scope.client(new WebSocket(await listening(wss)));
    const duplex = createWebSocketStream(ws, { encoding: 'utf8' });
    const chunks: string[] = [];
    duplex.pipe(
      new Writable({
        write(chunk, _encoding, callback) {
          chunks.push(String(chunk));
          callback();
        },
      }),
    );
    duplex.write('streams');
    await expect.poll(() => chunks.join('')).toBe('STREAMS');
  });

  test("the client's IP address from the request", async () => {
    const wss = scope.server(new WebSocketServer({ port: 0, host: '127.0.0.1' }));
    const address = new Promise((resolve) =>
      wss.on('connection', (_ws, request) => resolve(request.socket.remoteAddress)),
    );
    scope.client(new WebSocket(await listening(wss)));
    expect(await address).toBe('127.0.0.1');
  });

  test('detecting broken connections: the isAlive ping/pong pattern', async () => {
    const wss = scope.server(new WebSocketServer({ port: 0, host: '127.0.0.1', heartbeat: false }));
    const alive = new WeakMap<WebSocket, boolean>();
    wss.on('connection', (ws) => {
      alive.set(ws, true);
      ws.on('pong', () => alive.set(ws, true));
    });
    const sweep = () => {
      for (const ws of wss.clients) {
        if (alive.get(ws) === false) {
          ws.terminate();
          continue;
        }
        alive.set(ws, false);
        ws.ping();
      }
    };
    const url = await listening(wss);
    const healthy = scope.client(new WebSocket(url));
    await once(healthy, 'open');
    await expect.poll(() => wss.clients.size).toBe(1);
    sweep();
    await expect.poll(() => [...wss.clients].every((ws) => alive.get(ws))).toBe(true);
    // A client that stops reading never answers the next ping: the sweep after drops it.
    healthy.pause();
    sweep();
    await new Promise((resolve) => setTimeout(resolve, 50));
    sweep();
    await expect.poll(() => wss.clients.size).toBe(0);
  });
});
