import { describe, expect, test } from 'vitest';
import { WebSocketError } from '../errors.js';
import { HandshakeResponseError } from './client-handshake.js';
import {
  buildH2AcceptResponse,
  createH2ClientRequest,
  isH2WebSocketRequest,
  toH2RejectResponse,
  validateH2ClientRequest,
  validateH2ServerResponse,
} from './h2-handshake.js';
import { createRejectResponse } from './server-handshake.js';

/** A Chromium-like extended CONNECT, as Node's 'stream' event hands it over. */
function chromiumConnect(overrides: Record<string, string | undefined> = {}) {
  const headers: Record<string, string | undefined> = {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'https',
    ':authority': '127.0.0.1:8443',
    ':path': '/chat?room=1',
    'sec-websocket-version': '13',
    origin: 'https://127.0.0.1:8443',
    'sec-websocket-protocol': 'chat, superchat',
    'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
    ...overrides,
  };
  for (const name of Object.keys(headers)) if (headers[name] === undefined) delete headers[name];
  return headers as Record<string, string>;
}

function statusOf(run: () => unknown): number | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebSocketError);
    return (error as WebSocketError).status;
  }
  throw new Error('expected a throw');
}

describe('RFC 8441 §4-§5 server side: validateH2ClientRequest', () => {
  test('a browser CONNECT gives the same shape as the HTTP/1.1 validation, without a key', () => {
    const validated = validateH2ClientRequest(chromiumConnect());
    expect(validated).toEqual({
      protocols: ['chat', 'superchat'],
      extensions: [{ name: 'permessage-deflate', params: [['client_max_window_bits', true]] }],
      origin: 'https://127.0.0.1:8443',
      scheme: 'https',
      authority: '127.0.0.1:8443',
      path: '/chat?room=1',
      url: 'wss://127.0.0.1:8443/chat?room=1',
    });
    expect('key' in validated).toBe(false);
  });

  test('h2c (:scheme http) maps to a ws: URL; no Origin leaves origin out', () => {
    const validated = validateH2ClientRequest(
      chromiumConnect({ ':scheme': 'http', origin: undefined }),
    );
    expect(validated.url).toBe('ws://127.0.0.1:8443/chat?room=1');
    expect('origin' in validated).toBe(false);
  });

  test('a GET is 405, a wrong or missing :protocol 400', () => {
    expect(statusOf(() => validateH2ClientRequest(chromiumConnect({ ':method': 'GET' })))).toBe(
      405,
    );
    expect(
      statusOf(() => validateH2ClientRequest(chromiumConnect({ ':protocol': 'connect-udp' }))),
    ).toBe(400);
    expect(
      statusOf(() => validateH2ClientRequest(chromiumConnect({ ':protocol': undefined }))),
    ).toBe(400);
  });

  test(':scheme, :path and :authority must be present (RFC 8441 §4)', () => {
    for (const name of [':scheme', ':path', ':authority']) {
      expect(statusOf(() => validateH2ClientRequest(chromiumConnect({ [name]: undefined })))).toBe(
        400,
      );
    }
    expect(statusOf(() => validateH2ClientRequest(chromiumConnect({ ':scheme': 'ftp' })))).toBe(
      400,
    );
    expect(statusOf(() => validateH2ClientRequest(chromiumConnect({ ':path': '*' })))).toBe(400);
  });

  test('sec-websocket-version: missing is 400, another version 426', () => {
    expect(
      statusOf(() =>
        validateH2ClientRequest(chromiumConnect({ 'sec-websocket-version': undefined })),
      ),
    ).toBe(400);
    expect(
      statusOf(() => validateH2ClientRequest(chromiumConnect({ 'sec-websocket-version': '8' }))),
    ).toBe(426);
  });

  test('a malformed subprotocol list is 400', () => {
    expect(
      statusOf(() =>
        validateH2ClientRequest(chromiumConnect({ 'sec-websocket-protocol': 'a b, ,' })),
      ),
    ).toBe(400);
  });

  test('isH2WebSocketRequest picks extended CONNECT streams only', () => {
    expect(isH2WebSocketRequest(chromiumConnect())).toBe(true);
    expect(isH2WebSocketRequest({ ':method': 'GET', ':path': '/' })).toBe(false);
    // A classic CONNECT (a proxy tunnel) is not ours.
    expect(isH2WebSocketRequest({ ':method': 'CONNECT', ':authority': 'example.com:443' })).toBe(
      false,
    );
  });
});

