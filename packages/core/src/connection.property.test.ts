import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { drain, recordingConnection } from '../test/peers.js';

/** One thing a client can send; a valid stream is any sequence of these. */
const action = fc.oneof(
  fc.record({
    kind: fc.constant('text' as const),
    value: fc.string({ unit: 'binary', maxLength: 300 }),
  }),
  fc.record({ kind: fc.constant('binary' as const), value: fc.uint8Array({ maxLength: 70_000 }) }),
  fc.record({ kind: fc.constant('ping' as const), value: fc.uint8Array({ maxLength: 125 }) }),
  fc.record({
    kind: fc.constant('fragments' as const),
    value: fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 6 }),
  }),
);
type Action = typeof action extends fc.Arbitrary<infer T> ? T : never;

/** Encodes actions the way a real client would, through the core's own send path. */
function clientStream(actions: Action[]): Uint8Array {
  const { connection } = recordingConnection({ role: 'client' });
  for (const a of actions) {
    if (a.kind === 'text') connection.sendText(a.value);
    else if (a.kind === 'binary') connection.sendBinary(a.value);
    else if (a.kind === 'ping') connection.sendPing(a.value);
    else {
      for (const [i, piece] of a.value.entries()) {
        connection.sendFragment(piece, { fin: i === a.value.length - 1, binary: true });
      }
    }
  }
  return drain(connection);
}

function feed(bytes: Uint8Array, cuts: number[]) {
  const server = recordingConnection({ role: 'server' });
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let start = 0;
  for (const point of [...points, bytes.length]) {
    // slice(): the server unmasks in place, so each run gets its own copy.
    server.connection.receiveData(bytes.slice(start, point));
    start = point;
  }
  return { events: server.events, output: drain(server.connection) };
}

