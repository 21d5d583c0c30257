import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { WebSocketError } from '../errors.js';
import { headerView } from './headers.js';
import { type HttpHeadKind, HttpHeadParser } from './http-head-parser.js';

const bytes = (text: string) => Uint8Array.from(text, (character) => character.charCodeAt(0));

function thrown(run: () => unknown): WebSocketError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebSocketError);
    return error as WebSocketError;
  }
  throw new Error('expected a WebSocketError');
}

function expectInvalid(kind: HttpHeadKind, text: string, message: string): void {
  const parser = new HttpHeadParser({ kind });
  const error = thrown(() => parser.feed(bytes(text)));
  expect(error.code).toBe('WS_ERR_INVALID_HTTP');
  expect(error.status).toBe(400);
  expect(error.message).toBe(`Invalid HTTP ${kind} head: ${message}`);
}

const RESPONSE =
  'HTTP/1.1 101 Switching Protocols\r\n' +
  'Upgrade: websocket\r\n' +
  'Connection: Upgrade\r\n' +
  'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n' +
  '\r\n';

const REQUEST =
  'GET /chat?room=1 HTTP/1.1\r\n' +
  'Host: server.example.com\r\n' +
  'Upgrade: websocket\r\n' +
  'Connection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
  'Sec-WebSocket-Version: 13\r\n' +
  '\r\n';

const EXPECTED_RESPONSE = {
  httpVersion: '1.1',
  status: 101,
  statusText: 'Switching Protocols',
  headers: [
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
  ],
};

