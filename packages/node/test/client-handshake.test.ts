/**
 * connect() failures: non-101 responses (RFC 6455 §4.1 "handles the response per HTTP
 * procedures"), invalid 101 responses (§4.1 steps 2-6, RFC 7692 §5), timeouts, aborts and
 * transport errors. Crafted responses come from raw TCP servers on loopback.
 */
import { once } from 'node:events';
import type * as net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { connect, UnexpectedResponseError, type WebSocket, WebSocketError } from '../src/index.js';
import {
  acceptFor,
  clearProxyEnvironment,
  closeAll,
  closedPort,
  type RawServer,
  type RequestHead,
  readRequestHead,
  startRawServer,
  startRespondingServer,
  switchingProtocols,
} from './client-helpers/servers.js';

let restoreEnvironment: () => void;
beforeAll(() => {
  restoreEnvironment = clearProxyEnvironment();
});
afterAll(() => restoreEnvironment());

const clients: WebSocket<undefined>[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await closeAll();
});

async function rejection(promise: Promise<WebSocket<undefined>>): Promise<WebSocketError> {
  const error = await promise.then(
    (client) => {
      clients.push(client);
      throw new Error('expected the promise to reject');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(Error);
  return error as WebSocketError;
}

/** Resolves once the server side of the connection has closed (the client dropped it). */
function closedByClient(server: RawServer): Promise<unknown> {
  return server.nextSocket().then((socket) => {
    if (socket.destroyed) return undefined;
    const closed = once(socket, 'close');
    socket.resume(); // the FIN is only seen by a socket that reads
    return closed;
  });
}

function header(error: UnexpectedResponseError, name: string): string | undefined {
  // A WHATWG Headers: `error.headers.get('location')` type-checks and ignores case.
  return error.headers.get(name) ?? undefined;
}

describe('a non-101 response rejects with UnexpectedResponseError', () => {
  test('401 with WWW-Authenticate and a body', async () => {
    const server = await startRespondingServer(() =>
      [
        'HTTP/1.1 401 Unauthorized',
        'WWW-Authenticate: Bearer realm="chat"',
        'Content-Type: text/plain',
        'Content-Length: 12',
        '',
        'login first!',
      ].join('\r\n'),
    );
    const error = await rejection(connect(server.url));
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    const response = error as UnexpectedResponseError;
    expect(response.code).toBe('WS_ERR_UNEXPECTED_STATUS');
    expect(response.status).toBe(401);
    expect(response.statusText).toBe('Unauthorized');
    expect(response.message).toBe('Unexpected server response: 401 Unauthorized');
    expect(header(response, 'www-authenticate')).toBe('Bearer realm="chat"');
    expect(response.body.toString()).toBe('login first!');
  });

  test('the body may arrive in several chunks after the head', async () => {
    const server = await startRawServer(async (socket) => {
      await readRequestHead(socket);
      socket.write('HTTP/1.1 403 Forbidden\r\nContent-Length: 10\r\n\r\n01');
      setTimeout(() => socket.write('2345'), 10);
      setTimeout(() => socket.write('6789'), 20);
    });
    const error = (await rejection(connect(server.url))) as UnexpectedResponseError;
    expect(error.status).toBe(403);
    expect(error.body.toString()).toBe('0123456789');
    // With Content-Length the client does not wait for the server to close.
    expect(server.sockets[0]?.destroyed).toBe(false);
  });

  test('302 with Location and no body', async () => {
    const server = await startRespondingServer(
      () => 'HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1/elsewhere\r\nContent-Length: 0\r\n\r\n',
    );
    const error = (await rejection(connect(server.url))) as UnexpectedResponseError;
    expect(error.status).toBe(302);
    expect(header(error, 'location')).toBe('ws://127.0.0.1/elsewhere');
    expect(error.body.length).toBe(0);
  });

  test('a body without Content-Length is read until the server closes', async () => {
    const server = await startRawServer(async (socket) => {
      await readRequestHead(socket);
      socket.write(
        'HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\npart one, ',
      );
      setTimeout(() => socket.end('part two'), 20);
    });
    const error = (await rejection(connect(server.url))) as UnexpectedResponseError;
    expect(error.status).toBe(500);
    expect(error.body.toString()).toBe('part one, part two');
  });

  test('a chunked body is decoded (RFC 9112 §7.1) without waiting for the server to close', async () => {
    const server = await startRawServer(async (socket) => {
      await readRequestHead(socket);
      socket.write('HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nno su');
      setTimeout(() => socket.write('\r\n9;ext=1\r\nch room\r\n\r\n0\r\n\r\n'), 10);
      // Keep-alive: the socket stays open, so only the last chunk can end the body.
    });
    const error = (await rejection(
      connect(server.url, { handshakeTimeout: 5000 }),
    )) as UnexpectedResponseError;
    expect(error.status).toBe(404);
    expect(error.body.toString()).toBe('no such room\r\n');
  });

  test('the body is capped at maxResponseBodySize (with Content-Length)', async () => {
    const server = await startRespondingServer(
      () => `HTTP/1.1 400 Bad Request\r\nContent-Length: 1000\r\n\r\n${'b'.repeat(1000)}`,
    );
    const error = (await rejection(
      connect(server.url, { maxResponseBodySize: 10 }),
    )) as UnexpectedResponseError;
    expect(error.status).toBe(400);
    expect(error.body.toString()).toBe('bbbbbbbbbb');
  });

  test('the body is capped at maxResponseBodySize without waiting for a server that keeps sending', async () => {
    let interval: ReturnType<typeof setInterval> | undefined;
    const server = await startRawServer(async (socket) => {
      await readRequestHead(socket);
      socket.write('HTTP/1.1 503 Service Unavailable\r\n\r\n');
      // No Content-Length and no end: without the cap this would run until the timeout.
      interval = setInterval(() => socket.write('c'.repeat(100)), 5);
      socket.on('close', () => clearInterval(interval));
    });
    try {
      const error = (await rejection(
        connect(server.url, { maxResponseBodySize: 250, handshakeTimeout: 5000 }),
      )) as UnexpectedResponseError;
      expect(error.status).toBe(503);
      expect(error.body.toString()).toBe('c'.repeat(250));
    } finally {
      clearInterval(interval);
    }
  });

  test('maxResponseBodySize: 0 reads no body', async () => {
    const server = await startRespondingServer(
      () => 'HTTP/1.1 429 Too Many Requests\r\nRetry-After: 5\r\n\r\nslow down',
    );
    const error = (await rejection(
      connect(server.url, { maxResponseBodySize: 0 }),
    )) as UnexpectedResponseError;
    expect(error.status).toBe(429);
    expect(header(error, 'retry-after')).toBe('5');
    expect(error.body.length).toBe(0);
  });

  test('a 204 has no body even if the server keeps the connection open', async () => {
    const server = await startRespondingServer(() => 'HTTP/1.1 204 No Content\r\n\r\n');
    const error = (await rejection(connect(server.url))) as UnexpectedResponseError;
    expect(error.status).toBe(204);
  });

  test('a server that stops sending its error body still reports its status at the timeout', async () => {
    const server = await startRespondingServer(
      () => 'HTTP/1.1 401 Unauthorized\r\nContent-Length: 100\r\n\r\npartial',
    );
    const error = (await rejection(
      connect(server.url, { handshakeTimeout: 200 }),
    )) as UnexpectedResponseError;
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect(error.status).toBe(401);
    expect(error.body.toString()).toBe('partial');
  });

  test('a reset while reading the body still reports the response', async () => {
    const server = await startRawServer(async (socket) => {
      await readRequestHead(socket);
      socket.write('HTTP/1.1 403 Forbidden\r\nContent-Length: 100\r\n\r\nnope', () =>
        setTimeout(() => socket.resetAndDestroy(), 10),
      );
    });
    const error = (await rejection(connect(server.url))) as UnexpectedResponseError;
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect(error.status).toBe(403);
    expect(error.body.toString()).toBe('nope');
  });
});

describe('an invalid 101 response fails the connection (RFC 6455 §4.1)', () => {
  const cases: Array<[name: string, respond: (head: RequestHead) => string, code: string]> = [
    [
      'a wrong Sec-WebSocket-Accept',
      () => switchingProtocols('dGhlIHNhbXBsZSBub25jZQ=='),
      'WS_ERR_INVALID_ACCEPT',
    ],
    [
      'no Sec-WebSocket-Accept',
      () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      'WS_ERR_INVALID_ACCEPT',
    ],
    [
      'no Upgrade header',
      (head) =>
        `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(head.headers['sec-websocket-key'] as string)}\r\n\r\n`,
      'WS_ERR_INVALID_UPGRADE_HEADER',
    ],
    [
      'Upgrade: h2c',
      (head) =>
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(head.headers['sec-websocket-key'] as string)}\r\n\r\n`,
      'WS_ERR_INVALID_UPGRADE_HEADER',
    ],
    [
      'no Connection: Upgrade',
      (head) =>
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ${acceptFor(head.headers['sec-websocket-key'] as string)}\r\n\r\n`,
      'WS_ERR_INVALID_CONNECTION_HEADER',
    ],
    [
      'an extension that was not offered',
      (head) =>
        switchingProtocols(head.headers['sec-websocket-key'] as string, [
          'Sec-WebSocket-Extensions: x-webkit-deflate-frame',
        ]),
      'WS_ERR_UNEXPECTED_EXTENSION',
    ],
    [
      'permessage-deflate twice',
      (head) =>
        switchingProtocols(head.headers['sec-websocket-key'] as string, [
          'Sec-WebSocket-Extensions: permessage-deflate, permessage-deflate',
        ]),
      'WS_ERR_INVALID_EXTENSION',
    ],
    [
      'permessage-deflate with an unknown parameter',
      (head) =>
        switchingProtocols(head.headers['sec-websocket-key'] as string, [
          'Sec-WebSocket-Extensions: permessage-deflate; bogus=1',
        ]),
      'WS_ERR_INVALID_EXTENSION',
    ],
    [
      'a subprotocol although none was offered',
      (head) =>
        switchingProtocols(head.headers['sec-websocket-key'] as string, [
          'Sec-WebSocket-Protocol: chat',
        ]),
      'WS_ERR_UNEXPECTED_SUBPROTOCOL',
    ],
    ['a malformed status line', () => 'HTTP/1.1 lol\r\n\r\n', 'WS_ERR_INVALID_HTTP'],
    ['a bare LF', () => 'HTTP/1.1 101 Switching Protocols\n\n', 'WS_ERR_INVALID_HTTP'],
  ];

  test.each(cases.map(([name, respond, code]) => ({ name, respond, code })))(
    '$name → $code',
    async ({ respond, code }) => {
      const server = await startRespondingServer(respond);
      const closed = closedByClient(server);
      const error = await rejection(connect(server.url));
      expect(error).toBeInstanceOf(WebSocketError);
      expect(error.code).toBe(code);
      await closed;
    },
  );

  test('permessage-deflate accepted when perMessageDeflate: false → WS_ERR_UNEXPECTED_EXTENSION', async () => {
    const server = await startRespondingServer((head) =>
      switchingProtocols(head.headers['sec-websocket-key'] as string, [
        'Sec-WebSocket-Extensions: permessage-deflate',
      ]),
    );
    const error = await rejection(connect(server.url, { perMessageDeflate: false }));
    expect(error.code).toBe('WS_ERR_UNEXPECTED_EXTENSION');
  });

  test('a response head larger than the limit → WS_ERR_HANDSHAKE_HEAD_TOO_BIG', async () => {
    const server = await startRespondingServer(
      () => `HTTP/1.1 101 Switching Protocols\r\nX-Filler: ${'f'.repeat(100_000)}\r\n\r\n`,
    );
    const error = await rejection(connect(server.url));
    expect(error.code).toBe('WS_ERR_HANDSHAKE_HEAD_TOO_BIG');
  });

  test('the server closing before answering → WS_ERR_CONNECTION_FAILED', async () => {
    const server = await startRespondingServer((_head, socket) => {
      socket.end();
      return undefined;
    });
    const error = await rejection(connect(server.url));
    expect(error.code).toBe('WS_ERR_CONNECTION_FAILED');
    expect(error.message).toMatch(/closed the connection during the handshake/);
  });

  test('the server closing in the middle of the head → WS_ERR_CONNECTION_FAILED', async () => {
    const server = await startRespondingServer((_head, socket) => {
      socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: webso');
      return undefined;
    });
    const error = await rejection(connect(server.url));
    expect(error.code).toBe('WS_ERR_CONNECTION_FAILED');
  });
});

describe('transport failures and timeouts', () => {
  test('connection refused (closed loopback port) → WS_ERR_CONNECTION_FAILED', async () => {
    const port = await closedPort();
    const error = await rejection(connect(`ws://127.0.0.1:${port}`));
    expect(error.code).toBe('WS_ERR_CONNECTION_FAILED');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  test('a server that accepts and never answers → WS_ERR_HANDSHAKE_TIMEOUT in about handshakeTimeout', async () => {
    const server = await startRawServer();
    const closed = closedByClient(server);
    const started = performance.now();
    const error = await rejection(connect(server.url, { handshakeTimeout: 300 }));
    const elapsed = performance.now() - started;
    expect(error.code).toBe('WS_ERR_HANDSHAKE_TIMEOUT');
    expect(error.message).toContain('300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2000);
    await closed;
  });

  test('the timeout also covers a server that sends part of the head and stalls', async () => {
    const server = await startRespondingServer(() => 'HTTP/1.1 101 Switching Protocols\r\n');
    const error = await rejection(connect(server.url, { handshakeTimeout: 100 }));
    expect(error.code).toBe('WS_ERR_HANDSHAKE_TIMEOUT');
  });
});

describe('AbortSignal', () => {
  test('an already aborted signal rejects with AbortError and opens no connection', async () => {
    const server = await startRawServer();
    const error = await rejection(connect(server.url, { signal: AbortSignal.abort() }));
    expect(error.name).toBe('AbortError');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.sockets.length).toBe(0);
  });

  test('an already aborted signal rejects with its reason', async () => {
    const server = await startRawServer();
    const reason = new Error('user left');
    const controller = new AbortController();
    controller.abort(reason);
    const error = await rejection(connect(server.url, { signal: controller.signal }));
    expect(error).toBe(reason);
  });

  test('aborting during the handshake rejects with the reason and destroys the socket', async () => {
    const controller = new AbortController();
    const server = await startRawServer((socket) => {
      // Abort once the request has arrived: the client is waiting for the 101.
      void readRequestHead(socket).then(() => controller.abort(new Error('changed my mind')));
    });
    const closed = closedByClient(server);
    const error = await rejection(connect(server.url, { signal: controller.signal }));
    expect(error.message).toBe('changed my mind');
    await closed;
  });

  test('aborting without a reason rejects with an AbortError', async () => {
    const controller = new AbortController();
    const server = await startRawServer((socket) => {
      void readRequestHead(socket).then(() => controller.abort());
    });
    const closed = closedByClient(server);
    const error = await rejection(connect(server.url, { signal: controller.signal }));
    expect(error.name).toBe('AbortError');
    await closed;
  });

  test('aborting after the connection opened does nothing', async () => {
    const controller = new AbortController();
    const server = await startRespondingServer((head) =>
      switchingProtocols(head.headers['sec-websocket-key'] as string),
    );
    const client = await connect(server.url, { signal: controller.signal });
    clients.push(client);
    controller.abort();
    expect(client.readyState).toBe(client.OPEN);
    const socket = server.sockets[0] as net.Socket;
    expect(socket.destroyed).toBe(false);
  });
});
