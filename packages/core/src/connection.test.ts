import { describe, expect, test } from 'vitest';
import {
  concat,
  decode,
  drain,
  fixedRandom,
  hex,
  recordingConnection,
  text,
  toHex,
} from '../test/peers.js';
import { Connection, prepareServerMessage } from './connection.js';
import { encodeFrame } from './frames/frame-encoder.js';
import { Opcode } from './frames/opcodes.js';

const server = (options = {}) => recordingConnection({ role: 'server', ...options });
const client = (options = {}) =>
  recordingConnection({
    role: 'client',
    randomBytes: fixedRandom([0x37, 0xfa, 0x21, 0x3d]),
    ...options,
  });

/** A masked client frame, as a server receives it. */
function clientFrame(opcode: number, payload: Uint8Array, fin = true, rsv1 = false): Uint8Array {
  return concat(encodeFrame(opcode, payload, fin, rsv1, hex('01020304')));
}

describe('RFC 6455 §5.7 example frames, decoded', () => {
  test('a server reads the masked "Hello" frame', () => {
    const { connection, events } = server();
    connection.receiveData(hex('818537fa213d7f9f4d5158'));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'message', isBinary: false });
    expect(decode((events[0] as { data: Uint8Array }).data)).toBe('Hello');
  });

  test('a client reads the unmasked "Hello" frame', () => {
    const { connection, events } = client();
    connection.receiveData(hex('810548656c6c6f'));
    expect(decode((events[0] as { data: Uint8Array }).data)).toBe('Hello');
  });

  test('a client reassembles the fragmented "Hel" + "lo"', () => {
    const { connection, events } = client();
    connection.receiveData(hex('010348656c'));
    expect(events).toHaveLength(0);
    connection.receiveData(hex('80026c6f'));
    expect(events).toHaveLength(1);
    expect(decode((events[0] as { data: Uint8Array }).data)).toBe('Hello');
  });

  test('a client answers the unmasked ping with a masked pong (§5.5.2)', () => {
    const { connection, events } = client();
    connection.receiveData(hex('890548656c6c6f'));
    expect(events[0]).toMatchObject({ type: 'ping' });
    expect(toHex(drain(connection))).toBe('8a8537fa213d7f9f4d5158');
  });

  test('a server reads the masked pong', () => {
    const { connection, events } = server();
    connection.receiveData(hex('8a8537fa213d7f9f4d5158'));
    expect(events[0]).toMatchObject({ type: 'pong' });
    expect(decode((events[0] as { data: Uint8Array }).data)).toBe('Hello');
  });

  test('a client reads 256 bytes and 64 KiB binary frames', () => {
    const { connection, events } = client();
    connection.receiveData(concat([hex('827e0100'), new Uint8Array(256).fill(7)]));
    connection.receiveData(concat([hex('827f0000000000010000'), new Uint8Array(65536).fill(9)]));
    expect(events.map((e) => (e as { data: Uint8Array }).data.length)).toEqual([256, 65536]);
    expect(events.every((e) => e.type === 'message' && e.isBinary)).toBe(true);
  });
});

describe('RFC 6455 §5.4 fragmentation', () => {
  test('control frames may be injected in the middle of a fragmented message', () => {
    const { connection, events } = server();
    connection.receiveData(clientFrame(Opcode.TEXT, text('frag'), false));
    connection.receiveData(clientFrame(Opcode.PING, text('p')));
    connection.receiveData(clientFrame(Opcode.CONTINUATION, text('ment'), false));
    connection.receiveData(clientFrame(Opcode.CONTINUATION, text('ed'), true));
    expect(events.map((e) => e.type)).toEqual(['ping', 'message']);
    expect(decode((events[1] as { data: Uint8Array }).data)).toBe('fragmented');
    // The pong was sent right away, unmasked, in the middle of the message.
    expect(toHex(drain(connection))).toBe('8a0170');
  });

  test('empty fragments and an empty final frame are fine', () => {
    const { connection, events } = server();
    connection.receiveData(clientFrame(Opcode.BINARY, new Uint8Array(0), false));
    connection.receiveData(clientFrame(Opcode.CONTINUATION, new Uint8Array([1]), false));
    connection.receiveData(clientFrame(Opcode.CONTINUATION, new Uint8Array(0), true));
    expect(events).toEqual([{ type: 'message', data: new Uint8Array([1]), isBinary: true }]);
  });

  test('an empty text message', () => {
    const { connection, events } = server();
    connection.receiveData(clientFrame(Opcode.TEXT, new Uint8Array(0)));
    expect(events).toEqual([{ type: 'message', data: new Uint8Array(0), isBinary: false }]);
  });

  test('a 4 MiB message in 64-byte fragments passes with default limits', () => {
    const { connection, events } = server();
    const fragment = new Uint8Array(64).fill(0x61);
    const count = (4 * 1024 * 1024) / 64;
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const opcode = i === 0 ? Opcode.TEXT : Opcode.CONTINUATION;
      chunks.push(clientFrame(opcode, fragment, i === count - 1));
    }
    connection.receiveData(concat(chunks));
    expect(events).toHaveLength(1);
    expect((events[0] as { data: Uint8Array }).data.length).toBe(4 * 1024 * 1024);
  });
});