describe('RFC 7230 §3 / RFC 6455 §4.1 response head parsing', () => {
  test('a whole 101 in one chunk, with the first frame bytes returned as rest', () => {
    const parser = new HttpHeadParser({ kind: 'response' });
    const chunk = bytes(`${RESPONSE}\x81\x05Hello`);
    const parsed = parser.feed(chunk);
    expect(parsed?.head).toEqual(EXPECTED_RESPONSE);
    expect(parsed?.rest).toEqual(bytes('\x81\x05Hello'));
    expect(parsed?.rest.buffer).toBe(chunk.buffer); // a view, not a copy
    expect(headerView(parsed!.head.headers).get('sec-websocket-accept')).toBe(
      's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
    );
  });

  test('rest is empty when the chunk ends with the head', () => {
    expect(new HttpHeadParser({ kind: 'response' }).feed(bytes(RESPONSE))?.rest).toEqual(
      new Uint8Array(0),
    );
  });

  test('byte-by-byte feeding returns undefined until the final LF', () => {
    const parser = new HttpHeadParser({ kind: 'response' });
    const all = bytes(RESPONSE);
    for (let index = 0; index < all.length - 1; index++) {
      expect(parser.feed(all.subarray(index, index + 1))).toBeUndefined();
    }
    const parsed = parser.feed(all.subarray(all.length - 1));
    expect(parsed?.head).toEqual(EXPECTED_RESPONSE);
    expect(parsed?.rest).toEqual(new Uint8Array(0));
  });

  test('property: any split into chunks gives the same head and rest', () => {
    const all = bytes(`${RESPONSE}\x88\x02\x03\xe8`);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: all.length - 1 }), { maxLength: 20 }),
        (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), all.length];
          const parser = new HttpHeadParser({ kind: 'response' });
          let parsed: ReturnType<typeof parser.feed>;
          const restParts: number[] = [];
          for (let index = 0; index + 1 < points.length; index++) {
            const chunk = all.subarray(points[index], points[index + 1]);
            if (parsed === undefined) parsed = parser.feed(chunk);
            else restParts.push(...chunk);
            if (parsed !== undefined && restParts.length === 0) restParts.push(...parsed.rest);
          }
          expect(parsed?.head).toEqual(EXPECTED_RESPONSE);
          expect(restParts).toEqual([0x88, 0x02, 0x03, 0xe8]);
        },
      ),
    );
  });

  test('property: obs-text bytes (0x80-0xff) read as ISO-8859-1 however the head is split', () => {
    // 0x80-0x9f are where a windows-1252 decoder would differ from ISO-8859-1.
    const valueByte = fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }),
      fc.integer({ min: 0x80, max: 0xff }),
    );
    const value = fc
      .array(valueByte, { maxLength: 12 })
      // OWS around a value is not part of it (RFC 7230 §3.2); String#trim would take NBSP too.
      .map((codes) => String.fromCharCode(...codes).replace(/^ +| +$/g, ''));
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 4 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { maxLength: 8 }),
        (values, cuts) => {
          const text = `HTTP/1.1 101 OK\r\n${values.map((v, i) => `X-${i}: ${v}\r\n`).join('')}\r\n`;
          const all = bytes(`${text}\x81`);
          const points = [0, ...cuts.filter((cut) => cut < all.length).sort((a, b) => a - b)];
          const parser = new HttpHeadParser({ kind: 'response' });
          let parsed: ReturnType<typeof parser.feed>;
          let index = 0;
          for (; index < points.length && parsed === undefined; index++) {
            parsed = parser.feed(all.subarray(points[index], points[index + 1] ?? all.length));
          }
          expect(parsed?.head.headers).toEqual(values.map((v, i) => [`X-${i}`, v]));
          // The byte after the head: in the rest, or in the chunk after it.
          const after = parsed?.rest.length ? parsed.rest : all.subarray(points[index] ?? 0);
          expect([...after]).toEqual([0x81]);
        },
      ),
    );
  });

  test('property: any bytes give the same head or the same error, whole or split', () => {
    const outcome = (chunks: Uint8Array[]): unknown => {
      const parser = new HttpHeadParser({ kind: 'request', maxHeadBytes: 64, maxHeaderCount: 3 });
      try {
        for (const chunk of chunks) {
          const parsed = parser.feed(chunk);
          if (parsed !== undefined) return parsed.head;
        }
        return 'incomplete';
      } catch (error) {
        return (error as Error).message;
      }
    };
    // Mostly the characters that matter to the framing, so that heads end and fail often.
    const piece = fc.constantFrom('GET / HTTP/1.1', '\r\n', '\r', '\n', 'A: b', ' ', ':', '\x85');
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 14 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 80 }), { maxLength: 6 }),
        (pieces, cuts) => {
          const all = bytes(pieces.join(''));
          const points = [0, ...cuts.filter((cut) => cut < all.length).sort((a, b) => a - b)];
          const chunks = points.map((point, index) => all.subarray(point, points[index + 1]));
          expect(outcome(chunks)).toEqual(outcome([all]));
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('a head split with CR and LF in different chunks', () => {
    const parser = new HttpHeadParser({ kind: 'response' });
    expect(parser.feed(bytes('HTTP/1.1 101 OK\r'))).toBeUndefined();
    expect(parser.feed(bytes('\nUpgrade: websocket\r'))).toBeUndefined();
    expect(parser.feed(bytes('\n\r'))).toBeUndefined();
    expect(parser.feed(bytes('\nrest'))).toEqual({
      head: {
        httpVersion: '1.1',
        status: 101,
        statusText: 'OK',
        headers: [['Upgrade', 'websocket']],
      },
      rest: bytes('rest'),
    });
  });

  test('an empty chunk changes nothing', () => {
    const parser = new HttpHeadParser({ kind: 'response' });
    expect(parser.feed(new Uint8Array(0))).toBeUndefined();
    expect(parser.feed(bytes(RESPONSE))?.head.status).toBe(101);
  });

  test('status lines: empty or missing reason phrase, other versions and statuses', () => {
    const parse = (line: string) =>
      new HttpHeadParser({ kind: 'response' }).feed(bytes(`${line}\r\n\r\n`))?.head;
    expect(parse('HTTP/1.1 101')).toEqual({
      httpVersion: '1.1',
      status: 101,
      statusText: '',
      headers: [],
    });
    expect(parse('HTTP/1.1 101 ')).toEqual({
      httpVersion: '1.1',
      status: 101,
      statusText: '',
      headers: [],
    });
    expect(parse('HTTP/1.0 401 Unauthorized')).toEqual({
      httpVersion: '1.0',
      status: 401,
      statusText: 'Unauthorized',
      headers: [],
    });
    expect(parse('HTTP/1.1 302 Found \tnow\u00e9')?.statusText).toBe('Found \tnow\u00e9');
  });

  test('header values: OWS trimmed, empty allowed, original case and order kept, duplicates kept', () => {
    const parser = new HttpHeadParser({ kind: 'response' });
    const head = parser.feed(
      bytes('HTTP/1.1 101 OK\r\nX-A:  one \t\r\nx-empty:\r\nX-A:two\r\nX-Latin: caf\xe9\r\n\r\n'),
    )?.head;
    expect(head?.headers).toEqual([
      ['X-A', 'one'],
      ['x-empty', ''],
      ['X-A', 'two'],
      ['X-Latin', 'café'],
    ]);
  });

  test.each([
    ['HTTP/1.1 101 OK\nUpgrade: websocket\r\n\r\n', 'a bare LF line ending'],
    ['HTTP/1.1 101 OK\r\nUpgrade: websocket\n\n', 'a bare LF line ending'],
    ['HTTP/1.1 101 OK\rUpgrade: websocket\r\n\r\n', 'a CR not followed by LF'],
    ['\r\nHTTP/1.1 101 OK\r\n\r\n', 'an empty line before the start line'],
    [
      'HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n continued\r\n\r\n',
      'an obs-fold continuation line (RFC 7230 §3.2.4)',
    ],
    ['HTTP/1.1 101 OK\r\n\tcontinued\r\n\r\n', 'an obs-fold continuation line (RFC 7230 §3.2.4)'],
    ['HTTP/1.1 101 OK\r\nUpgrade : websocket\r\n\r\n', 'a header line whose name is not a token'],
    ['HTTP/1.1 101 OK\r\nNo colon here\r\n\r\n', 'a header line whose name is not a token'],
    ['HTTP/1.1 101 OK\r\n: value\r\n\r\n', 'a header line whose name is not a token'],
    ['HTTP/1.1 101 OK\r\nX-Nul: a\0b\r\n\r\n', 'a control character in the X-Nul header'],
    ['HTTP/1.1 101 OK\r\nX-Del: a\x7fb\r\n\r\n', 'a control character in the X-Del header'],
    ['HTTP/1.1 101\tOK\r\n\r\n', 'a malformed status line'],
    ['HTTP/1.1 10 OK\r\n\r\n', 'a malformed status line'],
    ['HTTP/1.1 1011 OK\r\n\r\n', 'a malformed status line'],
    ['HTTP/1.1 1x1 OK\r\n\r\n', 'a malformed status line'],
    ['HTTP/1.1  101 OK\r\n\r\n', 'a malformed status line'],
    ['http/1.1 101 OK\r\n\r\n', 'a malformed status line'],
    ['HTTP/11 101 OK\r\n\r\n', 'a malformed status line'],
    ['HTTP/1.x 101 OK\r\n\r\n', 'a malformed status line'],
    ['HTTP/x.1 101 OK\r\n\r\n', 'a malformed status line'],
    ['HTTP/1,1 101 OK\r\n\r\n', 'a malformed status line'],
    ['HTTP/1.1 101 O\x01K\r\n\r\n', 'a malformed status line'],
    ['GET / HTTP/1.1\r\n\r\n', 'a malformed status line'],
  ])('rejects %j', (text, message) => {
    expectInvalid('response', text, message);
  });
});

