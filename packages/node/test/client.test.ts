/**
 * connect(): the opening handshake against a real `ws` server, over TCP and TLS, and every
 * ClientOptions field that shapes the request (RFC 6455 §4.1, RFC 7692).
 */
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { type ClientOptions, connect, type WebSocket, WebSocketError } from '../src/index.js';
import {
  authority,
  CERT,
  clearProxyEnvironment,
  closeAll,
  closedPort,
  FrameReader,
  IP_ONLY_CERT,
  IP_ONLY_KEY,
  ipv6LoopbackAvailable,
  LOOPBACK,
  readRequestHead,
  startEchoServer,
  startRawServer,
  startWsServer,
  switchingProtocols,
} from './client-helpers/servers.js';

let restoreEnvironment: () => void;
beforeAll(() => {
  restoreEnvironment = clearProxyEnvironment();
});
afterAll(() => restoreEnvironment());

const clients: WebSocket<undefined>[] = [];
async function open(
  url: string | URL,
  options?: Parameters<typeof connect>[1],
): Promise<WebSocket<undefined>> {
  const client = await connect(url, options);
  clients.push(client);
  return client;
}
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await closeAll();
});

/** Resolves every name to 127.0.0.1, so no test depends on the machine's resolver. */
const loopbackLookup = ((
  _hostname: string,
  options: { all?: boolean },
  callback: (...args: unknown[]) => void,
) => {
  if (options.all) callback(null, [{ address: LOOPBACK, family: 4 }]);
  else callback(null, LOOPBACK, 4);
}) as unknown as import('node:net').LookupFunction;

async function echo(client: WebSocket<undefined>, text: string): Promise<string> {
  const reply = once(client, 'message');
  client.send(text);
  const [data] = (await reply) as [Buffer, boolean];
  return data.toString();
}

async function rejection(promise: Promise<unknown>): Promise<WebSocketError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the promise to reject');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(WebSocketError);
  return error as WebSocketError;
}

describe('connect over ws:// (RFC 6455 §4.1)', () => {
  test('opens a connection and exchanges a message with a ws server', async () => {
    const server = await startEchoServer();
    const client = await open(`${server.url}/chat?room=1`);
    expect(client.readyState).toBe(client.OPEN);
    expect(client.url).toBe(`${server.url}/chat?room=1`);
    expect(client.protocol).toBe('');
    expect(server.requests[0]?.url).toBe('/chat?room=1');
    expect(server.requests[0]?.headers.host).toBe(authority(LOOPBACK, server.port));
    expect(await echo(client, 'hello')).toBe('hello');
  });

  test('accepts a URL object', async () => {
    const server = await startEchoServer();
    const client = await open(new URL(`${server.url}/path`));
    expect(await echo(client, 'url object')).toBe('url object');
  });

  test('maps http: to ws: (as WHATWG WebSocket does)', async () => {
    const server = await startEchoServer();
    const client = await open(`http://${authority(LOOPBACK, server.port)}/mapped`);
    expect(client.url).toBe(`ws://${authority(LOOPBACK, server.port)}/mapped`);
    expect(server.requests[0]?.url).toBe('/mapped');
  });

  test('connects to the IPv6 loopback ws://[::1]:port', async (context) => {
    if (!(await ipv6LoopbackAvailable())) context.skip();
    const server = await startEchoServer({ host: '::1' });
    const client = await open(server.url);
    expect(server.requests[0]?.headers.host).toBe(`[::1]:${server.port}`);
    expect(server.requests[0]?.socket.remoteAddress).toBe('::1');
    expect(await echo(client, 'over ipv6')).toBe('over ipv6');
  });

  test('delivers frames that arrive in the same TCP chunk as the 101', async () => {
    const server = await startRawServer(async (socket) => {
      const head = await readRequestHead(socket);
      const key = head.headers['sec-websocket-key'] as string;
      // One write: the 101 head and a text frame "Hello" (81 05 48 65 6c 6c 6f).
      socket.write(
        Buffer.concat([Buffer.from(switchingProtocols(key)), Buffer.from('810548656c6c6f', 'hex')]),
      );
    });
    const client = await open(server.url, { perMessageDeflate: false });
    const [data, isBinary] = (await once(client, 'message')) as [Buffer, boolean];
    expect(data.toString()).toBe('Hello');
    expect(isBinary).toBe(false);
  });

  test('delivers a message sent right after the 101 by a ws server', async () => {
    const server = await startWsServer();
    server.wss.on('connection', (peer) => peer.send('welcome'));
    const client = await open(server.url);
    const [data] = (await once(client, 'message')) as [Buffer];
    expect(data.toString()).toBe('welcome');
  });
});

