import { describe, expect, test } from 'vitest';
import { handshakeError, invalidState, WebSocketError } from '../errors.js';
import { HandshakeResponseError } from './client-handshake.js';
import { HttpHeadParser } from './http-head-parser.js';
import {
  type AcceptResponseOptions,
  buildAcceptResponse,
  buildRejectResponse,
  type ClientRequestLike,
  createRejectResponse,
  validateClientRequest,
} from './server-handshake.js';

const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const SAMPLE_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
const text = (bytes: Uint8Array) => String.fromCharCode(...bytes);

const VALID_HEADERS: Array<[string, string]> = [
  ['Host', 'server.example.com'],
  ['Upgrade', 'websocket'],
  ['Connection', 'Upgrade'],
  ['Sec-WebSocket-Key', SAMPLE_KEY],
  ['Sec-WebSocket-Version', '13'],
];

/** The valid request with some headers replaced (value) or removed (undefined). */
function requestWith(
  changes: Record<string, string | undefined> = {},
  extra: Array<[string, string]> = [],
): ClientRequestLike {
  const headers = VALID_HEADERS.filter(([name]) => !(name in changes)).concat(
    Object.entries(changes).filter((entry): entry is [string, string] => entry[1] !== undefined),
    extra,
  );
  return { method: 'GET', httpVersion: '1.1', headers };
}

function thrown(run: () => unknown): WebSocketError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebSocketError);
    return error as WebSocketError;
  }
  throw new Error('expected a WebSocketError');
}

function expectRejected(
  request: ClientRequestLike,
  code: string,
  status: number,
  message: string,
): WebSocketError {
  const error = thrown(() => validateClientRequest(request));
  expect(error.code).toBe(code);
  expect(error.status).toBe(status);
  expect(error.message).toBe(message);
  return error;
}

