import { describe, expect, test } from 'vitest';
import { drain, fixedRandom, recordingConnection } from '../test/peers.js';
import { FrameParser, type FrameSink } from './frames/frame-parser.js';
import { Connection } from './index.js';

// A server unmasks a message that arrives in one piece in place, and one that spans chunks
// straight into its reassembly buffer (Connection.frameMaskedPayload): these tests feed masked
// client frames cut at every byte of the header and the payload, so every mask position meets
// a chunk boundary on both paths, and on the word loop (pieces under 1 KiB) and WebAssembly.

const KEY = [0x37, 0xfa, 0x21, 0x3d];

/** A masked client frame stream: what a real client sends (the core's own client side). */
function clientFrames(send: (client: Connection) => void): Uint8Array {
  const client = new Connection({
    role: 'client',
    randomBytes: fixedRandom(KEY),
    handler: { onMessage() {} },
  });
  send(client);
  return drain(client);
}

/** Feeds `bytes` to a fresh server in chunks ending at `cuts`; each chunk is its own copy. */
function receive(bytes: Uint8Array, cuts: number[], maxMessageSize?: number) {
  const server = recordingConnection({ role: 'server', maxMessageSize });
  let start = 0;
  for (const end of [...cuts, bytes.length]) {
    server.connection.receiveData(bytes.slice(start, end));
    start = end;
  }
  return server.events;
}

function payload(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 131 + (i >>> 8)) & 0xff);
}

describe('RFC 6455 §5.3: masked messages split across chunks at every byte', () => {
  test.each([
    ['7-bit length, word loop', 100],
    ['16-bit length, pieces on both sides of the WebAssembly threshold', 1500],
  ])('binary, %s: two chunks cut at every offset of header and payload', (_name, length) => {
    const data = payload(length);
    const bytes = clientFrames((client) => client.sendBinary(data));
    for (let cut = 1; cut < bytes.length; cut++) {
      const events = receive(bytes, [cut]);
      expect(events).toEqual([{ type: 'message', data, isBinary: true }]);
    }
  });

  test('a small message in three chunks, cut at every pair of offsets', () => {
    const data = payload(37);
    const bytes = clientFrames((client) => client.sendBinary(data));
    for (let first = 1; first < bytes.length; first++) {
      for (let second = first; second < bytes.length; second++) {
        expect(receive(bytes, [first, second])).toEqual([
          { type: 'message', data, isBinary: true },
        ]);
      }
    }
  });

  test('text with multi-byte characters cut inside characters and inside the mask cycle', () => {
    const text = 'aé€😀'.repeat(300); // 1, 2, 3 and 4 UTF-8 bytes: 3,000 bytes in all
    const data = new TextEncoder().encode(text);
    const bytes = clientFrames((client) => client.sendText(text));
    for (let cut = 1; cut < bytes.length; cut += 1) {
      const events = receive(bytes, [cut]);
      expect(events).toEqual([{ type: 'message', data, isBinary: false }]);
    }
  });

  test('a 64-bit-length message of 1 MiB + 3 bytes in 64 KiB chunks starting off alignment', () => {
    const data = payload(1024 * 1024 + 3);
    const bytes = clientFrames((client) => client.sendBinary(data));
    for (const shift of [1, 2, 3, 5]) {
      const cuts: number[] = [];
      for (let end = shift; end < bytes.length; end += 64 * 1024) cuts.push(end);
      const events = receive(bytes, cuts);
      expect(events.map((event) => event.type)).toEqual(['message']);
      const received = (events[0] as { data: Uint8Array }).data;
      // The index of the first wrong byte, not a diff of two 1 MiB arrays, when this fails.
      expect(received.length).toBe(data.length);
      expect(received.findIndex((byte, i) => byte !== data[i])).toBe(-1);
    }
  });

  test('fragments of one message (§5.4) with pieces of every mask phase, in 1000-byte chunks', () => {
    const parts = [payload(1025), payload(7), payload(3001), payload(0), payload(2)];
    const bytes = clientFrames((client) => {
      for (const [i, part] of parts.entries()) {
        client.sendFragment(part, { fin: i === parts.length - 1, binary: true });
      }
    });
    const whole = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      whole.set(part, offset);
      offset += part.length;
    }
    for (const size of [1, 3, 999, 1000, 1024]) {
      const cuts: number[] = [];
      for (let end = size; end < bytes.length; end += size) cuts.push(end);
      expect(receive(bytes, cuts)).toEqual([{ type: 'message', data: whole, isBinary: true }]);
    }
  });

  test('invalid UTF-8 in the first chunk of a reassembled text fails with 1007 before the rest arrives', () => {
    const data = new Uint8Array(2000).fill(0x61);
    data[10] = 0xff; // never valid in UTF-8
    const client = new Connection({
      role: 'client',
      randomBytes: fixedRandom(KEY),
      handler: { onMessage() {} },
    });
    client.sendFragment(data, { fin: true, binary: false });
    const bytes = drain(client);
    const server = recordingConnection({ role: 'server' });
    server.connection.receiveData(bytes.slice(0, 1500));
    expect(server.events).toEqual([
      { type: 'error', code: 'WS_ERR_INVALID_UTF8', closeCode: 1007 },
    ]);
  });

  test('maxMessageSize still counts a message reassembled from masked chunks', () => {
    const bytes = clientFrames((client) => {
      client.sendFragment(payload(3000), { fin: false });
      client.sendFragment(payload(3000), { fin: true });
    });
    const cuts = [1000, 2000, 3000, 4000, 5000];
    expect(receive(bytes, cuts, 6000)).toEqual([
      {
        type: 'message',
        data: new Uint8Array([...payload(3000), ...payload(3000)]),
        isBinary: true,
      },
    ]);
    expect(receive(bytes, cuts, 5999)).toEqual([
      { type: 'error', code: 'WS_ERR_MESSAGE_TOO_BIG', closeCode: 1009 },
    ]);
  });
});