describe('RFC 7230 §3.1.1 request head parsing', () => {
  test('a client opening handshake (RFC 6455 §1.3)', () => {
    const parsed = new HttpHeadParser({ kind: 'request' }).feed(bytes(REQUEST));
    expect(parsed?.head).toEqual({
      method: 'GET',
      target: '/chat?room=1',
      httpVersion: '1.1',
      headers: [
        ['Host', 'server.example.com'],
        ['Upgrade', 'websocket'],
        ['Connection', 'Upgrade'],
        ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
        ['Sec-WebSocket-Version', '13'],
      ],
    });
    expect(parsed?.rest).toEqual(new Uint8Array(0));
  });

  test('byte-by-byte feeding', () => {
    const parser = new HttpHeadParser({ kind: 'request' });
    const all = bytes(`${REQUEST}\x81`);
    let parsed: ReturnType<typeof parser.feed>;
    for (let index = 0; index < all.length && parsed === undefined; index++) {
      parsed = parser.feed(all.subarray(index, index + 1));
      if (parsed !== undefined) expect(index).toBe(all.length - 2);
    }
    expect(parsed?.head.method).toBe('GET');
    expect(parsed?.rest).toEqual(new Uint8Array(0));
  });

  test('any method token and absolute-form targets parse (the handshake judges them)', () => {
    const head = new HttpHeadParser({ kind: 'request' }).feed(
      bytes('POST http://a.example/x HTTP/1.0\r\n\r\n'),
    )?.head;
    expect(head).toEqual({
      method: 'POST',
      target: 'http://a.example/x',
      httpVersion: '1.0',
      headers: [],
    });
  });

  test.each([
    'GET /\r\n\r\n',
    'GET\r\n\r\n',
    'GET  / HTTP/1.1\r\n\r\n',
    'GET / HTTP/1.1 \r\n\r\n',
    'GET /a b HTTP/1.1\r\n\r\n',
    'G(T / HTTP/1.1\r\n\r\n',
    'GET /caf\xe9 HTTP/1.1\r\n\r\n',
    'GET /\x7f HTTP/1.1\r\n\r\n',
    'GET / HTTP/1.1x\r\n\r\n',
    'GET / HTTPS/1.1\r\n\r\n',
    'HTTP/1.1 101 OK\r\n\r\n',
  ])('rejects the request line %j', (text) => {
    expectInvalid('request', text, 'a malformed request line');
  });
});