describe('RFC 8441 §5 server responses', () => {
  test('the 200 carries the subprotocol, the extensions and extra headers, lowercase', () => {
    const response = buildH2AcceptResponse({
      protocol: 'chat',
      extensions: [{ name: 'permessage-deflate', params: [['server_no_context_takeover', true]] }],
      headers: { 'Set-Cookie': 'a=1' },
    });
    expect(response).toEqual({
      status: 200,
      headers: [
        ['sec-websocket-protocol', 'chat'],
        ['sec-websocket-extensions', 'permessage-deflate; server_no_context_takeover'],
        ['set-cookie', 'a=1'],
      ],
    });
    expect(buildH2AcceptResponse()).toEqual({ status: 200, headers: [] });
  });

  test('headers HTTP/2 forbids or the handshake owns are refused, naming the header', () => {
    for (const name of ['Connection', 'upgrade', 'Transfer-Encoding', 'content-length']) {
      expect(() => buildH2AcceptResponse({ headers: { [name]: 'x' } })).toThrow(name);
    }
    expect(() => buildH2AcceptResponse({ headers: { 'x-a': 'b\r\nc' } })).toThrow('x-a');
    expect(() => buildH2AcceptResponse({ protocol: 'a b' })).toThrow('not a token');
  });

  test('a reject response loses its connection-specific headers (RFC 9113 §8.2.2)', () => {
    const h1 = createRejectResponse({ status: 403, body: 'Origin not allowed' });
    expect(h1.headers.some(([name]) => name === 'Connection')).toBe(true);
    const h2 = toH2RejectResponse(h1);
    expect(h2.status).toBe(403);
    expect(new TextDecoder().decode(h2.body)).toBe('Origin not allowed');
    expect(h2.headers).toEqual([
      ['content-type', 'text/plain; charset=utf-8'],
      ['content-length', '18'],
    ]);
    const upgradeRequired = toH2RejectResponse(createRejectResponse({ status: 426 }));
    expect(upgradeRequired.headers.map(([name]) => name)).not.toContain('upgrade');
  });
});

describe('RFC 8441 §5 client side', () => {
  test('createH2ClientRequest: pseudo-headers first, version 13, no key', () => {
    const request = createH2ClientRequest({
      url: 'wss://example.com:8443/chat?room=1',
      protocols: ['chat', 'superchat'],
      extensions: [{ name: 'permessage-deflate', params: [['client_max_window_bits', true]] }],
      origin: 'https://example.com',
      headers: { Authorization: 'Bearer t' },
    });
    expect(request.headers).toEqual([
      [':method', 'CONNECT'],
      [':protocol', 'websocket'],
      [':scheme', 'https'],
      [':authority', 'example.com:8443'],
      [':path', '/chat?room=1'],
      ['sec-websocket-version', '13'],
      ['origin', 'https://example.com'],
      ['sec-websocket-protocol', 'chat, superchat'],
      ['sec-websocket-extensions', 'permessage-deflate; client_max_window_bits'],
      ['authorization', 'Bearer t'],
    ]);
    expect(request.url.href).toBe('wss://example.com:8443/chat?room=1');
    // What the client builds, the server accepts.
    expect(validateH2ClientRequest(request.headers).url).toBe(request.url.href);
  });

  test('ws: maps to :scheme http; bad input throws naming the problem', () => {
    expect(createH2ClientRequest({ url: 'ws://h/' }).headers[2]).toEqual([':scheme', 'http']);
    expect(() => createH2ClientRequest({ url: 'ftp://h/' })).toThrow('scheme');
    expect(() => createH2ClientRequest({ url: 'wss://u:p@h/' })).toThrow('credentials');
    expect(() => createH2ClientRequest({ url: 'wss://h/', protocols: ['a', 'a'] })).toThrow(
      'twice',
    );
    expect(() => createH2ClientRequest({ url: 'wss://h/', headers: { Upgrade: 'x' } })).toThrow(
      'Upgrade',
    );
    expect(() =>
      createH2ClientRequest({ url: 'wss://h/', headers: { 'Sec-WebSocket-Key': 'x' } }),
    ).toThrow('Sec-WebSocket-Key');
  });

  test('validateH2ServerResponse: a 200 negotiates, other statuses throw with the status', () => {
    const offered = {
      protocols: ['chat'],
      extensions: [{ name: 'permessage-deflate', params: [] }],
    };
    expect(
      validateH2ServerResponse(
        {
          status: 200,
          headers: {
            'sec-websocket-protocol': 'chat',
            'sec-websocket-extensions': 'permessage-deflate',
          },
        },
        offered,
      ),
    ).toEqual({ protocol: 'chat', extensions: [{ name: 'permessage-deflate', params: [] }] });
    let thrown: unknown;
    try {
      validateH2ServerResponse({ status: 403, headers: {} }, offered);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HandshakeResponseError);
    expect((thrown as HandshakeResponseError).status).toBe(403);
  });

  test('an unoffered subprotocol or extension fails the connection', () => {
    // The same checks, and messages, as the HTTP/1.1 handshake (RFC 6455 §4.1 steps 5-6).
    expect(() =>
      validateH2ServerResponse({ status: 200, headers: { 'sec-websocket-protocol': 'x' } }, {}),
    ).toThrow('The server selected a subprotocol, but none was offered');
    expect(() =>
      validateH2ServerResponse(
        { status: 200, headers: { 'sec-websocket-protocol': 'x' } },
        { protocols: ['y'] },
      ),
    ).toThrow('The server selected the subprotocol "x", which was not offered');
    expect(() =>
      validateH2ServerResponse({ status: 200, headers: { 'sec-websocket-extensions': 'x-y' } }, {}),
    ).toThrow('not offered');
  });
});