/** Feeds bytes to a fresh server and returns the close code it sends and the error code. */
function failureOf(bytes: Uint8Array, options = {}) {
  const { connection, events } = server(options);
  connection.receiveData(bytes);
  const output = drain(connection);
  const error = events.find((e) => e.type === 'error') as { code: string } | undefined;
  const closeCode =
    output.length >= 4 && output[0] === 0x88
      ? ((output[2] as number) << 8) | (output[3] as number)
      : undefined;
  return {
    closeCode,
    code: error?.code,
    requested: connection.transportCloseRequested,
    connection,
  };
}

describe('protocol violations fail the connection with the right close code', () => {
  test.each([
    [
      '§5.2 RSV1 without an extension',
      clientFrame(Opcode.TEXT, text('x'), true, true),
      1002,
      'WS_ERR_UNEXPECTED_RSV_1',
    ],
    ['§5.2 RSV2', hex('a18001020304'), 1002, 'WS_ERR_UNEXPECTED_RSV_2_3'],
    ['§5.2 RSV3', hex('918001020304'), 1002, 'WS_ERR_UNEXPECTED_RSV_2_3'],
    ['§5.2 reserved data opcode 3', hex('838001020304'), 1002, 'WS_ERR_INVALID_OPCODE'],
    ['§5.2 reserved data opcode 7', hex('878001020304'), 1002, 'WS_ERR_INVALID_OPCODE'],
    ['§5.2 reserved control opcode 0xB', hex('8b8001020304'), 1002, 'WS_ERR_INVALID_OPCODE'],
    ['§5.2 reserved control opcode 0xF', hex('8f8001020304'), 1002, 'WS_ERR_INVALID_OPCODE'],
    ['§5.1 an unmasked client frame', hex('810548656c6c6f'), 1002, 'WS_ERR_EXPECTED_MASK'],
    ['§5.5 a fragmented ping', hex('098001020304'), 1002, 'WS_ERR_FRAGMENTED_CONTROL_FRAME'],
    [
      '§5.5 a 126-byte ping',
      clientFrame(Opcode.PING, new Uint8Array(126)),
      1002,
      'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
    ],
    [
      '§5.4 continuation without a message',
      clientFrame(Opcode.CONTINUATION, text('x')),
      1002,
      'WS_ERR_UNEXPECTED_CONTINUATION',
    ],
    [
      '§5.4 a new message inside a fragmented one',
      concat([clientFrame(Opcode.TEXT, text('a'), false), clientFrame(Opcode.TEXT, text('b'))]),
      1002,
      'WS_ERR_EXPECTED_CONTINUATION',
    ],
    [
      '§5.2 64-bit length with the top bit set',
      hex('82ff800000000000000001020304'),
      1002,
      'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH',
    ],
    [
      '§8.1 invalid UTF-8 in a text message',
      clientFrame(Opcode.TEXT, hex('cebae1bdb9cf83ceb5eda080656469746564')),
      1007,
      'WS_ERR_INVALID_UTF8',
    ],
    [
      '§8.1 a text message ending mid-sequence',
      clientFrame(Opcode.TEXT, hex('e282')),
      1007,
      'WS_ERR_INVALID_UTF8',
    ],
    [
      '§5.5.1 a 1-byte close body',
      clientFrame(Opcode.CLOSE, hex('03')),
      1002,
      'WS_ERR_INVALID_CLOSE_PAYLOAD',
    ],
    [
      '§7.4 close code 999',
      clientFrame(Opcode.CLOSE, hex('03e7')),
      1002,
      'WS_ERR_INVALID_CLOSE_CODE',
    ],
    [
      '§7.4 close code 1004',
      clientFrame(Opcode.CLOSE, hex('03ec')),
      1002,
      'WS_ERR_INVALID_CLOSE_CODE',
    ],
    [
      '§7.4 close code 1005',
      clientFrame(Opcode.CLOSE, hex('03ed')),
      1002,
      'WS_ERR_INVALID_CLOSE_CODE',
    ],
    [
      '§7.4 close code 1006',
      clientFrame(Opcode.CLOSE, hex('03ee')),
      1002,
      'WS_ERR_INVALID_CLOSE_CODE',
    ],
    [
      '§7.4 close code 1015',
      clientFrame(Opcode.CLOSE, hex('03f7')),
      1002,
      'WS_ERR_INVALID_CLOSE_CODE',
    ],
    [
      '§7.4 close code 2999',
      clientFrame(Opcode.CLOSE, hex('0bb7')),
      1002,
      'WS_ERR_INVALID_CLOSE_CODE',
    ],
    [
      '§7.4 close code 5000',
      clientFrame(Opcode.CLOSE, hex('1388')),
      1002,
      'WS_ERR_INVALID_CLOSE_CODE',
    ],
    [
      '§5.5.1 invalid UTF-8 in a close reason',
      clientFrame(Opcode.CLOSE, hex('03e8ff')),
      1007,
      'WS_ERR_INVALID_UTF8',
    ],
  ])('%s → %i', (_, bytes, expectedClose, expectedCode) => {
    const result = failureOf(bytes);
    expect(result.closeCode).toBe(expectedClose);
    expect(result.code).toBe(expectedCode);
    expect(result.requested).toBe(true);
  });

  test('§5.1 a client fails on a masked server frame', () => {
    const { connection, events } = client();
    connection.receiveData(hex('818537fa213d7f9f4d5158'));
    expect(events).toEqual([{ type: 'error', code: 'WS_ERR_UNEXPECTED_MASK', closeCode: 1002 }]);
  });

  test('RFC 7692 §6.1 RSV1 on a continuation frame fails even with compression', () => {
    const bytes = concat([
      clientFrame(Opcode.TEXT, text('a'), false, true),
      clientFrame(Opcode.CONTINUATION, text('b'), true, true),
    ]);
    expect(failureOf(bytes, { perMessageCompression: true }).code).toBe('WS_ERR_UNEXPECTED_RSV_1');
  });

  test('RFC 7692 §6.1 RSV1 on a control frame fails even with compression', () => {
    const bytes = clientFrame(Opcode.PING, text('a'), true, true);
    expect(failureOf(bytes, { perMessageCompression: true }).code).toBe('WS_ERR_UNEXPECTED_RSV_1');
  });

  test('§8.1 fail fast: invalid UTF-8 fails in the first fragment, before the message ends', () => {
    const { connection, events } = server();
    connection.receiveData(clientFrame(Opcode.TEXT, hex('cebae1bdb9cf83ceb5f4908080'), false));
    expect(events).toEqual([{ type: 'error', code: 'WS_ERR_INVALID_UTF8', closeCode: 1007 }]);
  });

  test('§8.1 fail fast across chunks of one frame', () => {
    const { connection, events } = server();
    const frame = clientFrame(Opcode.TEXT, concat([text('hello'), hex('f490'), text('world')]));
    connection.receiveData(frame.subarray(0, 6 + 5 + 2)); // header, "hello", F4 90
    expect(events).toEqual([{ type: 'error', code: 'WS_ERR_INVALID_UTF8', closeCode: 1007 }]);
  });

  test('after a failure, further input is discarded and nothing more is reported', () => {
    const { connection, events } = server();
    connection.receiveData(hex('838001020304'));
    connection.receiveData(clientFrame(Opcode.TEXT, text('ignored')));
    expect(events.map((e) => e.type)).toEqual(['error']);
    expect(connection.state).toBe('closing');
  });
});

