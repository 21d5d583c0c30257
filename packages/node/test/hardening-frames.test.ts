/**
 * Hardening: every framing violation a client can send ends the connection with the right
 * close code from the real Node server over TCP (RFC 6455 §5.2, §5.4, §5.5, §7.4, §8.1).
 * The core's property tests fuzz the parser in memory; these prove the adapter reports it.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import type { WebSocketServer } from '../src/index.js';
import {
  closePayload,
  encodeFrame,
  Op,
  type RawClient,
  rawHandshake,
} from './helpers/raw-client.js';
import { TestScope } from './helpers/server.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

async function echoServer(): Promise<WebSocketServer> {
  const server = await scope.server({ maxMessageSize: 64 * 1024 });
  server.on('connection', (socket) =>
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })),
  );
  return server;
}

/** Reads frames until the server's close frame; returns its code (1005 when empty). */
async function closeCodeOf(client: RawClient): Promise<number> {
  const frame = await client.readFrameOf(Op.CLOSE);
  const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
  await client.closed;
  return code;
}

/** A masked frame with full control over the first byte and the length field. */
function rawFrame(firstByte: number, payload: Buffer, lengthOverride?: bigint): Buffer {
  const key = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (key[i & 3] as number)));
  if (lengthOverride !== undefined) {
    const head = Buffer.alloc(10);
    head[0] = firstByte;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(lengthOverride, 2);
    return Buffer.concat([head, key, masked]);
  }
  return Buffer.concat([Buffer.from([firstByte, 0x80 | payload.length]), key, masked]);
}

async function expectClose(send: (client: RawClient) => void, code: number): Promise<void> {
  const server = await echoServer();
  const client = scope.track(await rawHandshake(server.port));
  send(client);
  expect(await closeCodeOf(client)).toBe(code);
  // The server survives the violation and serves the next client.
  const next = scope.track(await rawHandshake(server.port));
  next.sendFrame({ opcode: Op.TEXT, payload: 'ok' });
  expect((await next.readFrameOf(Op.TEXT)).payload.toString()).toBe('ok');
}

describe('hardening: framing violations against the Node server', () => {
  test.each([3, 4, 5, 6, 7, 11, 12, 13, 14, 15])(
    'RFC 6455 §5.2: reserved opcode %i ends in 1002',
    (opcode) =>
      expectClose((client) => client.write(rawFrame(0x80 | opcode, Buffer.from('x'))), 1002),
  );

  test.each([
    ['RSV2', 0x20],
    ['RSV3', 0x10],
    ['RSV1 without an extension', 0x40],
  ])('RFC 6455 §5.2: %s set ends in 1002', (_name, bit) =>
    expectClose((client) => client.write(rawFrame(0x80 | bit | Op.TEXT, Buffer.from('x'))), 1002),
  );

  test('RFC 6455 §5.2: a 64-bit length with the most significant bit set ends in 1002', () =>
    expectClose(
      (client) => client.write(rawFrame(0x80 | Op.BINARY, Buffer.alloc(0), 0x8000000000000001n)),
      1002,
    ));

  test('RFC 6455 §5.1: an unmasked client frame ends in 1002', () =>
    expectClose(
      (client) => client.sendFrame({ opcode: Op.TEXT, payload: 'x', mask: false }),
      1002,
    ));

  test('RFC 6455 §5.5: a fragmented ping ends in 1002', () =>
    expectClose((client) => client.sendFrame({ opcode: Op.PING, payload: 'x', fin: false }), 1002));

  test('RFC 6455 §5.5: a 126-byte ping ends in 1002', () =>
    expectClose(
      (client) => client.sendFrame({ opcode: Op.PING, payload: Buffer.alloc(126) }),
      1002,
    ));

  test('RFC 6455 §5.5: a 126-byte close frame ends in 1002', () =>
    expectClose(
      (client) =>
        client.sendFrame({ opcode: Op.CLOSE, payload: closePayload(1000, 'r'.repeat(124)) }),
      1002,
    ));

  test('RFC 6455 §5.4: a continuation without a start ends in 1002', () =>
    expectClose((client) => client.sendFrame({ opcode: Op.CONTINUATION, payload: 'x' }), 1002));

  test('RFC 6455 §5.4: a new data frame inside a fragmented message ends in 1002', () =>
    expectClose((client) => {
      client.sendFrame({ opcode: Op.TEXT, payload: 'a', fin: false });
      client.sendFrame({ opcode: Op.TEXT, payload: 'b' });
    }, 1002));

  test.each([0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535])(
    'RFC 6455 §7.4.1: close code %i ends in 1002',
    (code) =>
      expectClose(
        (client) => client.sendFrame({ opcode: Op.CLOSE, payload: closePayload(code) }),
        1002,
      ),
  );

  test('RFC 6455 §5.5.1: a 1-byte close payload ends in 1002', () =>
    expectClose(
      (client) => client.sendFrame({ opcode: Op.CLOSE, payload: Buffer.from([3]) }),
      1002,
    ));

  test('RFC 6455 §8.1: invalid UTF-8 in a text message ends in 1007', () =>
    expectClose(
      (client) =>
        client.sendFrame({ opcode: Op.TEXT, payload: Buffer.from([0xce, 0xba, 0xff, 0xfe]) }),
      1007,
    ));

  test('RFC 6455 §8.1: invalid UTF-8 split across fragments ends in 1007', () =>
    expectClose((client) => {
      client.sendFrame({ opcode: Op.TEXT, payload: Buffer.from([0xf0, 0x90]), fin: false });
      client.sendFrame({ opcode: Op.CONTINUATION, payload: Buffer.from([0x28, 0x8c]) });
    }, 1007));

  test('RFC 6455 §7.1.6: invalid UTF-8 in a close reason ends in 1007', () =>
    expectClose(
      (client) =>
        client.sendFrame({
          opcode: Op.CLOSE,
          payload: Buffer.concat([closePayload(1000), Buffer.from([0xc0, 0xaf])]),
        }),
      1007,
    ));

  test('a valid close code (4000) with a reason is echoed with 4000, not a failure', async () => {
    const server = await echoServer();
    const client = scope.track(await rawHandshake(server.port));
    client.sendFrame({ opcode: Op.CLOSE, payload: closePayload(4000, 'bye') });
    expect(await closeCodeOf(client)).toBe(4000);
  });

  test('the raw encoder matches the helper for a sanity frame', () => {
    expect(encodeFrame({ opcode: Op.TEXT, payload: 'Hello', mask: false }).toString('hex')).toBe(
      '810548656c6c6f',
    );
  });
});
