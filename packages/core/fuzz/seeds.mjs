/**
 * Hand-made valid inputs per target: the fuzzer starts from these (and the committed corpus)
 * and mutates its way into the parsers' error paths. The first byte of a frames input selects
 * the role and the message limit (see targets.mjs).
 */
import { deflateRawSync } from 'node:zlib';

export function createSeeds(core) {
  const { Connection } = core;

  /** A byte stream as an endpoint of `role` sends it, built by the core's own send path. */
  function stream(role, actions) {
    const connection = new Connection({ role, handler: { onMessage() {} } });
    for (const action of actions) action(connection);
    return Buffer.concat(connection.takeOutput());
  }

  const withSelector = (selector, bytes) => Buffer.concat([Buffer.from([selector]), bytes]);
  const actions = [
    [(c) => c.sendText('')],
    [(c) => c.sendText('héllo, wörld ✓ 🎉')],
    [(c) => c.sendBinary(Uint8Array.from({ length: 300 }, (_, i) => i & 0xff))],
    [(c) => c.sendBinary(new Uint8Array(70_000))],
    [(c) => c.sendPing('ping'), (c) => c.sendPong('')],
    [
      (c) => c.sendFragment('frag', { fin: false }),
      (c) => c.sendPing('in between'),
      (c) => c.sendFragment('mented', { fin: true }),
    ],
    [(c) => c.close(1000, 'bye')],
    [(c) => c.sendText('a'), (c) => c.close(4000, 'reason ✓')],
  ];
  const frames = [];
  for (const list of actions) {
    // Selector: bit 0 role (0 server receives client frames), bits 1-2 the message limit.
    frames.push(withSelector(0b110, stream('client', list)));
    frames.push(withSelector(0b111, stream('server', list)));
  }

  /** A compressed message frame (RFC 7692 §7.2.1: RSV1 on the first frame, trailer removed). */
  function compressed(role, text) {
    const deflated = deflateRawSync(Buffer.from(text), { finishFlush: 2 /* Z_SYNC_FLUSH */ });
    const body = deflated.subarray(0, deflated.length - 4);
    const connection = new Connection({
      role,
      perMessageCompression: true,
      handler: { onMessage() {} },
    });
    connection.sendCompressed(body, false);
    return Buffer.concat(connection.takeOutput());
  }
  const framesDeflate = [
    withSelector(0b110, compressed('client', 'hello hello hello hello')),
    withSelector(0b111, compressed('server', 'a'.repeat(2000))),
    withSelector(
      0b110,
      Buffer.concat([compressed('client', ''), stream('client', [(c) => c.sendText('plain')])]),
    ),
    ...frames.slice(0, 4),
  ];

  const request = [
    'GET /chat?room=1 HTTP/1.1',
    'Host: example.com',
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    'Origin: https://example.com',
    'Sec-WebSocket-Protocol: chat, superchat',
    'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits',
    '',
    '',
  ].join('\r\n');
  const response = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
    '',
    '',
  ].join('\r\n');
  const httpHead = [
    Buffer.concat([Buffer.from([0]), Buffer.from(request, 'latin1')]),
    Buffer.concat([Buffer.from([1]), Buffer.from(response, 'latin1')]),
    Buffer.concat([Buffer.from([0]), Buffer.from(`${request}\x81\x85abcd`, 'latin1')]),
    Buffer.concat([
      Buffer.from([1]),
      Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'),
    ]),
  ];

  const headerValues = [
    'permessage-deflate; client_max_window_bits; server_no_context_takeover',
    'permessage-deflate; server_max_window_bits=10, permessage-deflate',
    'foo; bar="baz", x-webkit-deflate-frame',
    'chat, superchat',
    'v1.chat.example.com,,  v2',
    'permessage-deflate; client_max_window_bits="15"',
  ].map((text) => Buffer.from(text, 'latin1'));

  const h2Request = [
    ':method: CONNECT',
    ':protocol: websocket',
    ':scheme: https',
    ':path: /chat?room=1',
    ':authority: example.com:8443',
    'sec-websocket-version: 13',
    'origin: https://example.com',
    'sec-websocket-protocol: chat, superchat',
    'sec-websocket-extensions: permessage-deflate; client_max_window_bits',
  ].join('\n');
  const h2Headers = [
    Buffer.concat([Buffer.from([0]), Buffer.from(h2Request, 'latin1')]),
    Buffer.concat([Buffer.from([0]), Buffer.from(h2Request.replace('13', '8'), 'latin1')]),
    Buffer.concat([
      Buffer.from([1, 0, 200]),
      Buffer.from(
        'sec-websocket-protocol: chat\nsec-websocket-extensions: permessage-deflate; client_max_window_bits=12',
        'latin1',
      ),
    ]),
    Buffer.concat([Buffer.from([1, 1, 0x94]), Buffer.from('content-type: text/plain', 'latin1')]),
  ];

  const closePayload = [
    new Uint8Array(0),
    Buffer.from([0x03, 0xe8]),
    Buffer.concat([Buffer.from([0x0f, 0xa0]), Buffer.from('going away ✓')]),
    Buffer.from([0x03, 0xed]),
    Buffer.from([0x03, 0xe8, 0xc3]),
  ];

  const utf8 = [
    Buffer.from('plain ascii'),
    Buffer.from('é ✓ 🎉 𐍈'),
    Buffer.from([0xed, 0x9f, 0xbf]),
    Buffer.from([0xf4, 0x8f, 0xbf, 0xbf]),
    Buffer.from([0xc3]),
  ];

  return {
    frames,
    'frames-deflate': framesDeflate,
    'http-head': httpHead,
    'header-values': headerValues,
    'h2-headers': h2Headers,
    'close-payload': closePayload,
    utf8,
  };
}