describe('RFC 6585 §5 head limits (431 Request Header Fields Too Large)', () => {
  test('the byte limit counts the whole head, final CRLF included', () => {
    const size = bytes(REQUEST).length;
    expect(
      new HttpHeadParser({ kind: 'request', maxHeadBytes: size }).feed(bytes(`${REQUEST}xyz`))
        ?.rest,
    ).toEqual(bytes('xyz'));
    const parser = new HttpHeadParser({ kind: 'request', maxHeadBytes: size - 1 });
    const error = thrown(() => parser.feed(bytes(REQUEST)));
    expect(error.code).toBe('WS_ERR_HANDSHAKE_HEAD_TOO_BIG');
    expect(error.status).toBe(431);
    expect(error.message).toBe(`HTTP request head too big: the head exceeds ${size - 1} bytes`);
  });

  test('the default limit is 16 KiB, enforced across chunks before the head ends', () => {
    const parser = new HttpHeadParser({ kind: 'response' });
    expect(parser.feed(bytes('HTTP/1.1 101 OK\r\nX-Big: '))).toBeUndefined();
    expect(parser.feed(new Uint8Array(16384 - 24).fill(0x61))).toBeUndefined();
    const error = thrown(() => parser.feed(bytes('a')));
    expect(error.code).toBe('WS_ERR_HANDSHAKE_HEAD_TOO_BIG');
    expect(error.message).toBe('HTTP response head too big: the head exceeds 16384 bytes');
  });

  test('a 1 MiB line without a terminator fails at the limit', () => {
    const error = thrown(() =>
      new HttpHeadParser({ kind: 'request' }).feed(new Uint8Array(1 << 20).fill(0x61)),
    );
    expect(error.code).toBe('WS_ERR_HANDSHAKE_HEAD_TOO_BIG');
  });

  test('the header count limit (default 100)', () => {
    const lines = (count: number) =>
      Array.from({ length: count }, (_, index) => `X-${index}: v\r\n`).join('');
    expect(
      new HttpHeadParser({ kind: 'request' }).feed(bytes(`GET / HTTP/1.1\r\n${lines(100)}\r\n`))
        ?.head.headers,
    ).toHaveLength(100);
    const error = thrown(() =>
      new HttpHeadParser({ kind: 'request' }).feed(bytes(`GET / HTTP/1.1\r\n${lines(101)}\r\n`)),
    );
    expect(error.code).toBe('WS_ERR_HANDSHAKE_HEAD_TOO_BIG');
    expect(error.status).toBe(431);
    expect(error.message).toBe('HTTP request head too big: more than 100 header lines');
    const none = new HttpHeadParser({ kind: 'response', maxHeaderCount: 0 });
    expect(thrown(() => none.feed(bytes('HTTP/1.1 101 OK\r\nA: b\r\n\r\n'))).message).toBe(
      'HTTP response head too big: more than 0 header lines',
    );
  });
});

describe('HttpHeadParser lifecycle and options', () => {
  test('feeding after completion or failure throws WS_ERR_INVALID_STATE', () => {
    const done = new HttpHeadParser({ kind: 'response' });
    done.feed(bytes(RESPONSE));
    const afterDone = thrown(() => done.feed(bytes('x')));
    expect(afterDone.code).toBe('WS_ERR_INVALID_STATE');
    expect(afterDone.message).toBe('HttpHeadParser: the head is already complete');

    const failed = new HttpHeadParser({ kind: 'response' });
    expect(thrown(() => failed.feed(bytes('\n'))).code).toBe('WS_ERR_INVALID_HTTP');
    const afterFailure = thrown(() => failed.feed(bytes(RESPONSE)));
    expect(afterFailure.code).toBe('WS_ERR_INVALID_STATE');
    expect(afterFailure.message).toBe('HttpHeadParser: an earlier chunk was invalid');
  });

  test.each([
    [{ kind: 'reply' }, 'HttpHeadParser kind must be "request" or "response", got reply'],
    [{ kind: 'request', maxHeadBytes: 0 }, 'maxHeadBytes must be a positive integer, got 0'],
    [{ kind: 'request', maxHeadBytes: 1.5 }, 'maxHeadBytes must be a positive integer, got 1.5'],
    [
      { kind: 'request', maxHeaderCount: -1 },
      'maxHeaderCount must be a non-negative integer, got -1',
    ],
    [
      { kind: 'request', maxHeaderCount: Number.NaN },
      'maxHeaderCount must be a non-negative integer, got NaN',
    ],
  ])('rejects options %j', (options, message) => {
    const error = thrown(() => new HttpHeadParser(options as { kind: 'request' }));
    expect(error.code).toBe('WS_ERR_INVALID_ARGUMENT');
    expect(error.message).toBe(message);
  });
});
