/**
 * Time options past what a timer can count: runtimes count a delay in a signed 32-bit integer
 * of ms and fire a longer one after 1 ms. `Infinity` (no limit) and huge values must wait, not
 * cut the handshake or the closing handshake short at once.
 */
import { afterEach, expect, test } from 'vitest';
import { connect } from '../src/index.js';
import { closePayload, encodeFrame, Op, rawHandshake } from './helpers/raw-client.js';
import { deferred, TestScope, wsUrl } from './helpers/server.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

/** Node's warnings while `run` goes on: an overflowing timer shows as TimeoutOverflowWarning. */
async function warningsDuring(run: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (warning: Error) => seen.push(warning.name);
  process.on('warning', onWarning);
  try {
    await run();
    // Warnings are emitted on a later tick.
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

test('server: closeTimeout and handshakeTimeout Infinity wait for a slow closing handshake', async () => {
  const closed = deferred<{ code: number; wasClean: boolean }>();
  const server = await scope.server({
    handshakeTimeout: Infinity,
    closeTimeout: Infinity,
    hooks: {
      message(peer) {
        peer.close(4000, 'server says bye');
      },
      close(_peer, { code, wasClean }) {
        closed.resolve({ code, wasClean });
      },
    },
  });
  const warnings = await warningsDuring(async () => {
    const client = scope.track(await rawHandshake(server.port));
    client.sendFrame({ opcode: Op.TEXT, payload: 'close me' });
    expect((await client.readFrameOf(Op.CLOSE)).payload.readUInt16BE(0)).toBe(4000);
    // A peer slow to answer: with a timer that fired at once the socket would be gone.
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.write(encodeFrame({ opcode: Op.CLOSE, payload: closePayload(4000) }));
    expect(await closed.promise).toEqual({ code: 4000, wasClean: true });
  });
  expect(warnings).not.toContain('TimeoutOverflowWarning');
});

test('server.close({ timeout: Infinity }) waits for the closing handshakes', async () => {
  const server = await scope.server({ hooks: {} });
  const client = scope.track(await rawHandshake(server.port));
  const warnings = await warningsDuring(async () => {
    const closing = server.close({ timeout: Infinity });
    expect((await client.readFrameOf(Op.CLOSE)).payload.readUInt16BE(0)).toBe(1001);
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.write(encodeFrame({ opcode: Op.CLOSE, payload: closePayload(1001) }));
    await closing;
  });
  expect(warnings).not.toContain('TimeoutOverflowWarning');
});

test('client: handshakeTimeout Infinity (or 2^32 ms) connects instead of timing out at once', async () => {
  const server = await scope.server({
    hooks: {
      message(peer, message) {
        peer.send(message.text());
      },
    },
  });
  const warnings = await warningsDuring(async () => {
    for (const handshakeTimeout of [Infinity, 2 ** 32]) {
      const client = await connect(wsUrl(server.port), {
        handshakeTimeout,
        closeTimeout: Infinity,
      });
      const echoed = new Promise((resolve) =>
        client.once('message', (data) => resolve(String(data))),
      );
      client.send('still here');
      expect(await echoed).toBe('still here');
      const gone = new Promise((resolve) => client.once('close', resolve));
      client.close(1000);
      expect(await gone).toBe(1000);
    }
  });
  expect(warnings).not.toContain('TimeoutOverflowWarning');
});