describe('limits are checked before buffering', () => {
  test('a frame announcing more than maxFrameSize fails with 1009 at its header', () => {
    const result = failureOf(hex('82ff000000010000000001020304'), { maxFrameSize: 1024 });
    expect(result.closeCode).toBe(1009);
    expect(result.code).toBe('WS_ERR_FRAME_TOO_BIG');
  });

  test('a message whose fragments add up past maxMessageSize fails with 1009', () => {
    const bytes = concat([
      clientFrame(Opcode.BINARY, new Uint8Array(600), false),
      clientFrame(Opcode.CONTINUATION, new Uint8Array(600), true),
    ]);
    const result = failureOf(bytes, { maxMessageSize: 1000 });
    expect(result.closeCode).toBe(1009);
    expect(result.code).toBe('WS_ERR_MESSAGE_TOO_BIG');
  });

  test('a message of exactly maxMessageSize passes', () => {
    const { connection, events } = server({ maxMessageSize: 1000 });
    connection.receiveData(clientFrame(Opcode.BINARY, new Uint8Array(1000)));
    expect(events[0]).toMatchObject({ type: 'message' });
  });

  test('invalid limits are rejected with a clear error', () => {
    expect(
      () => new Connection({ role: 'server', handler: { onMessage() {} }, maxMessageSize: -1 }),
    ).toThrow(/maxMessageSize must be a non-negative integer/);
    // @ts-expect-error: wrong role on purpose
    expect(() => new Connection({ role: 'peer', handler: { onMessage() {} } })).toThrow(
      /role must be/,
    );
  });
});