describe('FrameSink.frameMaskedPayload', () => {
  /** A sink recording what it is given. */
  function recordingSink(unmasksItself: boolean) {
    const pieces: Array<{ bytes: number[]; offset?: number; key?: number[] }> = [];
    const sink: FrameSink = {
      frameStart() {},
      framePayload(piece) {
        pieces.push({ bytes: Array.from(piece) });
      },
      frameEnd() {},
      frameError(error) {
        throw error;
      },
    };
    if (unmasksItself) {
      sink.frameMaskedPayload = (piece, mask, maskOffset) => {
        pieces.push({ bytes: Array.from(piece), offset: maskOffset, key: Array.from(mask) });
      };
    }
    return { sink, pieces };
  }

  const data = payload(10);
  const frame = clientFrames((client) => client.sendBinary(data));
  const header = frame.length - data.length;

  test('a sink with it gets the pieces still masked, with the key and the mask position', () => {
    const { sink, pieces } = recordingSink(true);
    const parser = new FrameParser(sink, { role: 'server', rsv1Allowed: false, maxFrameSize: 100 });
    parser.write(frame.slice(0, header + 3));
    parser.write(frame.slice(header + 3));
    expect(pieces).toEqual([
      { bytes: Array.from(frame.subarray(header, header + 3)), offset: 0, key: KEY },
      { bytes: Array.from(frame.subarray(header + 3)), offset: 3, key: KEY },
    ]);
  });

  test('a sink without it gets them unmasked, as before', () => {
    const { sink, pieces } = recordingSink(false);
    const parser = new FrameParser(sink, { role: 'server', rsv1Allowed: false, maxFrameSize: 100 });
    parser.write(frame.slice(0, header + 3));
    parser.write(frame.slice(header + 3));
    expect(pieces).toEqual([
      { bytes: Array.from(data.subarray(0, 3)) },
      { bytes: Array.from(data.subarray(3)) },
    ]);
  });
});
