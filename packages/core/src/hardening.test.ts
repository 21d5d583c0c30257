/**
 * Hardening, sans-I/O: fragment exhaustion and size limits on a server Connection in memory
 * (RFC 6455 §5.4, §10.4). The Node tests prove the same over TCP; these pin the exact point.
 */
import { describe, expect, test } from 'vitest';
import { concat, drain, fixedRandom, recordingConnection } from '../test/peers.js';

/** Client frames: `count` fragments of `size` bytes, the last one final unless `open`. */
function fragments(count: number, size: number, open = false): Uint8Array {
  const { connection } = recordingConnection({
    role: 'client',
    randomBytes: fixedRandom([1, 2, 3, 4]),
  });
  for (let i = 0; i < count; i++) {
    connection.sendFragment(new Uint8Array(size).fill(7), {
      fin: !open && i === count - 1,
      binary: true,
    });
  }
  return drain(connection);
}

describe('hardening: fragments (RFC 6455 §5.4, §10.4)', () => {
  test('100,000 one-byte fragments form one message of 100,000 bytes', () => {
    const server = recordingConnection({ role: 'server' });
    server.connection.receiveData(fragments(100_000, 1));
    const messages = server.events.filter((event) => event.type === 'message');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ isBinary: true });
    expect((messages[0] as { data: Uint8Array }).data.length).toBe(100_000);
    expect(server.events.some((event) => event.type === 'error')).toBe(false);
  });

  test('the fragment that passes maxMessageSize fails the connection with 1009, before FIN', () => {
    const server = recordingConnection({ role: 'server', maxMessageSize: 1000 });
    const bytes = fragments(20, 100, true); // 2,000 bytes, never final
    const frameLength = bytes.length / 20;
    // Ten fragments (exactly 1,000 bytes) are within the limit.
    server.connection.receiveData(bytes.subarray(0, frameLength * 10).slice());
    expect(server.events).toEqual([]);
    // The eleventh passes it: 1009 at once, the rest of the input is discarded.
    server.connection.receiveData(bytes.subarray(frameLength * 10).slice());
    expect(server.events).toEqual([
      { type: 'error', code: expect.stringMatching(/^WS_ERR_/), closeCode: 1009 },
    ]);
    const output = drain(server.connection);
    // A close frame (0x88) whose payload starts with 1009 (0x03f1), then a reason.
    expect(output[0]).toBe(0x88);
    expect((output[2] as number) * 256 + (output[3] as number)).toBe(1009);
  });

  test('input after a failure is discarded, whatever it is', () => {
    const server = recordingConnection({ role: 'server' });
    server.connection.receiveData(
      concat([new Uint8Array([0x83, 0x80, 0, 0, 0, 0]), fragments(3, 10)]),
    );
    expect(server.events.filter((event) => event.type !== 'closed')).toEqual([
      { type: 'error', code: expect.stringMatching(/^WS_ERR_/), closeCode: 1002 },
    ]);
  });
});
