import { describe, expect, test } from 'vitest';
import { WebSocketError } from '../errors.js';
import { defaultRandomBytes } from '../random.js';
import { computeAccept, generateKey, isValidKey, WEBSOCKET_GUID } from './accept-key.js';
import { sha1 } from './sha1.js';

describe('RFC 6455 §4.1 client key generation', () => {
  test('16 injected bytes are base64-encoded', () => {
    const key = generateKey((length) => Uint8Array.from({ length }, (_, index) => index));
    expect(key).toBe('AAECAwQFBgcICQoLDA0ODw==');
    expect(isValidKey(key)).toBe(true);
  });

  test('the RFC 6455 §1.3 sample nonce', () => {
    expect(generateKey(() => new TextEncoder().encode('the sample nonce'))).toBe(
      'dGhlIHNhbXBsZSBub25jZQ==',
    );
  });

  test('asks the randomness source for exactly 16 bytes', () => {
    const requested: number[] = [];
    generateKey((length) => {
      requested.push(length);
      return new Uint8Array(length);
    });
    expect(requested).toEqual([16]);
  });

  test('the default source uses crypto.getRandomValues and gives fresh keys', () => {
    expect(defaultRandomBytes(16)).toHaveLength(16);
    const first = generateKey();
    const second = generateKey();
    expect(isValidKey(first)).toBe(true);
    expect(first).not.toBe(second);
  });

  test('a randomness source returning the wrong length is a WS_ERR_INVALID_ARGUMENT', () => {
    expect(() => generateKey(() => new Uint8Array(15))).toThrow(
      expect.objectContaining({ code: 'WS_ERR_INVALID_ARGUMENT' }),
    );
    let caught: unknown;
    try {
      generateKey(() => [1, 2] as unknown as Uint8Array);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WebSocketError);
    expect((caught as WebSocketError).code).toBe('WS_ERR_INVALID_ARGUMENT');
  });
});

describe('RFC 6455 §4.2.2 Sec-WebSocket-Accept computation', () => {
  test('the RFC 6455 §1.3 example pair', () => {
    expect(computeAccept('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  test('the GUID is the one from RFC 6455 §1.3', () => {
    expect(WEBSOCKET_GUID).toBe('258EAFA5-E914-47DA-95CA-C5AB0DC85B11');
  });

  test('an injected digest receives key + GUID', () => {
    const seen: string[] = [];
    const accept = computeAccept('abc', (data) => {
      seen.push(new TextDecoder().decode(data));
      return sha1(data);
    });
    expect(seen).toEqual([`abc${WEBSOCKET_GUID}`]);
    expect(accept).toBe(computeAccept('abc'));
  });
});

describe('RFC 6455 §4.2.1 item 5 key validation', () => {
  test.each([
    ['dGhlIHNhbXBsZSBub25jZQ==', true],
    ['AAAAAAAAAAAAAAAAAAAAAA==', true],
    ['dGhlIHNhbXBsZSBub25jZQ', false], // no padding
    ['dGhlIHNhbXBsZSBub25jZSE=', false], // 17 bytes
    ['dGhlIHNhbXBsZSBub25j', false], // 15 bytes
    ['dGhlIHNhbXBsZSBub25jZQ==, dGhlIHNhbXBsZSBub25jZQ==', false], // two keys joined
    [' dGhlIHNhbXBsZSBub25jZQ==', false],
    ['', false],
  ])('%j is valid: %s', (key, valid) => {
    expect(isValidKey(key)).toBe(valid);
  });
});