describe('URL validation (RFC 6455 §3)', () => {
  test.each([
    ['an unsupported scheme', (port: number) => `ftp://127.0.0.1:${port}/`, /scheme/],
    ['a fragment', (port: number) => `ws://127.0.0.1:${port}/#section`, /fragment/],
    ['an empty fragment', (port: number) => `ws://127.0.0.1:${port}/#`, /fragment/],
    ['credentials', (port: number) => `ws://user:pass@127.0.0.1:${port}/`, /credentials/],
    ['not a URL', () => 'not a url', /Invalid URL/],
  ])('rejects %s with WS_ERR_INVALID_ARGUMENT', async (_name, makeUrl, message) => {
    const port = await closedPort();
    const error = await rejection(connect(makeUrl(port)));
    expect(error.code).toBe('WS_ERR_INVALID_ARGUMENT');
    expect(error.message).toMatch(message);
  });

  test('rejects invalid options with WS_ERR_INVALID_ARGUMENT', async () => {
    const port = await closedPort();
    const url = `ws://127.0.0.1:${port}`;
    const invalid: ClientOptions[] = [
      { handshakeTimeout: -1 },
      { protocols: ['chat', 'chat'] },
      { protocols: ['not a token'] },
      { headers: { 'Sec-WebSocket-Key': 'x' } },
      { headers: { 'X-Bad': 'line\r\nbreak' } },
      { perMessageDeflate: 'yes' as never },
      { proxy: 'socks5://127.0.0.1:1080' },
    ];
    for (const options of invalid) {
      const error = await rejection(connect(url, options));
      expect(error.code, JSON.stringify(options)).toBe('WS_ERR_INVALID_ARGUMENT');
    }
  });
});