describe('RFC 6455 §7 closing handshake', () => {
  test('§7.1.2 server-initiated: close, the client echoes, the server ends TCP', () => {
    const s = server();
    const c = client();
    s.connection.close(1000, 'bye');
    expect(s.connection.state).toBe('closing');
    expect(s.connection.closeExpected()).toBe(true);
    c.connection.receiveData(drain(s.connection));
    expect(c.events).toEqual([{ type: 'closeFrame', code: 1000, reason: 'bye' }]);
    // §7.1.1: the client waits for the server to close TCP.
    expect(c.connection.transportCloseRequested).toBe(false);
    expect(c.connection.closeExpected()).toBe(true);
    s.connection.receiveData(drain(c.connection));
    expect(s.events).toEqual([{ type: 'closeFrame', code: 1000, reason: 'bye' }]);
    expect(s.connection.transportCloseRequested).toBe(true);
    s.connection.receiveEof();
    c.connection.receiveEof();
    expect(s.events.at(-1)).toEqual({ type: 'closed', code: 1000, reason: 'bye', wasClean: true });
    expect(c.events.at(-1)).toEqual({ type: 'closed', code: 1000, reason: 'bye', wasClean: true });
  });

  test('§5.5.1 the echo repeats the status code; an empty close is answered empty', () => {
    const s = server();
    s.connection.receiveData(clientFrame(Opcode.CLOSE, hex('0bb8')));
    expect(toHex(drain(s.connection))).toBe('88020bb8');
    const t = server();
    t.connection.receiveData(clientFrame(Opcode.CLOSE, new Uint8Array(0)));
    expect(toHex(drain(t.connection))).toBe('8800');
    expect(t.events[0]).toEqual({ type: 'closeFrame', code: 1005, reason: '' });
  });

  test('§5.5.1 nothing is sent after a close frame; sending throws a clear error', () => {
    const { connection } = server();
    connection.close();
    expect(() => connection.sendText('late')).toThrow(/a close frame was already sent/);
    expect(() => connection.sendPing()).toThrow(/a close frame was already sent/);
    connection.close(1000); // a second close is a no-op
    expect(toHex(drain(connection))).toBe('8800');
  });

  test('§7.1.5 the transport ending without a close frame is 1006, not clean', () => {
    const { connection, events } = server();
    connection.receiveData(hex('8185')); // half a frame
    connection.receiveEof();
    expect(events).toEqual([{ type: 'closed', code: 1006, reason: '', wasClean: false }]);
    connection.receiveEof(); // idempotent
    expect(events).toHaveLength(1);
    expect(() => connection.sendText('x')).toThrow(/closed/);
  });

  test('messages received after our close are still delivered until the peer closes', () => {
    const s = server();
    s.connection.close(1001);
    s.connection.receiveData(clientFrame(Opcode.TEXT, text('in flight')));
    s.connection.receiveData(clientFrame(Opcode.PING, text('p')));
    expect(s.events.map((e) => e.type)).toEqual(['message', 'ping']);
    // No pong after our close frame.
    expect(toHex(drain(s.connection))).toBe('880203e9');
  });

  test('data after the peer’s close frame is discarded', () => {
    const s = server();
    s.connection.receiveData(
      concat([clientFrame(Opcode.CLOSE, hex('03e8')), clientFrame(Opcode.TEXT, text('x'))]),
    );
    s.connection.receiveData(clientFrame(Opcode.TEXT, text('y')));
    expect(s.events.map((e) => e.type)).toEqual(['closeFrame']);
  });

  test('invalid close codes and reasons are refused locally (§7.4, §5.5)', () => {
    const { connection } = server();
    expect(() => connection.close(1005)).toThrow(/close code 1005 cannot be sent/);
    expect(() => connection.close(999)).toThrow(/cannot be sent/);
    expect(() => connection.close(1000, 'é'.repeat(62))).toThrow(
      /124 bytes of UTF-8; the limit is 123/,
    );
    expect(() => connection.close(undefined, 'reason')).toThrow(/requires a close code/);
    connection.close(4999, 'x'.repeat(123));
    expect(connection.state).toBe('closing');
  });

  test('fail() sends the code once and asks for the transport to end', () => {
    const { connection } = server();
    connection.fail(1011, 'x'.repeat(500));
    const output = drain(connection);
    expect(toHex(output.subarray(0, 4))).toBe('887d03f3');
    expect(connection.transportCloseRequested).toBe(true);
  });
});