describe('RFC 6455 §5 property: chunking does not change what is received', () => {
  test('any valid stream in arbitrary chunk splits yields the same events and output', () => {
    fc.assert(
      fc.property(
        fc.array(action, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (actions, cuts) => {
          const bytes = clientStream(actions);
          const whole = feed(bytes, []);
          const split = feed(bytes, cuts);
          expect(split.events).toEqual(whole.events);
          expect(split.output).toEqual(whole.output);
          expect(whole.events.some((e) => e.type === 'error')).toBe(false);
          // Every action produced exactly one message or ping.
          expect(whole.events).toHaveLength(actions.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('byte-by-byte feeding equals whole feeding', () => {
    const bytes = clientStream([
      { kind: 'text', value: 'héllo wörld 🌍' },
      { kind: 'fragments', value: [new Uint8Array([1, 2]), new Uint8Array([3])] },
      { kind: 'ping', value: new Uint8Array([9]) },
      { kind: 'binary', value: new Uint8Array(300).fill(5) },
    ]);
    const cuts = Array.from({ length: bytes.length }, (_, i) => i);
    expect(feed(bytes, cuts)).toEqual(feed(bytes, []));
  });
});

describe('RFC 6455 §5.2 property: encode → decode round-trips for every length class', () => {
  test.each([0, 1, 125, 126, 127, 65535, 65536, 100_000])(
    'a %i-byte binary and text message, both directions',
    (size) => {
      const payload = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0x7f);
      const textValue = new TextDecoder().decode(payload);
      for (const [senderRole, receiverRole] of [
        ['client', 'server'],
        ['server', 'client'],
      ] as const) {
        const sender = recordingConnection({ role: senderRole });
        const receiver = recordingConnection({ role: receiverRole });
        sender.connection.sendBinary(payload);
        sender.connection.sendText(textValue);
        receiver.connection.receiveData(drain(sender.connection));
        expect(receiver.events).toEqual([
          { type: 'message', data: payload, isBinary: true },
          { type: 'message', data: payload, isBinary: false },
        ]);
      }
    },
  );
});

describe('property: an injected native UTF-8 check changes nothing but speed', () => {
  const platformIsUtf8 = (data: Uint8Array) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(data);
      return true;
    } catch {
      return false;
    }
  };

  test('text messages, valid or mutated, in any chunking, give the same events', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', minLength: 0, maxLength: 400 }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 2 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (texts, mutations, cuts) => {
          const { connection } = recordingConnection({ role: 'client' });
          for (const [index, value] of texts.entries()) {
            connection.sendFragment(value, { fin: index === texts.length - 1 });
          }
          const bytes = drain(connection);
          // Mutate payload bytes only (client frames are masked: flipping keeps lengths sane).
          for (const [position, value] of mutations)
            bytes[6 + (position % Math.max(1, bytes.length - 6))] = value;
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const run = (isUtf8?: (data: Uint8Array) => boolean) => {
            const server = recordingConnection({ role: 'server', isUtf8 });
            let start = 0;
            for (const point of [...points, bytes.length]) {
              server.connection.receiveData(bytes.slice(start, point));
              start = point;
            }
            return server.events;
          };
          expect(run(platformIsUtf8)).toEqual(run());
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('property: malformed input never throws out of the core', () => {
  const FAILURE_CODES = new Set([1002, 1007, 1009]);

  function assertGraceful(bytes: Uint8Array, role: 'client' | 'server', maxMessageSize?: number) {
    const { connection, events } = recordingConnection({ role, maxMessageSize });
    expect(() => connection.receiveData(bytes)).not.toThrow();
    const errors = events.filter((e) => e.type === 'error');
    expect(errors.length).toBeLessThanOrEqual(1);
    const output = drain(connection);
    if (errors.length === 1) {
      // A failure always queues a close frame carrying the error's close code, then stops.
      expect(FAILURE_CODES.has((errors[0] as { closeCode: number }).closeCode)).toBe(true);
      expect(connection.transportCloseRequested).toBe(true);
      const closeAt = findCloseFrame(output, role);
      expect(closeAt).toBe((errors[0] as { closeCode: number }).closeCode);
    }
    expect(() => connection.receiveEof()).not.toThrow();
    expect(events.at(-1)?.type).toBe('closed');
  }

  test('random byte streams, as server and as client', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), (bytes, asServer) => {
        assertGraceful(bytes, asServer ? 'server' : 'client', 4096);
      }),
      { numRuns: 3000 },
    );
  });

  test('mutations of valid streams', () => {
    fc.assert(
      fc.property(
        fc.array(action, { minLength: 1, maxLength: 5 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }),
        (actions, mutations) => {
          const bytes = clientStream(actions);
          if (bytes.length === 0) return;
          for (const [position, value] of mutations) bytes[position % bytes.length] = value;
          assertGraceful(bytes, 'server', 1024 * 1024);
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** The close code of the last unmasked close frame in a server's output (or a client's). */
function findCloseFrame(output: Uint8Array, role: 'client' | 'server'): number | undefined {
  let offset = 0;
  let code: number | undefined;
  while (offset + 2 <= output.length) {
    const opcode = (output[offset] as number) & 0x0f;
    const masked = ((output[offset + 1] as number) & 0x80) !== 0;
    let length = (output[offset + 1] as number) & 0x7f;
    let position = offset + 2;
    if (length === 126) {
      length = ((output[position] as number) << 8) | (output[position + 1] as number);
      position += 2;
    } else if (length === 127) {
      length = Number(new DataView(output.buffer, output.byteOffset + position, 8).getBigUint64(0));
      position += 8;
    }
    const mask = masked ? output.subarray(position, position + 4) : undefined;
    if (masked) position += 4;
    expect(masked).toBe(role === 'client');
    if (opcode === 0x8 && length >= 2) {
      const b0 = (output[position] as number) ^ (mask ? (mask[0] as number) : 0);
      const b1 = (output[position + 1] as number) ^ (mask ? (mask[1] as number) : 0);
      code = (b0 << 8) | b1;
    }
    offset = position + length;
  }
  return code;
}