describe('RFC 6455 §4.2.1 server request validation', () => {
  test('the RFC 6455 §1.3 example request', () => {
    const result = validateClientRequest(
      requestWith({ Origin: 'http://example.com', 'Sec-WebSocket-Protocol': 'chat, superchat' }),
    );
    expect(result).toEqual({
      key: SAMPLE_KEY,
      protocols: ['chat', 'superchat'],
      extensions: [],
      origin: 'http://example.com',
    });
  });

  test('no Origin means no origin property; extensions are parsed', () => {
    const result = validateClientRequest(
      requestWith({
        'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits, x-foo',
      }),
    );
    expect(result).toEqual({
      key: SAMPLE_KEY,
      protocols: [],
      extensions: [
        { name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
        { name: 'x-foo', params: [] },
      ],
    });
    expect('origin' in result).toBe(false);
  });

  test('a parsed request head, a WHATWG Headers and a Node record all work', () => {
    const parsed = new HttpHeadParser({ kind: 'request' }).feed(
      new TextEncoder().encode(
        `GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: ${SAMPLE_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    expect(validateClientRequest(parsed!.head).key).toBe(SAMPLE_KEY);
    expect(validateClientRequest({ method: 'GET', headers: new Headers(VALID_HEADERS) }).key).toBe(
      SAMPLE_KEY,
    );
    expect(
      validateClientRequest({
        method: 'GET',
        httpVersion: '1.1',
        headers: {
          host: 'a',
          upgrade: 'websocket',
          connection: 'Upgrade',
          'sec-websocket-key': SAMPLE_KEY,
          'sec-websocket-version': '13',
        },
      }).key,
    ).toBe(SAMPLE_KEY);
  });

  test.each(['POST', 'get', 'HEAD', 'CONNECT'])(
    'item 1: method %s is 405 WS_ERR_INVALID_METHOD',
    (method) => {
      expectRejected(
        { ...requestWith(), method },
        'WS_ERR_INVALID_METHOD',
        405,
        `The method must be GET, got ${method}`,
      );
    },
  );

  test.each(['1.1', '2', '2.0', '3', 'HTTP/1.1', '1.2'])(
    'item 1: HTTP version %s is accepted',
    (httpVersion) => {
      expect(validateClientRequest({ ...requestWith(), httpVersion }).key).toBe(SAMPLE_KEY);
    },
  );

  test('item 1: an unknown HTTP version (Deno, Bun) is not checked', () => {
    const { httpVersion: _, ...request } = requestWith();
    expect(validateClientRequest(request).key).toBe(SAMPLE_KEY);
  });

  test.each(['1.0', '0.9', 'HTTP/1.0', '1', '', 'x', '1.', '.1', '1.x', '1111.1', 'HTTP/'])(
    'item 1: HTTP version %j is 400 WS_ERR_INVALID_HTTP_VERSION',
    (httpVersion) => {
      expectRejected(
        { ...requestWith(), httpVersion },
        'WS_ERR_INVALID_HTTP_VERSION',
        400,
        `The HTTP version must be 1.1 or later, got ${httpVersion}`,
      );
    },
  );

  test.each([
    ['WebSocket', true],
    ['websocket, h2c', true],
    ['h2c', false],
    ['web socket', false],
    [undefined, false],
  ])('item 3: Upgrade %j accepted: %s', (upgrade, accepted) => {
    const request = requestWith({ Upgrade: upgrade });
    if (accepted) expect(validateClientRequest(request).key).toBe(SAMPLE_KEY);
    else
      expectRejected(
        request,
        'WS_ERR_INVALID_UPGRADE_HEADER',
        400,
        'The Upgrade header must contain "websocket"',
      );
  });

  test.each([
    ['upgrade', true],
    ['keep-alive, Upgrade', true],
    ['keep-alive', false],
    ['Upgraded', false],
    [undefined, false],
  ])('item 4: Connection %j accepted: %s', (connection, accepted) => {
    const request = requestWith({ Connection: connection });
    if (accepted) expect(validateClientRequest(request).key).toBe(SAMPLE_KEY);
    else
      expectRejected(
        request,
        'WS_ERR_INVALID_CONNECTION_HEADER',
        400,
        'The Connection header must contain "Upgrade"',
      );
  });

  test('item 5: a missing key is 400 WS_ERR_INVALID_KEY', () => {
    expectRejected(
      requestWith({ 'Sec-WebSocket-Key': undefined }),
      'WS_ERR_INVALID_KEY',
      400,
      'The Sec-WebSocket-Key header is missing',
    );
  });

  test('item 5 / §11.3.1: a repeated key line is 400 WS_ERR_INVALID_KEY', () => {
    expectRejected(
      requestWith({}, [['sec-websocket-key', SAMPLE_KEY]]),
      'WS_ERR_INVALID_KEY',
      400,
      'The Sec-WebSocket-Key header appears more than once',
    );
    // A Headers object joins the lines; the joined value is not a 16-byte key.
    expectRejected(
      {
        method: 'GET',
        headers: new Headers([...VALID_HEADERS, ['Sec-WebSocket-Key', SAMPLE_KEY]]),
      },
      'WS_ERR_INVALID_KEY',
      400,
      'The Sec-WebSocket-Key header must be base64 of 16 bytes',
    );
  });

  test.each([
    '',
    'dGhlIHNhbXBsZSBub25jZQ',
    'dGhlIHNhbXBsZSBub25jZSE=',
    'not base64!!!!!!!!!!!!==',
    'dGhl IHNhbXBsZSBub25jZQ==',
  ])('item 5: key %j is 400 WS_ERR_INVALID_KEY', (key) => {
    expectRejected(
      requestWith({ 'Sec-WebSocket-Key': key }),
      'WS_ERR_INVALID_KEY',
      400,
      'The Sec-WebSocket-Key header must be base64 of 16 bytes',
    );
  });

  test('item 6: a missing version is 400 WS_ERR_UNSUPPORTED_VERSION', () => {
    expectRejected(
      requestWith({ 'Sec-WebSocket-Version': undefined }),
      'WS_ERR_UNSUPPORTED_VERSION',
      400,
      'The Sec-WebSocket-Version header is missing',
    );
  });

  test.each(['8', '7', '13, 8', '', '013'])(
    'item 6 / §4.2.2: version %j is 426 WS_ERR_UNSUPPORTED_VERSION',
    (version) => {
      expectRejected(
        requestWith({ 'Sec-WebSocket-Version': version }),
        'WS_ERR_UNSUPPORTED_VERSION',
        426,
        `Unsupported Sec-WebSocket-Version ${JSON.stringify(version)}; this server speaks 13`,
      );
    },
  );

  test('item 8: a malformed subprotocol list is 400 WS_ERR_INVALID_SUBPROTOCOL', () => {
    expectRejected(
      requestWith({ 'Sec-WebSocket-Protocol': 'chat, chat' }),
      'WS_ERR_INVALID_SUBPROTOCOL',
      400,
      'Invalid Sec-WebSocket-Protocol header: "chat" is repeated',
    );
  });

  test('item 8: repeated Sec-WebSocket-Protocol lines are joined', () => {
    const request = requestWith({}, [
      ['Sec-WebSocket-Protocol', 'a'],
      ['Sec-WebSocket-Protocol', 'b'],
    ]);
    expect(validateClientRequest(request).protocols).toEqual(['a', 'b']);
  });

  test('item 9: a malformed extension list is 400 WS_ERR_INVALID_EXTENSION', () => {
    expectRejected(
      requestWith({ 'Sec-WebSocket-Extensions': 'permessage-deflate; a="b c"' }),
      'WS_ERR_INVALID_EXTENSION',
      400,
      'Invalid Sec-WebSocket-Extensions header: quoted value is not a token after unquoting at index 24',
    );
  });

  test('checks run in the RFC order: method first, then version, Upgrade, Connection, key, version', () => {
    expect(
      thrown(() => validateClientRequest({ method: 'POST', httpVersion: '1.0', headers: [] })).code,
    ).toBe('WS_ERR_INVALID_METHOD');
    expect(
      thrown(() => validateClientRequest({ method: 'GET', httpVersion: '1.0', headers: [] })).code,
    ).toBe('WS_ERR_INVALID_HTTP_VERSION');
    expect(thrown(() => validateClientRequest({ method: 'GET', headers: [] })).code).toBe(
      'WS_ERR_INVALID_UPGRADE_HEADER',
    );
    expect(
      thrown(() => validateClientRequest({ method: 'GET', headers: [['Upgrade', 'websocket']] }))
        .code,
    ).toBe('WS_ERR_INVALID_CONNECTION_HEADER');
    expect(
      thrown(() =>
        validateClientRequest(
          requestWith({ 'Sec-WebSocket-Key': 'x', 'Sec-WebSocket-Version': '8' }),
        ),
      ).code,
    ).toBe('WS_ERR_INVALID_KEY');
  });
});

describe('RFC 6455 §4.2.2 server 101 response', () => {
  test('the RFC 6455 §1.3 example response, byte for byte', () => {
    const response = buildAcceptResponse({ key: SAMPLE_KEY, protocol: 'chat' });
    expect(response.status).toBe(101);
    expect(response.statusText).toBe('Switching Protocols');
    // The same head as text, one character per byte.
    expect(response.toText()).toBe(text(response.toBytes()));
    expect(text(response.toBytes())).toBe(
      'HTTP/1.1 101 Switching Protocols\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n` +
        'Sec-WebSocket-Protocol: chat\r\n' +
        '\r\n',
    );
  });

  test('no protocol (absent or ""), extensions, and extra headers last', () => {
    expect(buildAcceptResponse({ key: SAMPLE_KEY, protocol: '' }).headers).toHaveLength(3);
    const response = buildAcceptResponse({
      key: SAMPLE_KEY,
      extensions: [{ name: 'permessage-deflate', params: [['server_max_window_bits', '10']] }],
      headers: { 'Set-Cookie': ['a=1', 'b=2'] },
    });
    expect(response.headers).toEqual([
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
      ['Sec-WebSocket-Accept', SAMPLE_ACCEPT],
      ['Sec-WebSocket-Extensions', 'permessage-deflate; server_max_window_bits=10'],
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
    ]);
    expect(buildAcceptResponse({ key: SAMPLE_KEY, extensions: [] }).headers).toHaveLength(3);
  });

  test('the head is the same whether or not its headers were read first', () => {
    const options = {
      key: SAMPLE_KEY,
      protocol: 'chat',
      extensions: [{ name: 'permessage-deflate', params: [['server_max_window_bits', '10']] }],
      headers: [['Set-Cookie', 'a=1'] as const],
    } satisfies AcceptResponseOptions;
    for (const variant of [{ key: SAMPLE_KEY }, options]) {
      const unread = buildAcceptResponse(variant).toText();
      const response = buildAcceptResponse(variant);
      const lines = response.headers.map(([name, value]) => `${name}: ${value}\r\n`).join('');
      expect(unread).toBe(`HTTP/1.1 101 Switching Protocols\r\n${lines}\r\n`);
      expect(response.toText()).toBe(unread);
    }
  });

  test('headers added later are sent and checked', () => {
    const response = buildAcceptResponse({ key: SAMPLE_KEY });
    response.headers.push(['X-Late', '1']);
    expect(text(response.toBytes())).toContain('X-Late: 1\r\n\r\n');
    expect(response.toText()).toContain('X-Late: 1\r\n\r\n');
    response.headers.push(['X-Bad', '\r\n']);
    expect(thrown(() => response.toBytes()).code).toBe('WS_ERR_INVALID_ARGUMENT');
    expect(thrown(() => response.toText()).code).toBe('WS_ERR_INVALID_ARGUMENT');
  });

  test.each([
    [
      { key: 'short' },
      'buildAcceptResponse needs the client Sec-WebSocket-Key (base64 of 16 bytes)',
    ],
    [
      { key: undefined as unknown as string },
      'buildAcceptResponse needs the client Sec-WebSocket-Key (base64 of 16 bytes)',
    ],
    [{ key: SAMPLE_KEY, protocol: 'a b' }, 'Subprotocol "a b" is not a token'],
    [{ key: SAMPLE_KEY, protocol: 'chat\r\nX: 1' }, 'Subprotocol "chat\\r\\nX: 1" is not a token'],
    [
      { key: SAMPLE_KEY, extensions: [{ name: 'x', params: [['a', 'b c']] }] },
      'Extension parameter a has a value that is not a token: "b c"',
    ],
    [
      { key: SAMPLE_KEY, headers: [['X-A', 'a\nb']] },
      'Header X-A has a value with a forbidden character (U+000A)',
    ],
  ] as const)('rejects %j with WS_ERR_INVALID_ARGUMENT', (options, message) => {
    const error = thrown(() => buildAcceptResponse(options));
    expect(error.code).toBe('WS_ERR_INVALID_ARGUMENT');
    expect(error.message).toBe(message);
  });

  test.each([
    'Upgrade',
    'connection',
    'Sec-WebSocket-Accept',
    'Sec-WebSocket-Protocol',
    'Sec-WebSocket-Extensions',
    'Content-Length',
    'Transfer-Encoding',
  ])('extra headers may not set %s', (name) => {
    const error = thrown(() => buildAcceptResponse({ key: SAMPLE_KEY, headers: [[name, 'x']] }));
    expect(error.code).toBe('WS_ERR_INVALID_ARGUMENT');
    expect(error.message).toBe(
      `Header ${name} cannot be set here: the 101 response sets it or must not carry it (use the protocol or extensions option)`,
    );
  });
});

describe('RFC 6455 §4.2.2 / §4.4 reject responses', () => {
  function rejectionOf(request: ClientRequestLike): string {
    return text(buildRejectResponse(thrown(() => validateClientRequest(request))));
  }

  test('400 from a validation error: message as body, Connection: close', () => {
    const message = 'The Upgrade header must contain "websocket"';
    expect(rejectionOf(requestWith({ Upgrade: 'h2c' }))).toBe(
      'HTTP/1.1 400 Bad Request\r\n' +
        'Connection: close\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        `Content-Length: ${message.length}\r\n` +
        '\r\n' +
        message,
    );
  });

  test('405 carries Allow: GET (RFC 7231 §6.5.5)', () => {
    expect(rejectionOf({ ...requestWith(), method: 'POST' })).toBe(
      'HTTP/1.1 405 Method Not Allowed\r\n' +
        'Connection: close\r\n' +
        'Allow: GET\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 32\r\n' +
        '\r\n' +
        'The method must be GET, got POST',
    );
  });

  test('426 carries Sec-WebSocket-Version: 13 and Upgrade (RFC 6455 §4.4, RFC 7231 §6.5.15)', () => {
    const body = 'Unsupported Sec-WebSocket-Version "8"; this server speaks 13';
    expect(rejectionOf(requestWith({ 'Sec-WebSocket-Version': '8' }))).toBe(
      'HTTP/1.1 426 Upgrade Required\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade, close\r\n' +
        'Sec-WebSocket-Version: 13\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        `Content-Length: ${body.length}\r\n` +
        '\r\n' +
        body,
    );
  });

  test('a missing version is a 400 that still carries Sec-WebSocket-Version: 13', () => {
    const response = createRejectResponse(
      thrown(() => validateClientRequest(requestWith({ 'Sec-WebSocket-Version': undefined }))),
    );
    expect(response.status).toBe(400);
    expect(response.headers).toContainEqual(['Sec-WebSocket-Version', '13']);
    expect(response.headers).toContainEqual(['Connection', 'close']);
  });

  test('431 from the request head parser', () => {
    const parser = new HttpHeadParser({ kind: 'request', maxHeadBytes: 8 });
    const error = thrown(() => parser.feed(new TextEncoder().encode('GET / HTTP/1.1\r\n')));
    const response = createRejectResponse(error);
    expect(response.status).toBe(431);
    expect(response.statusText).toBe('Request Header Fields Too Large');
    expect(new TextDecoder().decode(response.body)).toBe(
      'HTTP request head too big: the head exceeds 8 bytes',
    );
  });

  test('errors without an HTTP status become a 500 that reveals nothing', () => {
    for (const error of [invalidState('secret detail'), new Error('secret detail')]) {
      expect(text(buildRejectResponse(error))).toBe(
        'HTTP/1.1 500 Internal Server Error\r\n' +
          'Connection: close\r\n' +
          'Content-Type: text/plain; charset=utf-8\r\n' +
          'Content-Length: 21\r\n' +
          '\r\n' +
          'Internal Server Error',
      );
    }
  });

  test('a HandshakeResponseError keeps its status', () => {
    expect(createRejectResponse(new HandshakeResponseError(503, 'Busy', [])).status).toBe(503);
  });

  test('options: status, text, headers and a UTF-8 or binary body', () => {
    const response = createRejectResponse({
      status: 401,
      headers: [['WWW-Authenticate', 'Bearer']],
      body: 'nö',
    });
    expect(response.statusText).toBe('Unauthorized');
    expect(Array.from(response.body)).toEqual([0x6e, 0xc3, 0xb6]);
    expect(text(response.toBytes())).toBe(
      'HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 3\r\nWWW-Authenticate: Bearer\r\n\r\nn\xc3\xb6',
    );
    const custom = createRejectResponse({
      status: 403,
      statusText: 'Go Away',
      headers: { 'Content-Type': 'application/json' },
      body: new Uint8Array([0x7b, 0x7d]),
    });
    expect(text(custom.toBytes())).toBe(
      'HTTP/1.1 403 Go Away\r\nConnection: close\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}',
    );
  });

  test('defaults: the reason phrase as body; unknown statuses have an empty reason', () => {
    expect(text(buildRejectResponse({ status: 404 }))).toBe(
      'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 9\r\n\r\nNot Found',
    );
    expect(text(buildRejectResponse({ status: 499 }))).toBe(
      'HTTP/1.1 499 \r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 0\r\n\r\n',
    );
  });

  test('a caller-set Allow, Upgrade or Sec-WebSocket-Version replaces the default', () => {
    expect(
      createRejectResponse({ status: 405, headers: [['Allow', 'GET, HEAD']] }).headers,
    ).toEqual([
      ['Connection', 'close'],
      ['Content-Type', 'text/plain; charset=utf-8'],
      ['Content-Length', '18'],
      ['Allow', 'GET, HEAD'],
    ]);
    expect(
      createRejectResponse({ status: 426, headers: [['Upgrade', 'websocket']] }).headers.slice(
        0,
        1,
      ),
    ).toEqual([['Connection', 'close']]);
    const versionError = handshakeError('WS_ERR_UNSUPPORTED_VERSION', 'x', 426);
    expect(createRejectResponse(versionError).headers).toContainEqual([
      'Sec-WebSocket-Version',
      '13',
    ]);
  });

  test.each([
    [{ status: 101 }, 'A reject response needs a status from 300 to 599, got 101'],
    [{ status: 200 }, 'A reject response needs a status from 300 to 599, got 200'],
    [{ status: 600 }, 'A reject response needs a status from 300 to 599, got 600'],
    [{ status: 400.5 }, 'A reject response needs a status from 300 to 599, got 400.5'],
    [
      { status: 400, statusText: 'Bad\r\nX: 1' },
      'The status text "Bad\\r\\nX: 1" has a forbidden character',
    ],
    [
      { status: 400, headers: [['Content-Length', '0']] },
      'Header Content-Length cannot be set here: the reject response sets it to end the connection',
    ],
    [
      { status: 400, headers: [['connection', 'keep-alive']] },
      'Header connection cannot be set here: the reject response sets it to end the connection',
    ],
    [
      { status: 400, headers: [['Transfer-Encoding', 'chunked']] },
      'Header Transfer-Encoding cannot be set here: the reject response sets it to end the connection',
    ],
    [
      { status: 400, headers: [['X-A', 'a\rb']] },
      'Header X-A has a value with a forbidden character (U+000D)',
    ],
  ] as const)('rejects options %j with WS_ERR_INVALID_ARGUMENT', (options, message) => {
    const error = thrown(() => buildRejectResponse(options));
    expect(error.code).toBe('WS_ERR_INVALID_ARGUMENT');
    expect(error.message).toBe(message);
  });
});

describe('RFC 6455 §4.2.2 accept key with an injected SHA-1', () => {
  test('buildAcceptResponse uses the digest it is given', () => {
    const calls: number[] = [];
    const response = buildAcceptResponse({
      key: 'dGhlIHNhbXBsZSBub25jZQ==',
      digest: (data) => {
        calls.push(data.length);
        return new Uint8Array(20);
      },
    });
    expect(calls).toEqual([60]);
    expect(response.headers).toContainEqual([
      'Sec-WebSocket-Accept',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    ]);
  });
});
