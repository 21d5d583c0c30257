import dns from 'node:dns';
/**
 * connect() through an HTTP proxy: a CONNECT tunnel (RFC 9110 §9.3.6), then WebSocket (and
 * TLS for wss:) inside it. The proxy is a small node:net server in the helpers that records
 * every CONNECT request and pipes bytes both ways.
 */
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { connect, type WebSocket, type WebSocketError } from '../src/index.js';
import {
  authority,
  CERT,
  clearProxyEnvironment,
  closeAll,
  closedPort,
  IP_ONLY_CERT,
  IP_ONLY_KEY,
  ipv6LoopbackAvailable,
  LOOPBACK,
  startConnectProxy,
  startEchoServer,
  startRawServer,
} from './client-helpers/servers.js';

// Each test sets the variables it needs; these hooks restore the caller's environment.
let restoreEnvironment: () => void;
beforeAll(() => {
  restoreEnvironment = clearProxyEnvironment();
});
afterAll(() => restoreEnvironment());
let restoreTestEnvironment: () => void;
beforeEach(() => {
  restoreTestEnvironment = clearProxyEnvironment();
});

const clients: WebSocket<undefined>[] = [];
async function open(
  url: string,
  options?: Parameters<typeof connect>[1],
): Promise<WebSocket<undefined>> {
  const client = await connect(url, options);
  clients.push(client);
  return client;
}
afterEach(async () => {
  restoreTestEnvironment();
  for (const client of clients.splice(0)) client.terminate();
  await closeAll();
});

async function echo(client: WebSocket<undefined>, text: string): Promise<string> {
  const reply = once(client, 'message');
  client.send(text);
  return String((await reply)[0]);
}

async function rejection(promise: Promise<WebSocket<undefined>>): Promise<WebSocketError> {
  const error = await promise.then(
    (client) => {
      clients.push(client);
      throw new Error('expected the promise to reject');
    },
    (reason: unknown) => reason,
  );
  return error as WebSocketError;
}