describe('sending', () => {
  test('a client masks every frame with a fresh key from the injected source', () => {
    const c = recordingConnection({
      role: 'client',
      randomBytes: (n) => Uint8Array.from({ length: n }, (_, i) => i),
    });
    c.connection.sendText('a');
    c.connection.sendText('a');
    const [first, second] = c.connection.takeOutput();
    // Mask 00 01 02 03: 'a' (0x61) XOR 0x00 stays 0x61.
    expect(toHex(first as Uint8Array)).toBe('81810001020361');
    expect(toHex((second as Uint8Array).subarray(2, 6))).toBe('04050607');
  });

  test('every message type round-trips from client to server and back', () => {
    const c = client();
    const s = server();
    c.connection.sendText('héllo 🌍');
    c.connection.sendBinary(new Uint8Array([0, 255]));
    c.connection.sendPing(text('ping'));
    c.connection.sendPong('pong');
    c.connection.sendFragment('str', { fin: false });
    c.connection.sendFragment(text('eam'), { fin: true });
    c.connection.sendFragment(new Uint8Array([1]), { fin: false });
    c.connection.sendFragment(new Uint8Array([2]), { fin: true });
    s.connection.receiveData(drain(c.connection));
    expect(s.events.map((e) => e.type)).toEqual([
      'message',
      'message',
      'ping',
      'pong',
      'message',
      'message',
    ]);
    expect(decode((s.events[0] as { data: Uint8Array }).data)).toBe('héllo 🌍');
    expect(decode((s.events[4] as { data: Uint8Array }).data)).toBe('stream');
    expect(s.events[5]).toEqual({ type: 'message', data: new Uint8Array([1, 2]), isBinary: true });
    // The server's auto-pong reaches the client.
    c.connection.receiveData(drain(s.connection));
    expect(c.events).toEqual([{ type: 'pong', data: text('ping') }]);
  });

  test('a message cannot start while a fragmented one is being sent', () => {
    const { connection } = server();
    connection.sendFragment('a', { fin: false });
    expect(() => connection.sendText('b')).toThrow(/fragmented message is in progress/);
    connection.sendFragment('b', { fin: true });
    connection.sendText('c');
  });

  test('bad arguments throw errors that name the problem', () => {
    const { connection } = server();
    // @ts-expect-error: wrong type on purpose
    expect(() => connection.sendText(42)).toThrow(/sendText expects a string/);
    // @ts-expect-error: wrong type on purpose
    expect(() => connection.sendBinary('x')).toThrow(/sendBinary expects a Uint8Array/);
    expect(() => connection.sendPing(new Uint8Array(126))).toThrow(
      /sendPing: payload is 126 bytes/,
    );
    expect(() => connection.sendCompressed(new Uint8Array(1), true)).toThrow(/permessage-deflate/);
    // @ts-expect-error: wrong type on purpose
    expect(() => connection.receiveData('bytes')).toThrow(/receiveData expects a Uint8Array/);
  });

  test('outputBytes counts queued bytes until they are taken', () => {
    const { connection } = server();
    connection.sendBinary(new Uint8Array(10_000));
    expect(connection.outputBytes).toBe(10_004);
    expect(connection.takeOutput()).toHaveLength(2);
    expect(connection.outputBytes).toBe(0);
  });
});

