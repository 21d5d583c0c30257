/**
 * WebSocketServer modes: standalone, attached to http/https servers (sharing the port with
 * HTTP routes), noServer + handleUpgrade, path routing; and the `ws`-style event surface.
 */
import { once } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import { afterEach, describe, expect, test } from 'vitest';
import { type WebSocket, WebSocketServer } from '../src/index.js';
import { connectRaw, encodeFrame, handshakeRequest, Op } from './helpers/raw-client.js';
import {
  closeOf,
  record,
  TestScope,
  TLS_CERT,
  TLS_KEY,
  WsClient,
  wsUrl,
} from './helpers/server.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

/** Echoes every message back with its type, as `ws` users write it. */
function echo(server: WebSocketServer): void {
  server.on('connection', (socket: WebSocket) => {
    socket.on('message', (data: Buffer, isBinary: boolean) =>
      socket.send(isBinary ? data : data.toString()),
    );
  });
}

async function roundTrip(client: WsClient, data: string): Promise<string> {
  client.send(data);
  const [reply] = (await once(client, 'message')) as [Buffer];
  return reply.toString();
}

describe('standalone mode', () => {
  test('listens on port 0 of 127.0.0.1 and accepts WebSocket connections', async () => {
    const server = await scope.server();
    echo(server);
    expect(server.port).toBeGreaterThan(0);
    expect(server.address()).toMatchObject({ address: '127.0.0.1' });
    const client = await scope.client(wsUrl(server.port));
    expect(await roundTrip(client, 'hello')).toBe('hello');
  });

  test('the constructor callback runs once listening', async () => {
    let server: WebSocketServer | undefined;
    await new Promise<void>((resolve) => {
      server = new WebSocketServer({ port: 0, host: '127.0.0.1' }, resolve);
    });
    scope.defer(() => server?.close());
    expect(server?.port).toBeGreaterThan(0);
  });

  test('RFC 6455 §4.2.2: a plain HTTP GET gets 426 Upgrade Required with a clear body', async () => {
    const server = await scope.server();
    const response = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(response.status).toBe(426);
    expect(response.headers.get('upgrade')).toBe('websocket');
    expect(response.headers.get('sec-websocket-version')).toBe('13');
    expect(await response.text()).toMatch(/WebSocket only/);
  });

  test('with tls: serves wss with the given certificate', async () => {
    const server = await scope.server({ tls: { key: TLS_KEY, cert: TLS_CERT } });
    const urls: string[] = [];
    server.on('connection', (socket: WebSocket) => {
      urls.push(socket.url);
      socket.on('message', (data: Buffer) => socket.send(data.toString()));
    });
    const client = await scope.client(`wss://localhost:${server.port}/secure`, undefined, {
      ca: TLS_CERT,
    });
    expect(await roundTrip(client, 'over tls')).toBe('over tls');
    expect(urls).toEqual([`wss://localhost:${server.port}/secure`]);
  });
});

