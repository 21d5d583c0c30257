/**
 * The standalone server's own HTTP/1.1 front (src/standalone.ts): the request head read by the
 * core's parser on a net.Server, and the light request view handed to ws-style listeners.
 */
import { once } from 'node:events';
import type * as http from 'node:http';
import { afterEach, describe, expect, test } from 'vitest';
import type { WebSocket } from '../src/index.js';
import { WebSocketServer as WsStyleServer } from '../src/ws/index.js';
import { connectRaw, handshakeRequest } from './helpers/raw-client.js';
import { TestScope, WsClient, wsUrl } from './helpers/server.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

const standalone = () => scope.server();

describe('standalone accept path (net.Server and the core head parser)', () => {
  test('a head split over many small writes is put together and upgraded', async () => {
    const server = await standalone();
    const opened = once(server, 'connection');
    const client = scope.track(await connectRaw(server.port));
    const request = Buffer.from(handshakeRequest(server.port));
    for (let i = 0; i < request.length; i += 7) {
      client.write(request.subarray(i, i + 7));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect((await client.readResponse()).status).toBe(101);
    await opened;
  });

  test("the request view: Node's header rules, rawHeaders, url, method, version, socket", async () => {
    const server = await standalone();
    const connection = once(server, 'connection');
    const client = scope.track(await connectRaw(server.port));
    client.write(
      handshakeRequest(server.port, {
        path: '/room?id=7',
        headers: { 'X-Trace': 'a', Cookie: 'k=1' },
      }).replace(
        '\r\n\r\n',
        '\r\nx-trace: b\r\ncookie: k2=2\r\nUser-Agent: one\r\nuser-agent: two\r\n\r\n',
      ),
    );
    expect((await client.readResponse()).status).toBe(101);
    const [, request] = (await connection) as [WebSocket, http.IncomingMessage];
    expect(request.method).toBe('GET');
    expect(request.url).toBe('/room?id=7');
    expect(request.httpVersion).toBe('1.1');
    expect(request.headers['x-trace']).toBe('a, b');
    expect(request.headers.cookie).toBe('k=1; k2=2');
    expect(request.headers['user-agent']).toBe('one');
    expect(request.rawHeaders).toContain('X-Trace');
    expect(request.socket.remoteAddress).toBe('127.0.0.1');
  });

  test('a malformed head gets 400 and the server keeps serving', async () => {
    const server = await standalone();
    const client = scope.track(await connectRaw(server.port));
    client.write('GET / HTTP/1.1\r\nHost: x\r\n bad fold\r\n\r\n');
    expect((await client.readResponse()).status).toBe(400);
    const peer = await scope.client(wsUrl(server.port));
    expect(peer.readyState).toBe(WsClient.OPEN);
  });

  test('ws-style verifyClient and handleProtocols get the request view', async () => {
    const seen: string[] = [];
    const server = new WsStyleServer({
      port: 0,
      host: '127.0.0.1',
      verifyClient: (info: { req: http.IncomingMessage }) => {
        seen.push(`verify ${info.req.url} ${info.req.headers.host !== undefined}`);
        return info.req.headers['x-allow'] === 'yes';
      },
      handleProtocols: (protocols: Set<string>, request: http.IncomingMessage) => {
        seen.push(`protocols ${request.method}`);
        return [...protocols][0] ?? false;
      },
    });
    scope.defer(() => server.close({ timeout: 100 }));
    await once(server, 'listening');
    const refused = scope.track(await connectRaw(server.port));
    refused.write(handshakeRequest(server.port));
    expect((await refused.readResponse()).status).toBe(401);
    const client = await scope.client(wsUrl(server.port), ['p1', 'p2'], {
      headers: { 'x-allow': 'yes' },
    });
    expect(client.protocol).toBe('p1');
    expect(seen).toEqual(['verify / true', 'verify / true', 'protocols GET']);
  });
});
