import { describe, expect, test } from 'vitest';
import { WebSocketError } from '../errors.js';
import { computeAccept } from './accept-key.js';
import {
  type ClientRequestOptions,
  createClientRequest,
  HandshakeResponseError,
  validateServerResponse,
} from './client-handshake.js';
import { HttpHeadParser } from './http-head-parser.js';

const SAMPLE_NONCE = new TextEncoder().encode('the sample nonce'); // RFC 6455 §1.3
const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const SAMPLE_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
const sampleRandom = () => SAMPLE_NONCE;
const text = (bytes: Uint8Array) => String.fromCharCode(...bytes);

function request(options: Partial<ClientRequestOptions> = {}) {
  return createClientRequest({
    url: 'ws://example.com/chat',
    randomBytes: sampleRandom,
    ...options,
  });
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

function expectArgumentError(run: () => unknown, message: string): void {
  const error = thrown(run);
  expect(error.code).toBe('WS_ERR_INVALID_ARGUMENT');
  expect(error.message).toBe(message);
}

describe('RFC 6455 §4.1 client opening handshake request', () => {
  test('the RFC 6455 §1.3 example request, byte for byte', () => {
    const built = createClientRequest({
      url: 'ws://server.example.com/chat',
      protocols: ['chat', 'superchat'],
      origin: 'http://example.com',
      randomBytes: sampleRandom,
    });
    expect(built.key).toBe(SAMPLE_KEY);
    expect(built.method).toBe('GET');
    expect(built.target).toBe('/chat');
    expect(built.url.href).toBe('ws://server.example.com/chat');
    expect(built.protocols).toEqual(['chat', 'superchat']);
    expect(built.extensions).toEqual([]);
    expect(text(built.toBytes())).toBe(
      'GET /chat HTTP/1.1\r\n' +
        'Host: server.example.com\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${SAMPLE_KEY}\r\n` +
        'Sec-WebSocket-Version: 13\r\n' +
        'Origin: http://example.com\r\n' +
        'Sec-WebSocket-Protocol: chat, superchat\r\n' +
        '\r\n',
    );
  });

  test('the minimal request has exactly the five required headers', () => {
    expect(request().headers).toEqual([
      ['Host', 'example.com'],
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
      ['Sec-WebSocket-Key', SAMPLE_KEY],
      ['Sec-WebSocket-Version', '13'],
    ]);
  });

  test('a fresh random key by default', () => {
    const first = createClientRequest({ url: 'ws://a/' });
    const second = createClientRequest({ url: 'ws://a/' });
    expect(first.key).not.toBe(second.key);
    expect(first.headers[3]).toEqual(['Sec-WebSocket-Key', first.key]);
  });

  test.each([
    ['ws://example.com', 'ws://example.com/', '/', 'example.com'],
    ['ws://example.com:80/a', 'ws://example.com/a', '/a', 'example.com'],
    [
      'ws://example.com:8080/a?b=1&c',
      'ws://example.com:8080/a?b=1&c',
      '/a?b=1&c',
      'example.com:8080',
    ],
    ['wss://example.com:443/', 'wss://example.com/', '/', 'example.com'],
    ['wss://example.com:80/', 'wss://example.com:80/', '/', 'example.com:80'],
    ['http://example.com:80/x', 'ws://example.com/x', '/x', 'example.com'],
    ['https://example.com/x?y', 'wss://example.com/x?y', '/x?y', 'example.com'],
    ['https://example.com:8443/', 'wss://example.com:8443/', '/', 'example.com:8443'],
    ['ws://[::1]:9000/', 'ws://[::1]:9000/', '/', '[::1]:9000'],
    ['WS://EXAMPLE.com/Path', 'ws://example.com/Path', '/Path', 'example.com'],
    ['ws://bücher.example/', 'ws://xn--bcher-kva.example/', '/', 'xn--bcher-kva.example'],
    ['ws://a/ b?c d', 'ws://a/%20b?c%20d', '/%20b?c%20d', 'a'],
  ])('RFC 6455 §3 URL %s → %s, target %s, Host %s', (input, href, target, host) => {
    const built = request({ url: input });
    expect(built.url.href).toBe(href);
    expect(built.target).toBe(target);
    expect(built.headers[0]).toEqual(['Host', host]);
  });

  test('a URL object is accepted and not modified', () => {
    const url = new URL('https://example.com/x');
    expect(request({ url }).url.href).toBe('wss://example.com/x');
    expect(url.href).toBe('https://example.com/x');
  });

  test.each([
    ['not a url', 'Invalid URL: "not a url"'],
    ['ftp://example.com/', 'The URL scheme must be ws:, wss:, http: or https:, got ftp:'],
    ['file:///tmp/x', 'The URL scheme must be ws:, wss:, http: or https:, got file:'],
    ['ws://example.com/#frag', 'The URL must not contain a fragment'],
    ['ws://example.com/#', 'The URL must not contain a fragment'],
    [
      'ws://user:pass@example.com/',
      'The URL must not contain credentials; send an Authorization header instead',
    ],
    [
      'ws://user@example.com/',
      'The URL must not contain credentials; send an Authorization header instead',
    ],
  ])('RFC 6455 §3 rejects the URL %s', (url, message) => {
    expectArgumentError(() => request({ url }), message);
  });

  test('requirement 10: one subprotocol as a string, several as a list, none omits the header', () => {
    expect(request({ protocols: 'chat' }).headers).toContainEqual([
      'Sec-WebSocket-Protocol',
      'chat',
    ]);
    expect(request({ protocols: ['a', 'b'] }).headers).toContainEqual([
      'Sec-WebSocket-Protocol',
      'a, b',
    ]);
    expect(
      request({ protocols: [] }).headers.some(([name]) => name === 'Sec-WebSocket-Protocol'),
    ).toBe(false);
  });

  test.each([
    [['chat', 'chat'], 'Subprotocol "chat" is offered twice'],
    [['a b'], 'Subprotocol "a b" is not a token'],
    [[''], 'Subprotocol "" is not a token'],
    ['x\r\nEvil: 1', 'Subprotocol "x\\r\\nEvil: 1" is not a token'],
    [[42 as unknown as string], 'Subprotocol 42 is not a token'],
  ])('requirement 10: rejects subprotocols %j', (protocols, message) => {
    expectArgumentError(() => request({ protocols }), message);
  });

  test('requirement 11: offered extensions are formatted; an empty list omits the header', () => {
    const extensions = [
      { name: 'permessage-deflate', params: [['client_max_window_bits', true]] as const },
      { name: 'x-other', params: [] },
    ];
    const built = request({ extensions });
    expect(built.headers).toContainEqual([
      'Sec-WebSocket-Extensions',
      'permessage-deflate; client_max_window_bits, x-other',
    ]);
    expect(built.extensions).toBe(extensions);
    expect(request({ extensions: [] }).headers).toHaveLength(5);
    expectArgumentError(
      () => request({ extensions: [{ name: 'bad name', params: [] }] }),
      'Extension name "bad name" is not a token',
    );
  });

  test('requirement 8: Origin is checked like any header', () => {
    expectArgumentError(
      () => request({ origin: 'http://a\r\nX-Evil: 1' }),
      'Header Origin has a value with a forbidden character (U+000D)',
    );
  });

  test('requirement 12: extra headers come last, in order', () => {
    const built = request({
      protocols: 'p',
      headers: [
        ['Cookie', 'a=1'],
        ['Authorization', 'Bearer t'],
      ],
    });
    expect(built.headers.slice(-3)).toEqual([
      ['Sec-WebSocket-Protocol', 'p'],
      ['Cookie', 'a=1'],
      ['Authorization', 'Bearer t'],
    ]);
    expect(request({ headers: { 'X-A': ['1', '2'] } }).headers.slice(-2)).toEqual([
      ['X-A', '1'],
      ['X-A', '2'],
    ]);
  });

  test.each([
    'Host',
    'upgrade',
    'CONNECTION',
    'Sec-WebSocket-Key',
    'Sec-WebSocket-Version',
    'sec-websocket-protocol',
    'Sec-WebSocket-Extensions',
    'Origin',
  ])('extra headers may not set %s', (name) => {
    expectArgumentError(
      () => request({ headers: [[name, 'x']] }),
      `Header ${name} cannot be set here: the handshake sets it (use the url, origin, protocols or extensions option)`,
    );
  });

  test('extra headers with CR/LF are rejected', () => {
    expectArgumentError(
      () => request({ headers: { 'X-A': 'a\nb' } }),
      'Header X-A has a value with a forbidden character (U+000A)',
    );
    expectArgumentError(
      () => request({ headers: { 'X\r\nA': 'a' } }),
      'Header name "X\\r\\nA" is not a token',
    );
  });

  test('headers added to the request later are sent, and checked', () => {
    const built = request();
    built.headers.push(['X-Late', 'yes']);
    expect(text(built.toBytes())).toContain('\r\nX-Late: yes\r\n\r\n');
    const { toBytes } = built;
    expect(text(toBytes())).toContain('X-Late: yes'); // usable detached
    built.headers.push(['X-Bad', 'a\r\nb']);
    expectArgumentError(
      () => built.toBytes(),
      'Header X-Bad has a value with a forbidden character (U+000D)',
    );
  });
});

function response101(extra: Array<[string, string]> = []): {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
} {
  return {
    status: 101,
    statusText: 'Switching Protocols',
    headers: [
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
      ['Sec-WebSocket-Accept', SAMPLE_ACCEPT],
      ...extra,
    ],
  };
}

function expectResponseError(
  response: Parameters<typeof validateServerResponse>[0],
  offered: Parameters<typeof validateServerResponse>[1],
  code: string,
  message: string,
): void {
  const error = thrown(() => validateServerResponse(response, offered));
  expect(error.code).toBe(code);
  expect(error.message).toBe(message);
}

describe('RFC 6455 §4.1 client validation of the server response', () => {
  test('a plain 101 negotiates no subprotocol and no extensions', () => {
    expect(validateServerResponse(response101(), { key: SAMPLE_KEY })).toEqual({
      protocol: '',
      extensions: [],
    });
  });

  test('a ClientRequest can be passed as the offer, and a parsed head as the response', () => {
    const built = request({
      protocols: ['chat', 'superchat'],
      extensions: [{ name: 'permessage-deflate', params: [] }],
    });
    const parsed = new HttpHeadParser({ kind: 'response' }).feed(
      new TextEncoder().encode(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: keep-alive, upgrade\r\n' +
          `Sec-WebSocket-Accept: ${computeAccept(built.key)}\r\nSec-WebSocket-Protocol: superchat\r\n` +
          'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n',
      ),
    );
    expect(validateServerResponse(parsed!.head, built)).toEqual({
      protocol: 'superchat',
      extensions: [{ name: 'permessage-deflate', params: [['server_no_context_takeover', true]] }],
    });
  });

  test('a WHATWG Headers object works too', () => {
    const headers = new Headers({
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-accept': SAMPLE_ACCEPT,
    });
    expect(validateServerResponse({ status: 101, headers }, { key: SAMPLE_KEY }).protocol).toBe('');
    headers.set('sec-websocket-protocol', 'chat');
    expect(
      validateServerResponse({ status: 101, headers }, { key: SAMPLE_KEY, protocols: ['chat'] })
        .protocol,
    ).toBe('chat');
  });

  test('step 1: a non-101 status is a HandshakeResponseError carrying status, text and headers', () => {
    const headers: Array<[string, string]> = [['WWW-Authenticate', 'Basic realm="x"']];
    const error = thrown(() =>
      validateServerResponse(
        { status: 401, statusText: 'Unauthorized', headers },
        { key: SAMPLE_KEY },
      ),
    );
    expect(error).toBeInstanceOf(HandshakeResponseError);
    const responseError = error as HandshakeResponseError;
    expect(responseError.code).toBe('WS_ERR_UNEXPECTED_STATUS');
    expect(responseError.status).toBe(401);
    expect(responseError.statusText).toBe('Unauthorized');
    expect(responseError.headers).toBe(headers);
    expect(responseError.message).toBe('Unexpected server response: 401 Unauthorized');

    const redirect = thrown(() =>
      validateServerResponse(
        { status: 302, headers: { location: 'wss://b/' } },
        { key: SAMPLE_KEY },
      ),
    ) as HandshakeResponseError;
    expect(redirect.statusText).toBe('');
    expect(redirect.message).toBe('Unexpected server response: 302');
    expect(redirect.status).toBe(302);
    expect(
      thrown(() => validateServerResponse({ ...response101(), status: 200 }, { key: SAMPLE_KEY }))
        .code,
    ).toBe('WS_ERR_UNEXPECTED_STATUS');
  });

  test.each([
    [
      [
        ['Connection', 'Upgrade'],
        ['Sec-WebSocket-Accept', SAMPLE_ACCEPT],
      ],
    ],
    [
      [
        ['Upgrade', 'h2c'],
        ['Connection', 'Upgrade'],
        ['Sec-WebSocket-Accept', SAMPLE_ACCEPT],
      ],
    ],
    [
      [
        ['Upgrade', 'websockets'],
        ['Connection', 'Upgrade'],
        ['Sec-WebSocket-Accept', SAMPLE_ACCEPT],
      ],
    ],
  ] as Array<[Array<[string, string]>]>)(
    'step 2: Upgrade must contain "websocket" (%j)',
    (headers) => {
      expectResponseError(
        { status: 101, headers },
        { key: SAMPLE_KEY },
        'WS_ERR_INVALID_UPGRADE_HEADER',
        'The response Upgrade header does not contain "websocket"',
      );
    },
  );

  test.each([
    [
      [
        ['Upgrade', 'websocket'],
        ['Sec-WebSocket-Accept', SAMPLE_ACCEPT],
      ],
    ],
    [
      [
        ['Upgrade', 'websocket'],
        ['Connection', 'keep-alive'],
        ['Sec-WebSocket-Accept', SAMPLE_ACCEPT],
      ],
    ],
  ] as Array<[Array<[string, string]>]>)(
    'step 3: Connection must contain "Upgrade" (%j)',
    (headers) => {
      expectResponseError(
        { status: 101, headers },
        { key: SAMPLE_KEY },
        'WS_ERR_INVALID_CONNECTION_HEADER',
        'The response Connection header does not contain "Upgrade"',
      );
    },
  );

  test('step 4: Sec-WebSocket-Accept must be present and match the key', () => {
    expectResponseError(
      {
        status: 101,
        headers: [
          ['Upgrade', 'websocket'],
          ['Connection', 'Upgrade'],
        ],
      },
      { key: SAMPLE_KEY },
      'WS_ERR_INVALID_ACCEPT',
      'The response has no Sec-WebSocket-Accept header',
    );
    expectResponseError(
      response101(),
      { key: 'AAAAAAAAAAAAAAAAAAAAAA==' },
      'WS_ERR_INVALID_ACCEPT',
      'The response Sec-WebSocket-Accept header does not match the key',
    );
    expectResponseError(
      response101([['Sec-WebSocket-Accept', SAMPLE_ACCEPT]]),
      { key: SAMPLE_KEY },
      'WS_ERR_INVALID_ACCEPT',
      'The response Sec-WebSocket-Accept header does not match the key',
    );
  });

  test('step 5: only offered extensions may be accepted; parameters are left to the extension', () => {
    const offered = { key: SAMPLE_KEY, extensions: [{ name: 'permessage-deflate', params: [] }] };
    expect(
      validateServerResponse(
        response101([['Sec-WebSocket-Extensions', 'permessage-deflate; anything=1']]),
        offered,
      ).extensions,
    ).toEqual([{ name: 'permessage-deflate', params: [['anything', '1']] }]);
    expectResponseError(
      response101([['Sec-WebSocket-Extensions', 'permessage-deflate, x-webkit-deflate-frame']]),
      offered,
      'WS_ERR_UNEXPECTED_EXTENSION',
      'The server accepted the extension "x-webkit-deflate-frame", which was not offered',
    );
    expectResponseError(
      response101([['Sec-WebSocket-Extensions', 'permessage-deflate']]),
      { key: SAMPLE_KEY },
      'WS_ERR_UNEXPECTED_EXTENSION',
      'The server accepted the extension "permessage-deflate", which was not offered',
    );
    expectResponseError(
      response101([['Sec-WebSocket-Extensions', 'permessage-deflate;']]),
      offered,
      'WS_ERR_INVALID_EXTENSION',
      'Invalid Sec-WebSocket-Extensions header: expected a parameter name at index 19',
    );
  });

  test('step 6: a selected subprotocol must be one offered', () => {
    const offered = { key: SAMPLE_KEY, protocols: ['chat', 'superchat'] };
    expect(
      validateServerResponse(response101([['Sec-WebSocket-Protocol', 'chat']]), offered).protocol,
    ).toBe('chat');
    expect(validateServerResponse(response101(), offered).protocol).toBe('');
    expectResponseError(
      response101([['Sec-WebSocket-Protocol', 'Chat']]),
      offered,
      'WS_ERR_UNEXPECTED_SUBPROTOCOL',
      'The server selected the subprotocol "Chat", which was not offered',
    );
    expectResponseError(
      response101([['Sec-WebSocket-Protocol', '']]),
      offered,
      'WS_ERR_UNEXPECTED_SUBPROTOCOL',
      'The server selected the subprotocol "", which was not offered',
    );
  });

  test('step 6: a subprotocol when none was offered fails', () => {
    for (const protocols of [undefined, []]) {
      expectResponseError(
        response101([['Sec-WebSocket-Protocol', 'chat']]),
        { key: SAMPLE_KEY, protocols },
        'WS_ERR_UNEXPECTED_SUBPROTOCOL',
        'The server selected a subprotocol, but none was offered',
      );
    }
  });

  test('step 6: more than one selected subprotocol fails, as one line or two', () => {
    const offered = { key: SAMPLE_KEY, protocols: ['chat', 'superchat'] };
    for (const extra of [
      [['Sec-WebSocket-Protocol', 'chat, superchat']],
      [
        ['Sec-WebSocket-Protocol', 'chat'],
        ['sec-websocket-protocol', 'chat'],
      ],
    ] as Array<Array<[string, string]>>) {
      expectResponseError(
        response101(extra),
        offered,
        'WS_ERR_UNEXPECTED_SUBPROTOCOL',
        'The server selected more than one subprotocol',
      );
    }
  });
});