describe('connect over wss:// (TLS)', () => {
  test('trusts the server certificate through tls.ca', async () => {
    const server = await startEchoServer({ secure: true });
    expect(server.url.startsWith('wss://')).toBe(true);
    const client = await open(server.url, { tls: { ca: CERT } });
    expect(await echo(client, 'secure')).toBe('secure');
  });

  test('verifies the host name when connecting by name (servername = localhost)', async () => {
    const server = await startEchoServer({ secure: true });
    // The raw TCP connection goes to 127.0.0.1; the certificate is checked against "localhost".
    const client = await open(`wss://localhost:${server.port}`, {
      tls: { ca: CERT, lookup: loopbackLookup },
    });
    expect(await echo(client, 'by name')).toBe('by name');
    expect(server.requests[0]?.headers.host).toBe(`localhost:${server.port}`);
  });

  test("an IP address is checked against the certificate's IP SAN (no SNI for IPs)", async () => {
    const server = await startEchoServer({
      secure: true,
      certificate: { cert: IP_ONLY_CERT, key: IP_ONLY_KEY },
    });
    const client = await open(server.url, { tls: { ca: IP_ONLY_CERT } });
    expect(await echo(client, 'ip san')).toBe('ip san');
  });

  test('maps https: to wss:', async () => {
    const server = await startEchoServer({ secure: true });
    const client = await open(`https://${authority(LOOPBACK, server.port)}/x`, {
      tls: { ca: CERT },
    });
    expect(client.url).toBe(`wss://${authority(LOOPBACK, server.port)}/x`);
  });

  test('connects with rejectUnauthorized: false', async () => {
    const server = await startEchoServer({ secure: true });
    const client = await open(server.url, { tls: { rejectUnauthorized: false } });
    expect(await echo(client, 'unchecked')).toBe('unchecked');
  });

  test('rejects a self-signed certificate without ca with a clear WS_ERR_CONNECTION_FAILED', async () => {
    const server = await startEchoServer({ secure: true });
    const error = await rejection(connect(server.url));
    expect(error.code).toBe('WS_ERR_CONNECTION_FAILED');
    expect(error.message).toMatch(/self[- ]signed certificate/);
    expect((error.cause as { code?: string }).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(server.wss.clients.size).toBe(0);
  });

  test('rejects a certificate for another name', async () => {
    const server = await startEchoServer({ secure: true });
    const error = await rejection(
      connect(server.url, { tls: { ca: CERT, servername: 'example.invalid' } }),
    );
    expect(error.code).toBe('WS_ERR_CONNECTION_FAILED');
    expect((error.cause as { code?: string }).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  test('rejects a plain TCP server spoken to with TLS', async () => {
    const server = await startEchoServer();
    const error = await rejection(
      connect(server.url.replace('ws://', 'wss://'), { tls: { ca: CERT } }),
    );
    expect(error.code).toBe('WS_ERR_CONNECTION_FAILED');
  });
});

describe('subprotocols (RFC 6455 §4.1 requirement 10, §4.2.2)', () => {
  test('the protocol the server selects is socket.protocol', async () => {
    const server = await startWsServer({
      handleProtocols: (offered) => (offered.has('v2.chat') ? 'v2.chat' : false),
    });
    const client = await open(server.url, { protocols: ['v1.chat', 'v2.chat'] });
    expect(server.requests[0]?.headers['sec-websocket-protocol']).toBe('v1.chat, v2.chat');
    expect(client.protocol).toBe('v2.chat');
  });

  test('a single protocol string is offered', async () => {
    const server = await startWsServer();
    const client = await open(server.url, { protocols: 'mqtt' });
    expect(client.protocol).toBe('mqtt');
  });

  test('a server that selects none leaves socket.protocol empty', async () => {
    const server = await startWsServer({ handleProtocols: () => false });
    const client = await open(server.url, { protocols: ['chat'] });
    expect(client.protocol).toBe('');
  });

  test('a protocol that was not offered rejects with WS_ERR_UNEXPECTED_SUBPROTOCOL', async () => {
    const server = await startWsServer({ handleProtocols: () => 'other' });
    const closed = server.nextConnection().then(({ peer }) => once(peer, 'close'));
    const error = await rejection(connect(server.url, { protocols: ['chat'] }));
    expect(error.code).toBe('WS_ERR_UNEXPECTED_SUBPROTOCOL');
    await closed; // the client dropped the connection
  });
});

describe('request headers', () => {
  test('the server sees Authorization, Cookie and custom headers', async () => {
    const server = await startWsServer();
    await open(server.url, {
      headers: {
        Authorization: 'Bearer token-1',
        Cookie: 'session=abc; theme=dark',
        'X-Trace': '7',
      },
    });
    const headers = server.requests[0]?.headers;
    expect(headers?.authorization).toBe('Bearer token-1');
    expect(headers?.cookie).toBe('session=abc; theme=dark');
    expect(headers?.['x-trace']).toBe('7');
  });

  test('headers may be given as pairs', async () => {
    const server = await startWsServer();
    await open(server.url, { headers: [['Authorization', 'Basic dTpw']] });
    expect(server.requests[0]?.headers.authorization).toBe('Basic dTpw');
  });

  test('the server sees Origin', async () => {
    const server = await startWsServer();
    await open(server.url, { origin: 'https://app.example' });
    expect(server.requests[0]?.headers.origin).toBe('https://app.example');
  });

  test('no Origin is sent by default', async () => {
    const server = await startWsServer();
    await open(server.url);
    expect(server.requests[0]?.headers.origin).toBeUndefined();
  });
});

describe('permessage-deflate (RFC 7692)', () => {
  test('is offered by default and negotiated with a ws server', async () => {
    const server = await startEchoServer({ perMessageDeflate: true });
    const client = await open(server.url);
    expect(server.requests[0]?.headers['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
    expect(client.extensions).toMatch(/^permessage-deflate/);
    const large = 'compressible '.repeat(1000);
    expect(await echo(client, large)).toBe(large);
  });

  test('messages at or above the threshold are compressed on the wire, smaller ones not', async () => {
    const server = await startWsServer({ perMessageDeflate: true });
    const frames = server.nextConnection().then(({ request }) => {
      const reader = new FrameReader(request.socket as import('node:net').Socket);
      return reader;
    });
    const client = await open(server.url);
    const reader = await frames;
    const large = 'a'.repeat(4096);
    client.send(large);
    client.send('tiny');
    const compressed = await reader.frame(0);
    const plain = await reader.frame(1);
    // RSV1 marks a compressed message (RFC 7692 §6); 4 KiB of "a" deflates to a few bytes.
    expect(compressed.rsv1).toBe(true);
    expect(compressed.masked).toBe(true);
    expect(compressed.payload.length).toBeLessThan(100);
    expect(plain.rsv1).toBe(false);
    expect(plain.payload.toString()).toBe('tiny');
  });

  test('the server sees the decompressed message', async () => {
    const server = await startWsServer({ perMessageDeflate: true });
    const received = server
      .nextConnection()
      .then(({ peer }) => once(peer, 'message') as Promise<[Buffer, boolean]>);
    const client = await open(server.url);
    const large = Buffer.alloc(8192, 7);
    client.send(large);
    const [data, isBinary] = await received;
    expect(isBinary).toBe(true);
    expect(Buffer.compare(data, large)).toBe(0);
  });

  test('a compressed message from the server is inflated', async () => {
    const server = await startWsServer({ perMessageDeflate: { threshold: 0 } });
    server.wss.on('connection', (peer) => peer.send('x'.repeat(5000)));
    const client = await open(server.url);
    const [data] = (await once(client, 'message')) as [Buffer];
    expect(data.toString()).toBe('x'.repeat(5000));
  });

  test('perMessageDeflate: false offers nothing', async () => {
    const server = await startEchoServer({ perMessageDeflate: true });
    const client = await open(server.url, { perMessageDeflate: false });
    expect(server.requests[0]?.headers['sec-websocket-extensions']).toBeUndefined();
    expect(client.extensions).toBe('');
    expect(await echo(client, 'plain')).toBe('plain');
  });

  test('a server without deflate leaves extensions empty', async () => {
    const server = await startEchoServer({ perMessageDeflate: false });
    const client = await open(server.url);
    expect(client.extensions).toBe('');
    const large = 'z'.repeat(5000);
    expect(await echo(client, large)).toBe(large);
  });
});
