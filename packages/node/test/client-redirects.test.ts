/**
 * The client follows handshake redirects when asked (followRedirects, as in ws), never carries
 * credentials to another origin, and otherwise reports the redirect with its Location.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { connect, UnexpectedResponseError, type WebSocket, WebSocketServer } from '../src/index.js';

interface Site {
  readonly origin: string;
  /** Authorization and Cookie headers the WebSocket endpoint saw, per connection. */
  readonly credentials: Array<{ authorization: string | null; cookie: string | null }>;
  /** Answers `GET path` upgrades with this status and Location. */
  redirect(path: string, status: number, location: string): void;
}

const cleanups: Array<() => Promise<void>> = [];
const clients: WebSocket<undefined>[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function site(): Promise<Site> {
  const redirects = new Map<string, { status: number; location: string }>();
  const credentials: Site['credentials'] = [];
  const server = http.createServer();
  const wss = new WebSocketServer({
    noServer: true,
    hooks: {
      upgrade(request) {
        credentials.push({
          authorization: request.headers.get('authorization'),
          cookie: request.headers.get('cookie'),
        });
      },
      message: (peer, message) => peer.send(message.text()),
    },
  });
  server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const redirect = redirects.get(request.url ?? '');
    if (redirect === undefined) return wss.handleUpgrade(request, socket, head);
    socket.end(
      `HTTP/1.1 ${redirect.status} Moved\r\nLocation: ${redirect.location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  cleanups.push(async () => {
    await wss.close({ timeout: 100 });
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    origin: `ws://127.0.0.1:${port}`,
    credentials,
    redirect: (path, status, location) => redirects.set(path, { status, location }),
  };
}

async function open(url: string, options: Parameters<typeof connect>[1] = {}) {
  const client = await connect(url, options);
  clients.push(client);
  return client;
}

describe('handshake redirects (RFC 9110 §15.4)', () => {
  test('by default a redirect rejects with UnexpectedResponseError and its Location', async () => {
    const a = await site();
    a.redirect('/old', 302, '/new');
    const error = await connect(`${a.origin}/old`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect((error as UnexpectedResponseError).status).toBe(302);
    expect((error as UnexpectedResponseError).headers.get('location')).toBe('/new');
  });

  test.each([301, 302, 303, 307, 308])(
    'followRedirects follows %i, relative and http: Locations',
    async (status) => {
      const a = await site();
      a.redirect('/old', status, '/middle');
      a.redirect('/middle', status, `${a.origin.replace('ws:', 'http:')}/new`);
      const client = await open(`${a.origin}/old`, { followRedirects: true });
      expect(client.url).toBe(`${a.origin}/new`);
      const reply = new Promise((resolve) =>
        client.once('message', (data) => resolve(String(data))),
      );
      client.send('hello');
      expect(await reply).toBe('hello');
    },
  );

  test('maxRedirects bounds the chain; a loop fails instead of spinning', async () => {
    const a = await site();
    a.redirect('/loop', 302, '/loop');
    await expect(
      connect(`${a.origin}/loop`, { followRedirects: true, maxRedirects: 3 }),
    ).rejects.toMatchObject({
      code: 'WS_ERR_CONNECTION_FAILED',
      message: /maximum redirects exceeded \(3\)/,
    });
  });

  test('credentials stay with their origin: kept on the same origin, dropped on another', async () => {
    const a = await site();
    const b = await site();
    a.redirect('/same', 307, '/here');
    a.redirect('/away', 307, `${b.origin}/there`);
    const headers = { Authorization: 'Bearer secret', Cookie: 'session=1', 'X-Trace': 'kept' };
    await open(`${a.origin}/same`, { followRedirects: true, headers });
    expect(a.credentials).toEqual([{ authorization: 'Bearer secret', cookie: 'session=1' }]);
    await open(`${a.origin}/away`, { followRedirects: true, headers });
    expect(b.credentials).toEqual([{ authorization: null, cookie: null }]);
  });

  test('a redirect to another scheme (ftp:) is refused with a clear error', async () => {
    const a = await site();
    a.redirect('/ftp', 302, 'ftp://127.0.0.1/file');
    await expect(connect(`${a.origin}/ftp`, { followRedirects: true })).rejects.toThrow(
      /cannot follow a redirect to ftp:/,
    );
  });
});