describe('attached to an http server', () => {
  test('shares the port: GET /health is 200 while WebSockets work', async () => {
    const httpServer = http.createServer((request, response) => {
      if (request.url === '/health') response.end('ok');
      else response.writeHead(404).end();
    });
    const server = new WebSocketServer({ server: httpServer });
    scope.defer(() => server.close());
    echo(server);
    const port = await scope.listen(httpServer);
    const client = await scope.client(wsUrl(port, '/ws'));
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok');
    expect(await roundTrip(client, 'still open')).toBe('still open');
    expect(server.port).toBe(port);
  });

  test("emits 'listening' when the http server starts listening", async () => {
    const httpServer = http.createServer();
    const server = new WebSocketServer({ server: httpServer });
    scope.defer(() => server.close());
    const listening = once(server, 'listening');
    await scope.listen(httpServer);
    await listening;
  });

  test('closing the WebSocketServer leaves the http server running', async () => {
    const httpServer = http.createServer((_request, response) => response.end('ok'));
    const server = new WebSocketServer({ server: httpServer });
    const port = await scope.listen(httpServer);
    await server.close();
    expect(httpServer.listening).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
  });

  test('an https server carries wss on the same port as its routes', async () => {
    const httpsServer = https.createServer({ key: TLS_KEY, cert: TLS_CERT }, (_request, response) =>
      response.end('secure ok'),
    );
    const server = new WebSocketServer({ server: httpsServer });
    scope.defer(() => server.close());
    echo(server);
    const port = await scope.listen(httpsServer);
    const client = await scope.client(`wss://127.0.0.1:${port}/`, undefined, { ca: TLS_CERT });
    expect(await roundTrip(client, 'tls echo')).toBe('tls echo');
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(`https://127.0.0.1:${port}/`, { ca: TLS_CERT }, (response) => {
          response.setEncoding('utf8');
          let text = '';
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(body).toBe('secure ok');
  });
});

describe('path routing', () => {
  test('two servers on one http server, each with its path', async () => {
    const httpServer = http.createServer();
    const chat = new WebSocketServer({ server: httpServer, path: '/chat' });
    const feed = new WebSocketServer({ server: httpServer, path: '/feed' });
    scope.defer(() => chat.close());
    scope.defer(() => feed.close());
    const chatConnections = record(chat, 'connection');
    const feedConnections = record(feed, 'connection');
    const port = await scope.listen(httpServer);

    await scope.client(wsUrl(port, '/chat?room=1'));
    expect(chatConnections).toHaveLength(1);
    expect(feedConnections).toHaveLength(0);
    await scope.client(wsUrl(port, '/feed'));
    expect(chatConnections).toHaveLength(1);
    expect(feedConnections).toHaveLength(1);
  });

  test('an unknown path gets 404 when nobody else listens for upgrades', async () => {
    const httpServer = http.createServer();
    const server = new WebSocketServer({ server: httpServer, path: '/chat' });
    scope.defer(() => server.close());
    const port = await scope.listen(httpServer);
    const rejected = await scope.rejected(wsUrl(port, '/elsewhere'));
    expect(rejected.status).toBe(404);
  });

  test('an unknown path is left to another upgrade listener', async () => {
    const httpServer = http.createServer();
    const server = new WebSocketServer({ server: httpServer, path: '/chat' });
    scope.defer(() => server.close());
    const other = new WebSocketServer({ noServer: true });
    scope.defer(() => other.close());
    httpServer.on('upgrade', (request, socket, head) => {
      if (request.url === '/other') other.handleUpgrade(request, socket, head, () => {});
    });
    const port = await scope.listen(httpServer);
    await scope.client(wsUrl(port, '/other'));
  });

  test('a standalone server with a path answers other paths with 404', async () => {
    const server = await scope.server({ path: '/only' });
    expect((await scope.rejected(wsUrl(server.port, '/nope'))).status).toBe(404);
    await scope.client(wsUrl(server.port, '/only'));
  });
});

describe('noServer mode and handleUpgrade', () => {
  test("the ws pattern emits 'connection' exactly once", async () => {
    const server = new WebSocketServer({ noServer: true });
    scope.defer(() => server.close());
    const connections = record<[WebSocket, http.IncomingMessage]>(server, 'connection');
    const httpServer = http.createServer();
    httpServer.on('upgrade', (request, socket, head) => {
      server.handleUpgrade(request, socket, head, (ws) => server.emit('connection', ws, request));
    });
    const port = await scope.listen(httpServer);
    const client = await scope.client(wsUrl(port, '/manual'));
    client.send('ping-pong');
    const [socket, request] = connections[0] as [WebSocket, http.IncomingMessage];
    const [message] = (await once(socket, 'message')) as [Buffer];
    expect(message.toString()).toBe('ping-pong');
    expect(connections).toHaveLength(1);
    expect(request.url).toBe('/manual');
    expect(server.clients.size).toBe(1);
  });

  test('address() throws a clear error in noServer mode', () => {
    const server = new WebSocketServer({ noServer: true });
    scope.defer(() => server.close());
    expect(() => server.address()).toThrow(/noServer/);
  });
});

describe('ws-style surface', () => {
  test("'connection' gets (socket, request)", async () => {
    const server = await scope.server();
    const connection = once(server, 'connection');
    await scope.client(wsUrl(server.port, '/path?query=1'), undefined, {
      headers: { 'x-test': 'yes' },
    });
    const [socket, request] = (await connection) as [WebSocket, http.IncomingMessage];
    expect(socket.readyState).toBe(WsClient.OPEN);
    expect(request.url).toBe('/path?query=1');
    expect(request.headers['x-test']).toBe('yes');
  });

  test('a peer is an EventEmitter for any event name, inherited names included', async () => {
    const server = await scope.server();
    const connection = once(server, 'connection');
    await scope.client(wsUrl(server.port));
    const [socket] = (await connection) as [WebSocket];
    const names = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'];
    const emitter = socket as unknown as NodeJS.EventEmitter;
    for (const name of names) expect(emitter.listenerCount(name)).toBe(0);
    expect(emitter.emit('toString')).toBe(false);
    const heard: string[] = [];
    for (const name of names) emitter.on(name, () => heard.push(name));
    for (const name of names) expect(emitter.emit(name)).toBe(true);
    expect(heard).toEqual(names);
    expect(emitter.eventNames()).toEqual(expect.arrayContaining(names));
    emitter.removeAllListeners('constructor');
    expect(emitter.listenerCount('constructor')).toBe(0);
    expect(emitter.emit('valueOf')).toBe(true);
    emitter.removeAllListeners();
    expect(emitter.emit('toString')).toBe(false);
  });

  test("'message' gets (Buffer, isBinary): text stays text, binary stays binary", async () => {
    const server = await scope.server();
    echo(server);
    const received: Array<[Buffer, boolean]> = [];
    server.on('connection', (socket: WebSocket) =>
      socket.on('message', (data: Buffer, isBinary: boolean) => received.push([data, isBinary])),
    );
    const client = await scope.client(wsUrl(server.port));
    const replies: Array<[Buffer, boolean]> = [];
    const bothReplies = new Promise<void>((resolve) => {
      client.on('message', (data: Buffer, isBinary: boolean) => {
        replies.push([data, isBinary]);
        if (replies.length === 2) resolve();
      });
    });
    client.send('héllo');
    client.send(Buffer.from([0, 1, 2, 255]));
    await bothReplies;
    expect(received.map(([data, isBinary]) => [Buffer.isBuffer(data), isBinary])).toEqual([
      [true, false],
      [true, true],
    ]);
    expect(received[0]?.[0].toString()).toBe('héllo');
    expect([...(received[1]?.[0] ?? [])]).toEqual([0, 1, 2, 255]);
    expect(replies[0]?.[1]).toBe(false);
    expect(replies[0]?.[0].toString()).toBe('héllo');
    expect(replies[1]?.[1]).toBe(true);
    expect([...(replies[1]?.[0] ?? [])]).toEqual([0, 1, 2, 255]);
  });

  test('send(data, callback) calls back once the data is written', async () => {
    const server = await scope.server();
    const connection = once(server, 'connection');
    const client = await scope.client(wsUrl(server.port));
    const [socket] = (await connection) as [WebSocket];
    const message = once(client, 'message');
    const error = await new Promise<Error | null | undefined>((resolve) =>
      socket.send('with callback', resolve),
    );
    expect(error ?? undefined).toBeUndefined();
    expect(String((await message)[0])).toBe('with callback');
    const binaryError = await new Promise<Error | null | undefined>((resolve) =>
      socket.send(new Uint8Array([1, 2]), {}, resolve),
    );
    expect(binaryError ?? undefined).toBeUndefined();
  });

  test("'close' gets (code, reason Buffer) when the client closes", async () => {
    const server = await scope.server();
    const connection = once(server, 'connection');
    const client = await scope.client(wsUrl(server.port));
    const [socket] = (await connection) as [WebSocket];
    const closed = once(socket, 'close');
    client.close(4000, 'bye now');
    const [code, reason] = (await closed) as [number, Buffer];
    expect(code).toBe(4000);
    expect(Buffer.isBuffer(reason)).toBe(true);
    expect(reason.toString()).toBe('bye now');
    expect((await closeOf(client)).code).toBe(4000);
  });

  test("server close(code, reason) reaches the client and 'close' fires on both ends", async () => {
    const server = await scope.server();
    const connection = once(server, 'connection');
    const client = await scope.client(wsUrl(server.port));
    const [socket] = (await connection) as [WebSocket];
    const serverClosed = once(socket, 'close');
    const clientClosed = closeOf(client);
    socket.close(4001, 'server says bye');
    expect(await clientClosed).toEqual({ code: 4001, reason: 'server says bye' });
    expect((await serverClosed)[0]).toBe(4001);
    expect(socket.readyState).toBe(WsClient.CLOSED);
  });

  test("'ping' and 'pong' events in both directions", async () => {
    const server = await scope.server({ heartbeat: false });
    const connection = once(server, 'connection');
    const client = await scope.client(wsUrl(server.port));
    const [socket] = (await connection) as [WebSocket];

    const serverGotPing = once(socket, 'ping');
    // The core answers pings itself, with the same payload (RFC 6455 §5.5.2).
    const clientGotPong = once(client, 'pong');
    client.ping('from client');
    expect(String((await serverGotPing)[0])).toBe('from client');
    expect(String((await clientGotPong)[0])).toBe('from client');

    const clientGotPing = once(client, 'ping');
    const serverGotPong = once(socket, 'pong');
    socket.ping('from server');
    expect(String((await clientGotPing)[0])).toBe('from server');
    expect(String((await serverGotPong)[0])).toBe('from server');
  });

  test('raw: a request with frames in the same packet as the handshake is read', async () => {
    const server = await scope.server();
    const messages: string[] = [];
    const got = new Promise<void>((resolve) =>
      server.on('connection', (socket: WebSocket) =>
        socket.on('message', (data: Buffer) => {
          messages.push(data.toString());
          resolve();
        }),
      ),
    );
    const client = scope.track(await connectRaw(server.port));
    client.write(
      Buffer.concat([
        Buffer.from(handshakeRequest(server.port)),
        encodeFrame({ opcode: Op.TEXT, payload: 'early' }),
      ]),
    );
    expect((await client.readResponse()).status).toBe(101);
    await got;
    expect(messages).toEqual(['early']);
  });
});