describe('the proxy option', () => {
  test('ws:// through a CONNECT proxy', async () => {
    const server = await startEchoServer();
    const proxy = await startConnectProxy();
    const client = await open(`${server.url}/room`, { proxy: proxy.url });
    expect(await echo(client, 'tunnelled')).toBe('tunnelled');
    const target = authority(LOOPBACK, server.port);
    expect(proxy.requests).toHaveLength(1);
    expect(proxy.requests[0]?.authority).toBe(target);
    expect(proxy.requests[0]?.headers.host).toBe(target);
    expect(proxy.requests[0]?.headers['proxy-authorization']).toBeUndefined();
    // The WebSocket request inside the tunnel is the usual one (origin-form, Host of the target).
    expect(server.requests[0]?.url).toBe('/room');
    expect(server.requests[0]?.headers.host).toBe(target);
  });

  test('the proxy option accepts a URL object', async () => {
    const server = await startEchoServer();
    const proxy = await startConnectProxy();
    const client = await open(server.url, { proxy: new URL(proxy.url) });
    expect(await echo(client, 'url')).toBe('url');
    expect(proxy.requests).toHaveLength(1);
  });

  test('wss:// through a CONNECT proxy, TLS inside the tunnel', async () => {
    const server = await startEchoServer({ secure: true });
    const proxy = await startConnectProxy();
    const client = await open(server.url, { proxy: proxy.url, tls: { ca: CERT } });
    expect(await echo(client, 'secure tunnel')).toBe('secure tunnel');
    expect(proxy.requests[0]?.authority).toBe(authority(LOOPBACK, server.port));
  });

  test('wss://127.0.0.1 through a proxy checks the certificate against 127.0.0.1', async () => {
    // The certificate names only IP 127.0.0.1. Without the target host, Node's tls.connect over
    // a tunnel socket checks the identity against "localhost" and would reject it.
    const server = await startEchoServer({
      secure: true,
      certificate: { cert: IP_ONLY_CERT, key: IP_ONLY_KEY },
    });
    const proxy = await startConnectProxy();
    const client = await open(server.url, { proxy: proxy.url, tls: { ca: IP_ONLY_CERT } });
    expect(await echo(client, 'identity')).toBe('identity');
  });

  test('wss:// through a proxy on another address checks the target host, not the proxy', async (context) => {
    if (!(await ipv6LoopbackAvailable())) context.skip();
    // The certificate names 127.0.0.1, the proxy listens on ::1: the identity to check is the
    // target's (127.0.0.1), whatever the tunnel's own address is.
    const server = await startEchoServer({ secure: true });
    const proxy = await startConnectProxy({ host: '::1' });
    const client = await open(server.url, { proxy: proxy.url, tls: { ca: CERT } });
    expect(await echo(client, 'identity')).toBe('identity');
  });

  test('wss:// through a proxy still rejects an untrusted certificate', async () => {
    const server = await startEchoServer({ secure: true });
    const proxy = await startConnectProxy();
    const error = await rejection(connect(server.url, { proxy: proxy.url }));
    expect(error.code).toBe('WS_ERR_CONNECTION_FAILED');
    expect(error.message).toMatch(/self[- ]signed/);
  });

  test('ws://[::1] through a proxy: the CONNECT authority keeps the brackets', async (context) => {
    if (!(await ipv6LoopbackAvailable())) context.skip();
    const server = await startEchoServer({ host: '::1' });
    const proxy = await startConnectProxy();
    const client = await open(server.url, { proxy: proxy.url });
    expect(await echo(client, 'v6')).toBe('v6');
    expect(proxy.requests[0]?.authority).toBe(`[::1]:${server.port}`);
  });

  test('credentials in the proxy URL become Proxy-Authorization: Basic', async () => {
    const server = await startEchoServer();
    const proxy = await startConnectProxy();
    const withCredentials = proxy.url.replace('http://', 'http://al%20ice:p%40ss%3Aword@');
    await open(server.url, { proxy: withCredentials });
    const expected = `Basic ${Buffer.from('al ice:p@ss:word').toString('base64')}`;
    expect(proxy.requests[0]?.headers['proxy-authorization']).toBe(expected);
    // Credentials are for the proxy only: the WebSocket server never sees them.
    expect(server.requests[0]?.headers['proxy-authorization']).toBeUndefined();
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  test('a username without a password', async () => {
    const server = await startEchoServer();
    const proxy = await startConnectProxy();
    await open(server.url, { proxy: proxy.url.replace('http://', 'http://token@') });
    expect(proxy.requests[0]?.headers['proxy-authorization']).toBe(
      `Basic ${Buffer.from('token:').toString('base64')}`,
    );
  });

  test.each([
    ['407 Proxy Authentication Required', 407],
    ['403 Forbidden', 403],
    ['502 Bad Gateway', 502],
  ])('a proxy answering %s → WS_ERR_PROXY_FAILED with the status', async (refuse, status) => {
    const server = await startEchoServer();
    const proxy = await startConnectProxy({ refuse });
    const error = await rejection(connect(server.url, { proxy: proxy.url }));
    expect(error.code).toBe('WS_ERR_PROXY_FAILED');
    expect(error.status).toBe(status);
    expect(error.message).toContain(String(status));
    expect(server.requests).toHaveLength(0);
  });

  test('an unreachable proxy (closed loopback port) → WS_ERR_PROXY_FAILED', async () => {
    const server = await startEchoServer();
    const port = await closedPort();
    const error = await rejection(connect(server.url, { proxy: `http://127.0.0.1:${port}` }));
    expect(error.code).toBe('WS_ERR_PROXY_FAILED');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  test('a proxy that closes during CONNECT → WS_ERR_PROXY_FAILED', async () => {
    const server = await startEchoServer();
    const proxy = await startRawServer((socket) => socket.once('data', () => socket.end()));
    const error = await rejection(
      connect(server.url, { proxy: `http://${authority(LOOPBACK, proxy.port)}` }),
    );
    expect(error.code).toBe('WS_ERR_PROXY_FAILED');
  });

  test('a proxy that answers garbage → WS_ERR_PROXY_FAILED', async () => {
    const server = await startEchoServer();
    const proxy = await startRawServer((socket) =>
      socket.once('data', () => socket.write('SSH-2.0-OpenSSH\r\n\r\n')),
    );
    const error = await rejection(
      connect(server.url, { proxy: `http://${authority(LOOPBACK, proxy.port)}` }),
    );
    expect(error.code).toBe('WS_ERR_PROXY_FAILED');
  });

  test('a proxy that never answers CONNECT → WS_ERR_HANDSHAKE_TIMEOUT', async () => {
    const server = await startEchoServer();
    const proxy = await startRawServer();
    const error = await rejection(
      connect(server.url, {
        proxy: `http://${authority(LOOPBACK, proxy.port)}`,
        handshakeTimeout: 150,
      }),
    );
    expect(error.code).toBe('WS_ERR_HANDSHAKE_TIMEOUT');
  });

  test('aborting while the proxy is connecting rejects with the reason', async () => {
    const server = await startEchoServer();
    const controller = new AbortController();
    const proxy = await startRawServer((socket) =>
      socket.once('data', () => controller.abort(new Error('stop'))),
    );
    const closed = proxy.nextSocket().then((socket) => once(socket, 'close'));
    const error = await rejection(
      connect(server.url, {
        proxy: `http://${authority(LOOPBACK, proxy.port)}`,
        signal: controller.signal,
      }),
    );
    expect(error.message).toBe('stop');
    await closed; // the tunnel socket was destroyed
  });
});

/**
 * A proxy from the environment is never used for loopback, so these tests talk to `echo.test`
 * (RFC 6761 §6.2: a name that never exists). The test proxy maps it to 127.0.0.1, and so does
 * this process's resolver while the tests run, for connections that bypass the proxy: no
 * query leaves the machine.
 */
function remote(url: string): string {
  return url.replace('127.0.0.1', 'echo.test');
}

/** The test certificate is for 127.0.0.1/localhost: echo.test is the same server. */
function checkServerIdentity(): undefined {
  return undefined;
}

describe('proxy environment variables', () => {
  const realLookup = dns.lookup;
  beforeEach(() => {
    dns.lookup = ((hostname: string, options: unknown, callback?: unknown) => {
      if (!hostname.endsWith('.test')) {
        return (realLookup as (...args: unknown[]) => void)(hostname, options, callback);
      }
      const done = (typeof options === 'function' ? options : callback) as (
        error: Error | null,
        address: string | Array<{ address: string; family: number }>,
        family?: number,
      ) => void;
      const all = typeof options === 'object' && (options as { all?: boolean }).all === true;
      if (all) done(null, [{ address: '127.0.0.1', family: 4 }]);
      else done(null, '127.0.0.1', 4);
    }) as typeof dns.lookup;
  });
  afterEach(() => {
    dns.lookup = realLookup;
  });

  test('loopback is never sent through a proxy from the environment (pass proxy to force it)', async () => {
    const server = await startEchoServer();
    const proxy = await startConnectProxy();
    process.env.HTTP_PROXY = proxy.url;
    process.env.ALL_PROXY = 'socks5://127.0.0.1:1080';
    const direct = await open(server.url);
    expect(await echo(direct, 'direct')).toBe('direct');
    expect(proxy.requests).toHaveLength(0);
    const forced = await open(server.url, { proxy: proxy.url });
    expect(await echo(forced, 'forced')).toBe('forced');
    expect(proxy.requests).toHaveLength(1);
  });

  test('an unsupported proxy scheme in the environment names the variable and the scheme', async () => {
    process.env.ALL_PROXY = 'socks5://127.0.0.1:1080';
    const error = await rejection(connect('ws://echo.test:9/'));
    expect(error.code).toBe('WS_ERR_INVALID_ARGUMENT');
    expect(error.message).toMatch(/ALL_PROXY must be an http: or https: proxy URL, got socks5:/);
  });

  test('HTTP_PROXY is used for ws://', async () => {
    const server = await startEchoServer();
    const proxy = await startConnectProxy();
    process.env.HTTP_PROXY = proxy.url;
    const client = await open(remote(server.url));
    expect(await echo(client, 'env')).toBe('env');
    expect(proxy.requests).toHaveLength(1);
  });

  test('lowercase http_proxy works too', async () => {
    const server = await startEchoServer();
    const proxy = await startConnectProxy();
    process.env.http_proxy = proxy.url;
    await open(remote(server.url));
    expect(proxy.requests).toHaveLength(1);
  });

  test('HTTPS_PROXY is used for wss://, HTTP_PROXY is not', async () => {
    const server = await startEchoServer({ secure: true });
    const httpsProxy = await startConnectProxy();
    const httpProxy = await startConnectProxy();
    process.env.HTTPS_PROXY = httpsProxy.url;
    process.env.HTTP_PROXY = httpProxy.url;
    const client = await open(remote(server.url), { tls: { ca: CERT, checkServerIdentity } });
    expect(await echo(client, 'secure env')).toBe('secure env');
    expect(httpsProxy.requests).toHaveLength(1);
    expect(httpProxy.requests).toHaveLength(0);
  });

  test('proxy: false ignores HTTP_PROXY', async () => {
    const server = await startEchoServer();
    const proxy = await startConnectProxy();
    process.env.HTTP_PROXY = proxy.url;
    await open(server.url, { proxy: false });
    expect(proxy.requests).toHaveLength(0);
  });

  test('proxy credentials from HTTP_PROXY', async () => {
    const server = await startEchoServer();
    const proxy = await startConnectProxy();
    process.env.HTTP_PROXY = proxy.url.replace('http://', 'http://user:secret@');
    await open(remote(server.url));
    expect(proxy.requests[0]?.headers['proxy-authorization']).toBe(
      `Basic ${Buffer.from('user:secret').toString('base64')}`,
    );
  });

  test('a refusing proxy from the environment → WS_ERR_PROXY_FAILED', async () => {
    const server = await startEchoServer();
    const proxy = await startConnectProxy({ refuse: '407 Proxy Authentication Required' });
    process.env.HTTP_PROXY = proxy.url;
    const error = await rejection(connect(remote(server.url)));
    expect([error.code, error.status]).toEqual(['WS_ERR_PROXY_FAILED', 407]);
  });

  describe('NO_PROXY', () => {
    test.each([
      ['the exact host', () => 'echo.test'],
      ['a list containing the host', () => 'example.com, echo.test'],
      ['host:port', (port: number) => `echo.test:${port}`],
      ['*', () => '*'],
      ['a suffix of the host', () => '.test'],
    ])('%s bypasses the proxy', async (_name, entry) => {
      const server = await startEchoServer();
      const proxy = await startConnectProxy();
      process.env.HTTP_PROXY = proxy.url;
      process.env.NO_PROXY = entry(server.port);
      const client = await open(remote(server.url));
      expect(await echo(client, 'direct')).toBe('direct');
      expect(proxy.requests).toHaveLength(0);
    });

    test('lowercase no_proxy works too', async () => {
      const server = await startEchoServer();
      const proxy = await startConnectProxy();
      process.env.HTTP_PROXY = proxy.url;
      process.env.no_proxy = 'echo.test';
      await open(remote(server.url));
      expect(proxy.requests).toHaveLength(0);
    });

    test.each([
      ['another host', () => 'example.com'],
      ['the host with another port', (port: number) => `echo.test:${port === 1 ? 2 : port - 1}`],
      ['a longer name', () => 'echo.testing'],
    ])('%s does not bypass the proxy', async (_name, entry) => {
      const server = await startEchoServer();
      const proxy = await startConnectProxy();
      process.env.HTTP_PROXY = proxy.url;
      process.env.NO_PROXY = entry(server.port);
      const client = await open(remote(server.url));
      expect(await echo(client, 'proxied')).toBe('proxied');
      expect(proxy.requests).toHaveLength(1);
    });

    test('::1 bypasses the proxy for ws://[::1]', async (context) => {
      if (!(await ipv6LoopbackAvailable())) context.skip();
      const server = await startEchoServer({ host: '::1' });
      const proxy = await startConnectProxy();
      process.env.HTTP_PROXY = proxy.url;
      await open(server.url);
      expect(proxy.requests).toHaveLength(0);
    });
  });
});
