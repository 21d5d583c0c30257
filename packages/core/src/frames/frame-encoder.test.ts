import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { concat, hex, toHex } from '../../test/peers.js';
import { encodeFrame, encodeTextFrame, headerSize } from './frame-encoder.js';
import { Opcode } from './opcodes.js';

const MASK = hex('37fa213d');

describe('RFC 6455 §5.7 example frames, encoded byte for byte', () => {
  test('a single-frame unmasked text message "Hello"', () => {
    expect(toHex(concat(encodeTextFrame(Opcode.TEXT, 'Hello', true, undefined)))).toBe(
      '810548656c6c6f',
    );
  });

  test('a single-frame masked text message "Hello"', () => {
    expect(toHex(concat(encodeTextFrame(Opcode.TEXT, 'Hello', true, MASK)))).toBe(
      '818537fa213d7f9f4d5158',
    );
  });

  test('a fragmented unmasked text message "Hel" + "lo"', () => {
    expect(toHex(concat(encodeTextFrame(Opcode.TEXT, 'Hel', false, undefined)))).toBe('010348656c');
    expect(toHex(concat(encodeTextFrame(Opcode.CONTINUATION, 'lo', true, undefined)))).toBe(
      '80026c6f',
    );
  });

  test('an unmasked ping and a masked pong carrying "Hello"', () => {
    const hello = new TextEncoder().encode('Hello');
    expect(toHex(concat(encodeFrame(Opcode.PING, hello, true, false, undefined)))).toBe(
      '890548656c6c6f',
    );
    expect(toHex(concat(encodeFrame(Opcode.PONG, hello, true, false, MASK)))).toBe(
      '8a8537fa213d7f9f4d5158',
    );
  });

  test('256 bytes of binary data in a single unmasked frame: 16-bit length', () => {
    const frame = concat(encodeFrame(Opcode.BINARY, new Uint8Array(256), true, false, undefined));
    expect(toHex(frame.subarray(0, 4))).toBe('827e0100');
    expect(frame.length).toBe(4 + 256);
  });

  test('64 KiB binary data in a single unmasked frame: 64-bit length', () => {
    const frame = concat(encodeFrame(Opcode.BINARY, new Uint8Array(65536), true, false, undefined));
    expect(toHex(frame.subarray(0, 10))).toBe('827f0000000000010000');
    expect(frame.length).toBe(10 + 65536);
  });
});

describe('RFC 6455 §5.2 payload length encoding', () => {
  test.each([
    [0, 2],
    [125, 2],
    [126, 4],
    [65535, 4],
    [65536, 10],
  ])('a %i-byte payload uses the minimal %i-byte header', (length, size) => {
    expect(headerSize(length, false)).toBe(size);
    expect(headerSize(length, true)).toBe(size + 4);
    const frame = concat(
      encodeFrame(Opcode.BINARY, new Uint8Array(length), true, false, undefined),
    );
    expect(frame.length).toBe(size + length);
  });

  test('text frames pick the minimal length form whatever the UTF-8 size', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.boolean(), (s, masked) => {
        const payload = new TextEncoder().encode(s);
        const frame = concat(encodeTextFrame(Opcode.TEXT, s, true, masked ? MASK : undefined));
        expect(frame.length).toBe(headerSize(payload.length, masked) + payload.length);
      }),
    );
  });

  test('large payloads are passed through as a second chunk, not copied', () => {
    const payload = new Uint8Array(100_000);
    const chunks = encodeFrame(Opcode.BINARY, payload, true, false, undefined);
    expect(chunks).toHaveLength(2);
    expect(chunks[1]).toBe(payload);
  });

  test('masking copies: the caller’s buffer is never modified', () => {
    const payload = new Uint8Array([1, 2, 3, 4, 5]);
    encodeFrame(Opcode.BINARY, payload, true, false, MASK);
    expect(Array.from(payload)).toEqual([1, 2, 3, 4, 5]);
  });

  test('RSV1 and FIN bits are set as asked', () => {
    const [frame] = encodeFrame(Opcode.TEXT, new Uint8Array(1), false, true, undefined);
    expect((frame as Uint8Array)[0]).toBe(0x41);
  });
});
