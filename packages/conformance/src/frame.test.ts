import { describe, expect, test } from 'vitest';
import { hex } from './bytes.js';
import { closePayload, encodeFrame, FrameParser, fragmentMessage, Opcode } from './frame.js';

const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('encodeFrame (RFC 6455 §5.2)', () => {
  test('§5.7: an unmasked "Hello" text frame', () => {
    expect(toHex(encodeFrame({ opcode: Opcode.text, payload: 'Hello' }, { mask: false }))).toBe(
      '810548656c6c6f',
    );
  });

  test('§5.7: a masked "Hello" text frame', () => {
    const frame = encodeFrame(
      { opcode: Opcode.text, payload: 'Hello' },
      { mask: true, maskingKey: hex('37fa213d') },
    );
    expect(toHex(frame)).toBe('818537fa213d7f9f4d5158');
  });

  test('16-bit and 64-bit lengths', () => {
    expect(
      toHex(
        encodeFrame({ opcode: 2, payload: new Uint8Array(126) }, { mask: false }).subarray(0, 4),
      ),
    ).toBe('827e007e');
    expect(
      toHex(
        encodeFrame({ opcode: 2, payload: new Uint8Array(65536) }, { mask: false }).subarray(0, 10),
      ),
    ).toBe('827f0000000000010000');
  });

  test('any header bits, a lying length and the wrong masking', () => {
    const frame = encodeFrame(
      {
        opcode: 0xb,
        fin: false,
        rsv1: true,
        rsv2: true,
        rsv3: true,
        payload: 'x',
        declaredLength: 2n ** 63n,
        wrongMasking: true,
      },
      { mask: false },
    );
    expect(toHex(frame.subarray(0, 10))).toBe('7bff8000000000000000');
    expect(frame.length).toBe(2 + 8 + 4 + 1);
  });

  test('fragmentMessage splits into continuation frames and keeps first-frame bits', () => {
    const frames = fragmentMessage(Opcode.text, 'abcde', 2, { rsv1: true });
    expect(frames.map((frame) => [frame.opcode, frame.fin, frame.rsv1 === true])).toEqual([
      [1, false, true],
      [0, false, false],
      [0, true, false],
    ]);
    expect(fragmentMessage(Opcode.binary, '', 10)).toHaveLength(1);
  });

  test('closePayload', () => {
    expect(toHex(closePayload(1000, 'ok'))).toBe('03e86f6b');
    expect(closePayload()).toHaveLength(0);
  });
});

describe('FrameParser', () => {
  test('parses frames fed one byte at a time, unmasking masked ones', () => {
    const bytes = Buffer.concat([
      encodeFrame({ opcode: Opcode.text, payload: 'Hello' }, { mask: true }),
      encodeFrame({ opcode: Opcode.ping, payload: '' }, { mask: false }),
      encodeFrame(
        { opcode: Opcode.binary, payload: new Uint8Array(70000).fill(7), fin: false },
        { mask: true },
      ),
    ]);
    const parser = new FrameParser();
    const frames = [];
    for (const byte of bytes) frames.push(...parser.push(Uint8Array.of(byte)));
    expect(
      frames.map((frame) => [frame.opcode, frame.masked, frame.fin, frame.payload.length]),
    ).toEqual([
      [1, true, true, 5],
      [9, false, true, 0],
      [2, true, false, 70000],
    ]);
    expect(Buffer.from(frames[0]?.payload ?? []).toString()).toBe('Hello');
    expect(frames[2]?.payload.every((byte) => byte === 7)).toBe(true);
    expect(parser.bufferedBytes).toBe(0);
  });

  test('gives up on a length it cannot buffer', () => {
    const parser = new FrameParser(1024);
    expect(parser.push(hex('827f0000000000100000'))).toEqual([]);
    expect(parser.error).toMatch(/1048576 bytes/);
  });
});