describe('RFC 7692 compressed messages are handed to the adapter', () => {
  test('RSV1 messages go to onCompressedMessage; deliverDecompressed validates them', () => {
    const { connection, events } = server({ perMessageCompression: true });
    connection.receiveData(clientFrame(Opcode.TEXT, hex('f248cdc9c90700'), true, true));
    expect(events[0]).toMatchObject({ type: 'compressed', isBinary: false });
    connection.deliverDecompressed(text('Hello'), false);
    expect(events[1]).toMatchObject({ type: 'message', isBinary: false });
    connection.deliverDecompressed(hex('ff'), false);
    expect(events[2]).toEqual({ type: 'error', code: 'WS_ERR_INVALID_UTF8', closeCode: 1007 });
  });

  test('a decompressed message over the limit fails with 1009', () => {
    const { connection, events } = server({ perMessageCompression: true, maxMessageSize: 4 });
    connection.deliverDecompressed(text('Hello'), true);
    expect(events[0]).toEqual({ type: 'error', code: 'WS_ERR_MESSAGE_TOO_BIG', closeCode: 1009 });
  });

  test('sendCompressed sets RSV1 on a single frame', () => {
    const { connection } = server({ perMessageCompression: true });
    connection.sendCompressed(hex('f248cdc9c90700'), false);
    expect(toHex(drain(connection))).toBe('c107f248cdc9c90700');
  });
});

describe('prepared messages (pub/sub frames a message once)', () => {
  test('one prepared frame is queued unchanged on several server connections', () => {
    const prepared = prepareServerMessage('Hello');
    const a = server();
    const b = server();
    a.connection.sendPrepared(prepared);
    b.connection.sendPrepared(prepared);
    expect(toHex(drain(a.connection))).toBe('810548656c6c6f');
    expect(toHex(drain(b.connection))).toBe('810548656c6c6f');
    expect(prepareServerMessage(new Uint8Array([1])).isBinary).toBe(true);
  });

  test('clients cannot send prepared frames, and closed connections refuse them', () => {
    const prepared = prepareServerMessage('x');
    expect(() => client().connection.sendPrepared(prepared)).toThrow(
      /client frames must be masked/,
    );
    const s = server();
    s.connection.close();
    expect(() => s.connection.sendPrepared(prepared)).toThrow(/close frame was already sent/);
  });
});

describe('RFC 7692 ordering around asynchronous compression', () => {
  test('suspendInput holds frames behind a compressed message until resumeInput', () => {
    const bytes = concat([
      clientFrame(Opcode.TEXT, hex('f248cdc9c90700'), true, true),
      clientFrame(Opcode.PING, text('p')),
      clientFrame(Opcode.CLOSE, hex('03e8')),
    ]);
    // Suspend from inside the compressed-message callback, as an adapter does.
    const handlerEvents: string[] = [];
    const c = new Connection({
      role: 'server',
      perMessageCompression: true,
      handler: {
        onMessage: () => handlerEvents.push('message'),
        onCompressedMessage: () => {
          handlerEvents.push('compressed');
          c.suspendInput();
        },
        onPing: () => handlerEvents.push('ping'),
        onCloseFrame: () => handlerEvents.push('close'),
      },
    });
    c.receiveData(bytes);
    expect(handlerEvents).toEqual(['compressed']);
    expect(c.takeOutput()).toHaveLength(0); // no pong, no close echo yet
    c.receiveData(clientFrame(Opcode.TEXT, text('later')));
    expect(handlerEvents).toEqual(['compressed']);
    c.deliverDecompressed(text('Hello'), false);
    c.resumeInput();
    expect(handlerEvents).toEqual(['compressed', 'message', 'ping', 'close']);
    // The text frame after the close frame is discarded (§5.5.1).
    expect(toHex(drain(c))).toBe('8a0170880203e8');
  });

  test('a reserved message keeps its place ahead of frames queued later', () => {
    const { connection } = server({ perMessageCompression: true });
    const reserved = connection.reserveCompressed(false);
    connection.sendText('after');
    connection.receiveData(clientFrame(Opcode.CLOSE, hex('03e8')));
    expect(connection.takeOutput()).toHaveLength(0);
    connection.fillReserved(reserved, hex('f248cdc9c90700'));
    expect(toHex(drain(connection))).toBe(
      `c107f248cdc9c90700 8105${toHex(text('after'))} 880203e8`.replaceAll(' ', ''),
    );
    expect(() => connection.fillReserved(reserved, hex('00'))).toThrow(/already filled/);
  });

  test('a cancelled reservation releases the frames behind it', () => {
    const { connection } = server({ perMessageCompression: true });
    const reserved = connection.reserveCompressed(true);
    connection.sendText('x');
    expect(connection.takeOutput()).toHaveLength(0);
    connection.cancelReserved(reserved);
    expect(toHex(drain(connection))).toBe('810178');
    expect(() => server().connection.reserveCompressed(true)).toThrow(/permessage-deflate/);
  });
});
