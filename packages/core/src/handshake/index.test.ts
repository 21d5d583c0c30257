import { describe, expect, test } from 'vitest';
import * as handshake from './index.js';
import {
  buildAcceptResponse,
  buildRejectResponse,
  createClientRequest,
  HandshakeResponseError,
  HttpHeadParser,
  validateClientRequest,
  validateServerResponse,
} from './index.js';

describe('RFC 6455 §4 handshake public API', () => {
  test('exports exactly the public functions and classes', () => {
    expect(Object.keys(handshake).sort()).toEqual(
      [
        'HandshakeResponseError',
        'HttpHeadParser',
        'WEBSOCKET_GUID',
        'buildAcceptResponse',
        'buildH2AcceptResponse',
        'createH2ClientRequest',
        'isH2WebSocketRequest',
        'toH2RejectResponse',
        'validateH2ClientRequest',
        'validateH2ServerResponse',
        'buildRejectResponse',
        'computeAccept',
        'createClientRequest',
        'createRejectResponse',
        'decodeBase64',
        'encodeBase64',
        'formatExtensions',
        'generateKey',
        'headerHasToken',
        'headerView',
        'isToken',
        'isValidKey',
        'parseExtensions',
        'parseSubprotocols',
        'sha1',
        'validateClientRequest',
        'validateServerResponse',
      ].sort(),
    );
  });
});

describe('RFC 6455 §4.1 + §4.2 a client and a server handshake in memory', () => {
  test('request bytes → server → 101 bytes with a frame in the same chunk → client', () => {
    const request = createClientRequest({
      url: 'wss://example.com:8443/chat?room=1',
      protocols: ['v2.chat', 'v1.chat'],
      extensions: [{ name: 'permessage-deflate', params: [['client_max_window_bits', true]] }],
      origin: 'https://example.com',
      headers: [['Cookie', 'session=1']],
    });

    // Server: parse the bytes as they arrive in two pieces, then validate.
    const serverParser = new HttpHeadParser({ kind: 'request' });
    const requestBytes = request.toBytes();
    expect(serverParser.feed(requestBytes.subarray(0, 10))).toBeUndefined();
    const received = serverParser.feed(requestBytes.subarray(10));
    expect(received?.head.target).toBe('/chat?room=1');
    expect(received?.rest.length).toBe(0);
    const validated = validateClientRequest(received!.head);
    expect(validated).toEqual({
      key: request.key,
      protocols: ['v2.chat', 'v1.chat'],
      extensions: [{ name: 'permessage-deflate', params: [['client_max_window_bits', true]] }],
      origin: 'https://example.com',
    });

    const accept = buildAcceptResponse({
      key: validated.key,
      protocol: validated.protocols[0],
      extensions: [{ name: 'permessage-deflate', params: [['client_max_window_bits', '15']] }],
    });
    const head = accept.toBytes();
    const textFrame = new Uint8Array([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]); // "Hello"
    const wire = new Uint8Array(head.length + textFrame.length);
    wire.set(head);
    wire.set(textFrame, head.length);

    // Client: parse the reply, keep the frame bytes, validate against what was offered.
    const parsed = new HttpHeadParser({ kind: 'response' }).feed(wire);
    expect(parsed?.rest).toEqual(textFrame);
    expect(validateServerResponse(parsed!.head, request)).toEqual({
      protocol: 'v2.chat',
      extensions: [{ name: 'permessage-deflate', params: [['client_max_window_bits', '15']] }],
    });
  });

  test('a server rejection reaches the client as a HandshakeResponseError', () => {
    const request = createClientRequest({ url: 'ws://example.com/' });
    const serverParser = new HttpHeadParser({ kind: 'request' });
    const head = serverParser.feed(request.toBytes())!.head;
    let rejection: Uint8Array | undefined;
    try {
      validateClientRequest({
        ...head,
        headers: head.headers.filter(([name]) => name !== 'Sec-WebSocket-Version'),
      });
    } catch (error) {
      rejection = buildRejectResponse(error as Error);
    }
    const parsed = new HttpHeadParser({ kind: 'response' }).feed(rejection!);
    expect(new TextDecoder().decode(parsed?.rest)).toBe(
      'The Sec-WebSocket-Version header is missing',
    );
    let caught: unknown;
    try {
      validateServerResponse(parsed!.head, request);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HandshakeResponseError);
    expect((caught as HandshakeResponseError).status).toBe(400);
    expect(
      handshake.headerView((caught as HandshakeResponseError).headers).get('sec-websocket-version'),
    ).toBe('13');
  });
});
