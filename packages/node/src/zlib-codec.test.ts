import { randomBytes } from 'node:crypto';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import zlib, { constants, createDeflateRaw, inflateRawSync } from 'node:zlib';
import {
  acceptDeflateResponse,
  createDeflateOffer,
  DEFLATE_TRAILER,
  type ExtensionElement,
  type NegotiatedDeflate,
  negotiateDeflate,
  type PerMessageCodec,
  type PerMessageCodecConfig,
  type PerMessageDeflateOptions,
  WebSocketError,
} from '@wskit/core';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { LiveStreamPool } from './live-stream-pool.js';
import {
  createZlibCodec,
  DEFAULT_DEFLATE_CHUNK_SIZE,
  DEFAULT_SYNC_MAX_BYTES,
  DEFAULT_ZLIB_CONCURRENCY,
  ZLIB_IDLE_MS,
  type ZlibCodecOptions,
  zlibLimiter,
  zlibStreamPool,
} from './zlib-codec.js';

// ---------------------------------------------------------------------------------------------
// Helpers

const TRAILER = Buffer.from(DEFLATE_TRAILER);
const MiB = 1024 * 1024;

function fromHex(hex: string): Uint8Array {
  return Buffer.from(hex.replaceAll(' ', ''), 'hex');
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const text = (value: string): Uint8Array => Buffer.from(value);

/** JSON messages alike enough for context takeover to pay off, different enough to matter. */
function chatMessage(index: number): Uint8Array {
  return text(
    JSON.stringify({
      type: 'message',
      room: 'general',
      id: index,
      author: { id: index % 7, name: `user-${index % 7}` },
      body: `This is message number ${index} in the conversation about compression.`,
      sentAt: new Date(Date.UTC(2025, 0, 1, 0, 0, index)).toISOString(),
    }),
  );
}

/**
 * About `size` bytes of text that compresses well but needs distances up to 32 KiB: a
 * deterministic mix of words and numbers.
 */
function largeText(size: number, seed = 1): Uint8Array {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'window', 'deflate', 'frame', 'socket'];
  let state = seed;
  let result = '';
  while (result.length < size) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    result += `${words[state % words.length]}${state % 1000} `;
  }
  return text(result.slice(0, size));
}

/** What a fresh decompressor makes of one message: no shared window. */
function inflateAlone(message: Uint8Array, windowBits = 15): Buffer {
  return inflateRawSync(Buffer.concat([message, TRAILER]), {
    windowBits,
    finishFlush: constants.Z_SYNC_FLUSH,
  });
}

function configFor(negotiated: NegotiatedDeflate, role: 'client' | 'server') {
  return { deflate: negotiated.deflateParamsFor(role), inflate: negotiated.inflateParamsFor(role) };
}

/**
 * `syncMaxBytes` for the codecs the helpers below make: `undefined` (the default, 64 KiB) or 0
 * (every message on the thread pool), set per describe block by `inEitherPath` and `onThreadPool`.
 */
let syncMaxBytes: number | undefined;

/** Runs `body`'s describe blocks twice: messages in one call on the event loop, then on streams. */
function inEitherPath(body: () => void): void {
  describe.each([
    { path: 'one call on the event loop (default)', value: undefined },
    { path: 'a stream on the thread pool (syncMaxBytes: 0)', value: 0 },
  ])('$path', ({ value }) => {
    beforeEach(() => {
      syncMaxBytes = value;
    });
    body();
  });
}

/** For tests of the thread-pool path itself (streams, their pool, the limiter). */
function onThreadPool(): void {
  beforeEach(() => {
    syncMaxBytes = 0;
  });
}

function codecOptions(limiter?: ConcurrencyLimiter): ZlibCodecOptions {
  return { limiter, syncMaxBytes };
}

/** A client codec and a server codec, negotiated by @wskit/core with `options` on both sides. */
function codecPair(options: PerMessageDeflateOptions = {}, limiter?: ConcurrencyLimiter) {
  const accepted = negotiateDeflate([createDeflateOffer(options)], options);
  if (accepted === undefined) throw new Error('negotiation failed');
  const clientNegotiated = acceptDeflateResponse(accepted.response, options);
  const codecs = {
    client: createZlibCodec(configFor(clientNegotiated, 'client'), codecOptions(limiter)),
    server: createZlibCodec(configFor(accepted.negotiated, 'server'), codecOptions(limiter)),
  };
  opened.push(codecs.client, codecs.server);
  return codecs;
}

function codecFor(config: PerMessageCodecConfig, limiter?: ConcurrencyLimiter): PerMessageCodec {
  const codec = createZlibCodec(config, codecOptions(limiter));
  opened.push(codec);
  return codec;
}

const plainConfig: PerMessageCodecConfig = {
  deflate: { noContextTakeover: false, maxWindowBits: 15, windowBits: 15 },
  inflate: { noContextTakeover: false, maxWindowBits: 15 },
};

const opened: PerMessageCodec[] = [];
afterEach(() => {
  for (const codec of opened.splice(0)) codec.close();
  syncMaxBytes = undefined;
});

async function expectRejection(promise: Promise<unknown>, code: string): Promise<WebSocketError> {
  const error = await promise.then(
    () => expect.unreachable('expected a rejection'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(WebSocketError);
  expect((error as WebSocketError).code).toBe(code);
  return error as WebSocketError;
}

// ---------------------------------------------------------------------------------------------
// ws's implementation, for interop. Its lib/ files are not in its exports map.

interface WsPerMessageDeflate {
  offer(): Record<string, number | true>;
  accept(params: Record<string, (string | true)[]>[]): Record<string, number | true>;
  compress(
    data: Buffer,
    fin: boolean,
    callback: (error: Error | null, result?: Buffer) => void,
  ): void;
  decompress(
    data: Buffer,
    fin: boolean,
    callback: (error: Error | null, result?: Buffer) => void,
  ): void;
  cleanup(): void;
}
type WsPerMessageDeflateClass = new (
  options: Record<string, unknown>,
  isServer: boolean,
  maxPayload: number,
) => WsPerMessageDeflate;

const require = createRequire(import.meta.url);
const WsDeflate = require(
  join(dirname(require.resolve('ws/package.json')), 'lib/permessage-deflate.js'),
) as WsPerMessageDeflateClass;

function wsCall(
  ws: WsPerMessageDeflate,
  method: 'compress' | 'decompress',
  data: Uint8Array,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    ws[method](Buffer.from(data), true, (error, result) => {
      if (error) reject(error);
      else resolve(result as Buffer);
    });
  });
}

/** ws's `{ name: [value] }` parameters from an extension element, and back. */
function toWsParams(element: ExtensionElement): Record<string, (string | true)[]> {
  return Object.fromEntries(element.params.map(([name, value]) => [name, [value]]));
}
function fromWsParams(params: Record<string, number | true>): ExtensionElement {
  return {
    name: 'permessage-deflate',
    params: Object.entries(params).map(([name, value]) => [
      name,
      value === true ? true : String(value),
    ]),
  };
}

/**
 * Our server and a ws client, negotiated from the ws client's offer; our codec made with
 * `codecOptions` if given, else as `codecFor` makes it.
 */
function withWsClient(options: Record<string, unknown>, codecOptions?: ZlibCodecOptions) {
  const ws = new WsDeflate(options, false, 0);
  const accepted = negotiateDeflate([fromWsParams(ws.offer())]);
  if (accepted === undefined) throw new Error('negotiation failed');
  ws.accept([toWsParams(accepted.response)]);
  const config = configFor(accepted.negotiated, 'server');
  if (codecOptions === undefined) return { ws, ours: codecFor(config) };
  const ours = createZlibCodec(config, codecOptions);
  opened.push(ours);
  return { ws, ours };
}

/** Our client and a ws server, negotiated from our offer. */
function withWsServer(options: PerMessageDeflateOptions) {
  const ws = new WsDeflate({}, true, 0);
  const response = fromWsParams(ws.accept([toWsParams(createDeflateOffer(options))]));
  const negotiated = acceptDeflateResponse(response, options);
  return { ws, ours: codecFor(configFor(negotiated, 'client')) };
}

// ---------------------------------------------------------------------------------------------

inEitherPath(() => {
  describe('createZlibCodec: RFC 7692 §7.2.3 examples', () => {
    test('§7.2.3.1: "Hello" compresses to f2 48 cd c9 c9 07 00 and back', async () => {
      const codec = codecFor(plainConfig);
      expect(toHex(await codec.compress(text('Hello')))).toBe('f248cdc9c90700');
      expect(Buffer.from(await codec.decompress(fromHex('f2 48 cd c9 c9 07 00'), 100))).toEqual(
        Buffer.from('Hello'),
      );
    });

    test('§7.2.3.2: with context takeover the second "Hello" refers back: f2 00 11 00 00', async () => {
      const codec = codecFor(plainConfig);
      expect(toHex(await codec.compress(text('Hello')))).toBe('f248cdc9c90700');
      expect(toHex(await codec.compress(text('Hello')))).toBe('f200110000');

      const receiver = codecFor(plainConfig);
      for (const payload of ['f2 48 cd c9 c9 07 00', 'f2 00 11 00 00']) {
        expect(Buffer.from(await receiver.decompress(fromHex(payload), 100)).toString()).toBe(
          'Hello',
        );
      }
    });

    test('§7.2.3.2: without context takeover both "Hello"s compress the same', async () => {
      const codec = codecFor({
        ...plainConfig,
        deflate: { ...plainConfig.deflate, noContextTakeover: true },
      });
      expect(toHex(await codec.compress(text('Hello')))).toBe('f248cdc9c90700');
      expect(toHex(await codec.compress(text('Hello')))).toBe('f248cdc9c90700');
    });

    test('§7.2.3.3: a stored (uncompressed) block inflates', async () => {
      const codec = codecFor(plainConfig);
      const payload = fromHex('00 05 00 fa ff 48 65 6c 6c 6f 00');
      expect(Buffer.from(await codec.decompress(payload, 100)).toString()).toBe('Hello');
    });

    test('§7.2.3.4: a message ending the DEFLATE stream with BFINAL does not break the next', async () => {
      const codec = codecFor(plainConfig);
      const payload = fromHex('f3 48 cd c9 c9 07 00 00');
      expect(Buffer.from(await codec.decompress(payload, 100)).toString()).toBe('Hello');
      // An ended zlib stream would inflate this to nothing; the codec starts a new one.
      expect(Buffer.from(await codec.decompress(payload, 100)).toString()).toBe('Hello');
      expect(Buffer.from(await codec.decompress(fromHex('f248cdc9c90700'), 100)).toString()).toBe(
        'Hello',
      );

      // The peer's next DEFLATE stream starts with an empty window: a message that refers back
      // to the "Hello" before the BFINAL block is refused (1007), not inflated from stale bytes.
      const fresh = codecFor(plainConfig);
      await fresh.decompress(fromHex('f248cdc9c90700'), 100);
      await fresh.decompress(payload, 100);
      const error = await expectRejection(
        fresh.decompress(fromHex('f2 00 11 00 00'), 100),
        'WS_ERR_DECOMPRESSION_FAILED',
      );
      expect(error.closeCode).toBe(1007);
    });

    test('§7.2.3.5: two DEFLATE blocks in one message', async () => {
      const codec = codecFor(plainConfig);
      const payload = fromHex('f2 48 05 00 00 00 ff ff ca c9 c9 07 00');
      expect(Buffer.from(await codec.decompress(payload, 100)).toString()).toBe('Hello');
    });

    test('§7.2.3.6: an empty message compresses to 00, also after other messages', async () => {
      const codec = codecFor(plainConfig);
      expect(toHex(await codec.compress(new Uint8Array(0)))).toBe('00');
      await codec.compress(text('Hello'));
      expect(toHex(await codec.compress(new Uint8Array(0)))).toBe('00');
      expect(toHex(await codec.compress(new Uint8Array(0)))).toBe('00');

      const receiver = codecFor(plainConfig);
      expect((await receiver.decompress(fromHex('00'), 0)).length).toBe(0);
      // An empty payload (no 0x00) is accepted as an empty message and leaves zlib alone.
      expect((await receiver.decompress(new Uint8Array(0), 0)).length).toBe(0);
      expect(Buffer.from(await receiver.decompress(fromHex('f248cdc9c90700'), 5)).toString()).toBe(
        'Hello',
      );
    });
  });

  describe('createZlibCodec: context takeover (RFC 7692 §7.1.1)', () => {
    test('round-trips many messages; later ones compress smaller thanks to the shared window', async () => {
      const { client, server } = codecPair();
      const sizes: number[] = [];
      for (let index = 0; index < 100; index++) {
        const message = chatMessage(index);
        const compressed = await client.compress(message);
        sizes.push(compressed.length);
        expect(Buffer.from(await server.decompress(compressed, message.length))).toEqual(
          Buffer.from(message),
        );
      }
      const first = sizes[0] as number;
      const later = sizes.slice(10);
      expect(Math.max(...later)).toBeLessThan(first * 0.6);

      // A later message needs the earlier ones: a fresh inflater cannot decode it alone.
      const next = await client.compress(chatMessage(100));
      expect(() => inflateAlone(next)).toThrow();
    });

    test('client_no_context_takeover and server_no_context_takeover: each message stands alone', async () => {
      const { client, server } = codecPair({
        clientNoContextTakeover: true,
        serverNoContextTakeover: true,
      });
      const repeated = chatMessage(1);
      const fromClient = [await client.compress(repeated), await client.compress(repeated)];
      const fromServer = [await server.compress(repeated), await server.compress(repeated)];
      expect(toHex(fromClient[1] as Uint8Array)).toBe(toHex(fromClient[0] as Uint8Array));
      expect(toHex(fromServer[1] as Uint8Array)).toBe(toHex(fromServer[0] as Uint8Array));

      for (let index = 0; index < 30; index++) {
        const message = chatMessage(index);
        for (const [sender, receiver] of [
          [client, server],
          [server, client],
        ] as const) {
          const compressed = await sender.compress(message);
          expect(inflateAlone(compressed)).toEqual(Buffer.from(message));
          expect(
            Buffer.from(await receiver.decompress(compressed, Number.POSITIVE_INFINITY)),
          ).toEqual(Buffer.from(message));
        }
      }
    });

    test('only the side that promised resets: client_no_context_takeover alone', async () => {
      const { client, server } = codecPair({ clientNoContextTakeover: true });
      const message = chatMessage(3);
      const first = await server.compress(message);
      const second = await server.compress(message);
      expect(second.length).toBeLessThan(first.length / 4);
      expect(toHex(await client.compress(message))).toBe(toHex(await client.compress(message)));
    });
  });

  describe('createZlibCodec: window bits (RFC 7692 §7.1.2)', () => {
    test.each([8, 9, 10, 11, 12, 13, 14, 15])('round-trips with a %i-bit window', async (bits) => {
      const { client, server } = codecPair({
        serverMaxWindowBits: bits,
        clientMaxWindowBits: bits,
      });
      for (let index = 0; index < 3; index++) {
        const message = largeText(40_000, bits * 10 + index);
        const toServer = await client.compress(message);
        expect(Buffer.from(await server.decompress(toServer, message.length))).toEqual(
          Buffer.from(message),
        );
        const toClient = await server.compress(message);
        expect(Buffer.from(await client.decompress(toClient, message.length))).toEqual(
          Buffer.from(message),
        );
      }
    });

    test('data that needs a larger window than negotiated fails with 1007', async () => {
      const wide = codecFor(plainConfig);
      const narrow = codecFor({
        ...plainConfig,
        inflate: { noContextTakeover: false, maxWindowBits: 8 },
      });
      const error = await expectRejection(
        narrow.decompress(await wide.compress(largeText(20_000)), Number.POSITIVE_INFINITY),
        'WS_ERR_DECOMPRESSION_FAILED',
      );
      expect(error.closeCode).toBe(1007);
      expect(String((error.cause as Error).message)).toMatch(/too far back/);
    });
  });

  describe('createZlibCodec: interop with ws', () => {
    const cases = [8, 9, 10, 11, 12, 13, 14, 15].flatMap((bits) =>
      [false, true].map((noContextTakeover) => ({ bits, noContextTakeover })),
    );

    const roles = [
      { ourRole: 'server', peer: 'ws client', pair: withWsClient },
      { ourRole: 'client', peer: 'ws server', pair: withWsServer },
    ] as const;

    test.each(roles.flatMap((role) => cases.map((options) => ({ ...role, ...options }))))(
      'our $ourRole, $peer: $bits bits, no context takeover $noContextTakeover',
      async ({ ourRole, pair, bits, noContextTakeover }) => {
        const { ws, ours } = pair({
          serverMaxWindowBits: bits,
          clientMaxWindowBits: bits,
          serverNoContextTakeover: noContextTakeover,
          clientNoContextTakeover: noContextTakeover,
        });
        const fromUs = async (message: Uint8Array) =>
          expect(await wsCall(ws, 'decompress', await ours.compress(message))).toEqual(
            Buffer.from(message),
          );
        const fromWs = async (message: Uint8Array) =>
          expect(
            Buffer.from(
              await ours.decompress(await wsCall(ws, 'compress', message), message.length),
            ),
          ).toEqual(Buffer.from(message));
        try {
          // Short and long messages in turn; the server speaks first, each way.
          for (let index = 0; index < 4; index++) {
            const message =
              (index % 2 === 0) === (ourRole === 'server')
                ? chatMessage(index)
                : largeText(50_000, index);
            if (ourRole === 'server') {
              await fromUs(message);
              await fromWs(message);
            } else {
              await fromWs(message);
              await fromUs(message);
            }
          }
        } finally {
          ws.cleanup();
        }
      },
    );
  });

  describe('createZlibCodec: output longer than the compressor chunk (DEFAULT_DEFLATE_CHUNK_SIZE)', () => {
    test('a message compressing to several chunks reaches ws whole, and the next one still refers back', async () => {
      const { ws, ours } = withWsClient({});
      try {
        // Random bytes do not compress: the output is longer than several 4 KiB chunks.
        const incompressible = randomBytes(5 * DEFAULT_DEFLATE_CHUNK_SIZE);
        const compressed = await ours.compress(incompressible);
        expect(compressed.length).toBeGreaterThan(4 * DEFAULT_DEFLATE_CHUNK_SIZE);
        expect(await wsCall(ws, 'decompress', compressed)).toEqual(incompressible);
        // With context takeover the window now ends with those bytes: repeating its tail
        // compresses to a back reference that ws resolves against what it inflated.
        const tail = incompressible.subarray(incompressible.length - 1000);
        const repeated = await ours.compress(tail);
        expect(repeated.length).toBeLessThan(100);
        expect(await wsCall(ws, 'decompress', repeated)).toEqual(tail);
      } finally {
        ws.cleanup();
      }
    });

    test('a short compressed message keeps a 4 KiB output buffer alive, not the 16 KiB default of Node', async () => {
      const { server } = codecPair();
      const compressed = await server.compress(chatMessage(1));
      expect(compressed.length).toBeLessThan(DEFAULT_DEFLATE_CHUNK_SIZE);
      // The result is a view into the compressor's output buffer (see createZlibCodec).
      expect(compressed.buffer.byteLength).toBe(DEFAULT_DEFLATE_CHUNK_SIZE);
      expect(inflateAlone(compressed)).toEqual(Buffer.from(chatMessage(1)));
    });
  });
});

describe('createZlibCodec: idle streams are freed, their window kept (ZLIB_IDLE_MS)', () => {
  onThreadPool();
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Only the sweeper's interval is faked: zlib's own callbacks stay real. */
  function fakeSweeperClock(): void {
    // The sweeper's timer is created when the first stream goes live: none may be left over.
    expect(zlibStreamPool.size).toBe(0);
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  }

  test.each([8, 12, 15])(
    'with a ws peer (%i bits, context takeover): freed when idle, later messages still refer back',
    async (bits) => {
      fakeSweeperClock();
      const { ws, ours } = withWsClient({ serverMaxWindowBits: bits, clientMaxWindowBits: bits });
      try {
        const messages = [chatMessage(1), largeText(50_000, bits), chatMessage(2), chatMessage(1)];
        let firstFromUs = 0;
        let firstFromWs = 0;
        for (const [index, message] of messages.entries()) {
          const fromUs = await ours.compress(message);
          expect(await wsCall(ws, 'decompress', fromUs)).toEqual(Buffer.from(message));
          const fromWs = await wsCall(ws, 'compress', message);
          expect(Buffer.from(await ours.decompress(fromWs, message.length))).toEqual(
            Buffer.from(message),
          );
          if (index === 0) {
            firstFromUs = fromUs.length;
            firstFromWs = fromWs.length;
          }
          // Both streams are alive until two sweeps passed without a message.
          expect(zlibStreamPool.size).toBe(2);
          vi.advanceTimersByTime(ZLIB_IDLE_MS);
          expect(zlibStreamPool.size).toBe(2);
          vi.advanceTimersByTime(ZLIB_IDLE_MS);
          expect(zlibStreamPool.size).toBe(0);
        }
        // The last message repeats the first, which is still in a 256-byte and larger window
        // only if nothing came between; with 12 and 15 bits it is, two messages back.
        if (bits >= 12) {
          const again = await ours.compress(chatMessage(2));
          expect(again.length).toBeLessThan(firstFromUs / 4);
          expect(await wsCall(ws, 'decompress', again)).toEqual(Buffer.from(chatMessage(2)));
          const fromWs = await wsCall(ws, 'compress', chatMessage(2));
          expect(fromWs.length).toBeLessThan(firstFromWs / 4);
          expect(Buffer.from(await ours.decompress(fromWs, Number.POSITIVE_INFINITY))).toEqual(
            Buffer.from(chatMessage(2)),
          );
        }
      } finally {
        ws.cleanup();
      }
    },
  );

  test('a message compressed right after a freed stream refers back like a kept stream would', async () => {
    fakeSweeperClock();
    const kept = codecPair();
    const freed = codecPair();
    for (let index = 0; index < 5; index++) {
      const message = chatMessage(index);
      const fromKept = await kept.server.compress(message);
      const fromFreed = await freed.server.compress(message);
      vi.advanceTimersByTime(2 * ZLIB_IDLE_MS);
      // The kept pair is used between sweeps, so only the other pair's streams are freed.
      await kept.server.compress(new Uint8Array(0));
      await kept.client.decompress(fromKept, Number.POSITIVE_INFINITY);
      expect(Buffer.from(await freed.client.decompress(fromFreed, message.length))).toEqual(
        Buffer.from(message),
      );
      // Same window, same settings: the same bytes, except that the kept stream also
      // compressed an empty message (an empty stored block) in between.
      if (index > 0) expect(Math.abs(fromFreed.length - fromKept.length)).toBeLessThan(8);
    }
  });

  test('a stream with work queued is not freed', async () => {
    fakeSweeperClock();
    const { client, server } = codecPair();
    const message = largeText(2 * MiB, 7);
    const pending = client.compress(message);
    vi.advanceTimersByTime(3 * ZLIB_IDLE_MS);
    const compressed = await pending;
    expect(zlibStreamPool.size).toBe(1);
    expect(Buffer.from(await server.decompress(compressed, message.length))).toEqual(
      Buffer.from(message),
    );
    vi.advanceTimersByTime(2 * ZLIB_IDLE_MS);
    expect(zlibStreamPool.size).toBe(0);
  });

  test('without context takeover no stream outlives its message, so nothing is swept', async () => {
    fakeSweeperClock();
    const { client, server } = codecPair({
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
    });
    const message = chatMessage(4);
    await server.decompress(await client.compress(message), message.length);
    await client.decompress(await server.compress(message), message.length);
    expect(zlibStreamPool.size).toBe(0);
  });

  test('close() unregisters the codec: no timer is left behind', async () => {
    fakeSweeperClock();
    const { client } = codecPair();
    await client.compress(chatMessage(5));
    expect(zlibStreamPool.size).toBe(1);
    client.close();
    expect(zlibStreamPool.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

inEitherPath(() => {
  describe('createZlibCodec: limits and errors', () => {
    test('a decompression bomb (100 MiB of zeros) ends in 1009 with memory near maxSize, printing nothing', async () => {
      const printed: unknown[] = [];
      const onWarning = (warning: Error) => printed.push(warning);
      process.on('warning', onWarning);
      const spies = [
        vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => printed.push(chunk) > 0),
        vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => printed.push(chunk) > 0),
        ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
          vi.spyOn(console, method).mockImplementation((...args) => void printed.push(args)),
        ),
      ];
      try {
        const bomb = await compressZeros(100 * MiB);
        expect(bomb.length).toBeLessThan(200 * 1024);

        const maxSize = 1 * MiB;
        const codec = codecFor(plainConfig);
        const gc = exposeGc();
        // Let the bomb's compressor finish closing so its buffers are garbage, then collect.
        await new Promise((resolve) => setTimeout(resolve, 10));
        gc();
        const before = process.memoryUsage();
        let peakArrayBuffers = before.arrayBuffers;
        let peakRss = before.rss;
        let sampling = true;
        const sample = (): void => {
          const usage = process.memoryUsage();
          peakArrayBuffers = Math.max(peakArrayBuffers, usage.arrayBuffers);
          peakRss = Math.max(peakRss, usage.rss);
          // zlib hands back one chunk per thread-pool round trip, so sampling every turn of
          // the event loop sees the memory at each step.
          if (sampling) setImmediate(sample);
        };
        sample();

        const error = await expectRejection(
          codec.decompress(bomb, maxSize),
          'WS_ERR_MESSAGE_TOO_BIG',
        );
        sampling = false;
        sample();

        expect(error.closeCode).toBe(1009);
        const arrayBufferGrowth = peakArrayBuffers - before.arrayBuffers;
        const rssGrowth = peakRss - before.rss;
        // Buffers: maxSize plus a chunk or two (the input is 100 KiB). Unstopped, 100 MiB.
        expect(arrayBufferGrowth).toBeLessThan(maxSize + 512 * 1024);
        // RSS also counts zlib's native state and whatever V8 does; still far below 100 MiB.
        expect(rssGrowth).toBeLessThan(16 * MiB);

        // The codec is done after the error, and says so.
        await expectRejection(
          codec.decompress(fromHex('f248cdc9c90700'), 100),
          'WS_ERR_INVALID_STATE',
        );
        await expectRejection(codec.compress(text('Hello')), 'WS_ERR_INVALID_STATE');
        // Let any late event from the destroyed stream fire while we still listen.
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        for (const spy of spies) spy.mockRestore();
        process.off('warning', onWarning);
      }
      expect(printed).toEqual([]);
    });

    test('output exactly at maxSize is allowed; one byte more is 1009', async () => {
      const sender = codecFor(plainConfig);
      const message = largeText(100_000);
      const compressed = await sender.compress(message);
      const exact = codecFor(plainConfig);
      expect((await exact.decompress(compressed, message.length)).length).toBe(message.length);
      const tooSmall = codecFor(plainConfig);
      await expectRejection(
        tooSmall.decompress(compressed, message.length - 1),
        'WS_ERR_MESSAGE_TOO_BIG',
      );
    });

    test('corrupt data rejects with 1007, then the codec only rejects', async () => {
      const codec = codecFor(plainConfig);
      const error = await expectRejection(
        codec.decompress(fromHex('ff ff ff ff'), 100),
        'WS_ERR_DECOMPRESSION_FAILED',
      );
      expect(error.closeCode).toBe(1007);
      expect((error.cause as NodeJS.ErrnoException).code).toBe('Z_DATA_ERROR');

      const later = await expectRejection(
        codec.decompress(fromHex('f248cdc9c90700'), 100),
        'WS_ERR_INVALID_STATE',
      );
      expect(later.cause).toBe(error);
      await expectRejection(codec.compress(text('Hello')), 'WS_ERR_INVALID_STATE');
      codec.close();
      codec.close();
    });

    test('maxSize must be a non-negative number', async () => {
      const codec = codecFor(plainConfig);
      await expectRejection(codec.decompress(fromHex('00'), Number.NaN), 'WS_ERR_INVALID_ARGUMENT');
      await expectRejection(codec.decompress(fromHex('00'), -1), 'WS_ERR_INVALID_ARGUMENT');
      // Misuse does not break the codec.
      expect((await codec.decompress(fromHex('00'), 0)).length).toBe(0);
    });

    test('close() rejects the running and queued calls and every later one, and is idempotent', async () => {
      const codec = codecFor(plainConfig);
      await codec.compress(text('warm up'));
      const running = codec.compress(largeText(2 * MiB));
      const queued = codec.compress(text('queued'));
      const inflating = codec.decompress(fromHex('f248cdc9c90700'), 100);
      codec.close();
      await expectRejection(running, 'WS_ERR_INVALID_STATE');
      await expectRejection(queued, 'WS_ERR_INVALID_STATE');
      await expectRejection(inflating, 'WS_ERR_INVALID_STATE');
      await expectRejection(codec.compress(text('after')), 'WS_ERR_INVALID_STATE');
      await expectRejection(codec.decompress(fromHex('00'), 1), 'WS_ERR_INVALID_STATE');
      codec.close();
    });
  });

  describe('createZlibCodec: ordering', () => {
    test('calls made without awaiting run one at a time, in call order', async () => {
      const { client, server } = codecPair();
      const messages = Array.from({ length: 40 }, (_, index) =>
        index % 5 === 0 ? largeText(30_000, index) : chatMessage(index),
      );
      const finished: number[] = [];
      const compressed = await Promise.all(
        messages.map((message, index) =>
          client.compress(message).then((result) => {
            finished.push(index);
            return result;
          }),
        ),
      );
      expect(finished).toEqual(messages.map((_, index) => index));

      // With context takeover any reordering would make these fail or differ.
      const decompressed = await Promise.all(
        compressed.map((payload) => server.decompress(payload, Number.POSITIVE_INFINITY)),
      );
      expect(decompressed.map((bytes) => Buffer.from(bytes))).toEqual(
        messages.map((message) => Buffer.from(message)),
      );
    });

    test('a failed call fails the calls queued after it', async () => {
      const codec = codecFor(plainConfig);
      const results = await Promise.allSettled([
        codec.decompress(fromHex('f248cdc9c90700'), 100),
        codec.decompress(fromHex('ff ff ff ff'), 100),
        codec.decompress(fromHex('f200110000'), 100),
      ]);
      expect(results[0]).toMatchObject({ status: 'fulfilled' });
      expect(results[1]).toMatchObject({
        status: 'rejected',
        reason: { code: 'WS_ERR_DECOMPRESSION_FAILED' },
      });
      expect(results[2]).toMatchObject({
        status: 'rejected',
        reason: { code: 'WS_ERR_INVALID_STATE' },
      });
    });
  });
});

describe('createZlibCodec: the limiter (thread pool)', () => {
  onThreadPool();

  test('all codecs share the limiter: never more than its limit of zlib operations at once', async () => {
    const limiter = new RecordingLimiter(2);
    const pairs = Array.from({ length: 8 }, () => codecPair({}, limiter));
    await Promise.all(
      pairs.flatMap(({ client, server }, index) =>
        [0, 1, 2].map(async (step) => {
          const message = largeText(20_000, index * 3 + step);
          const payload = await client.compress(message);
          expect(Buffer.from(await server.decompress(payload, message.length))).toEqual(
            Buffer.from(message),
          );
        }),
      ),
    );
    expect(limiter.maxRunning).toBe(2);
    expect(limiter.running).toBe(0);
  });

  test('compressions waiting for the limiter go ahead of decompressions that waited longer', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const { client, server } = codecPair({}, limiter);
    const order: string[] = [];
    const message = largeText(5000, 3);
    const payload = await client.compress(message);
    // Occupy the one slot so that everything below has to wait for it.
    let release!: () => void;
    const blocker = limiter.run(() => new Promise<void>((resolve) => (release = resolve)));
    const inbound = [1, 2].map((index) =>
      server.decompress(payload, message.length).then(() => order.push(`decompress ${index}`)),
    );
    const outbound = server.compress(message).then(() => order.push('compress'));
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await Promise.all([blocker, ...inbound, outbound]);
    // Decompression 1 waits in the limiter (2 behind it, in its codec's own queue); the
    // compression, asked for later, gets the slot first.
    expect(order[0]).toBe('compress');
  });

  test('by default the process-wide limiter of 10 is used', async () => {
    expect(zlibLimiter.limit).toBe(DEFAULT_ZLIB_CONCURRENCY);
    expect(DEFAULT_ZLIB_CONCURRENCY).toBe(10);
    const codecs = Array.from({ length: 30 }, () => codecFor(plainConfig));
    let maxRunning = 0;
    let maxWaiting = 0;
    let sampling = true;
    const sample = (): void => {
      maxRunning = Math.max(maxRunning, zlibLimiter.running);
      maxWaiting = Math.max(maxWaiting, zlibLimiter.waiting);
      if (sampling) setImmediate(sample);
    };
    sample();
    await Promise.all(codecs.map((codec, index) => codec.compress(largeText(200_000, index))));
    sampling = false;
    expect(maxRunning).toBe(10);
    expect(maxWaiting).toBeGreaterThan(0);
  });
});

/**
 * A limiter that records how many jobs it was given (those that reach the thread pool) and the
 * most it ran at once.
 */
class RecordingLimiter extends ConcurrencyLimiter {
  jobs = 0;
  maxRunning = 0;

  override run<T>(job: () => Promise<T>, options?: { first?: boolean }): Promise<T> {
    this.jobs++;
    return super.run(() => {
      this.maxRunning = Math.max(this.maxRunning, this.running);
      return job();
    }, options);
  }
}

/** `size` zero bytes, deflated and trailer-stripped, without ever holding them all at once. */
async function compressZeros(size: number): Promise<Buffer> {
  const deflate = createDeflateRaw({ level: 9 });
  const chunks: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
  const zeros = Buffer.alloc(MiB);
  for (let written = 0; written < size; written += zeros.length) deflate.write(zeros);
  await new Promise<void>((resolve) => deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
  deflate.close();
  const output = Buffer.concat(chunks);
  return output.subarray(0, output.length - TRAILER.length);
}

/** `gc()` without restarting the test worker with --expose-gc. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('createZlibCodec: a capped stream pool (LiveStreamPool)', () => {
  onThreadPool();

  test('8 codecs with ws peers, a pool of 1: concurrent jobs on evicted streams round-trip and keep the context', async () => {
    const pool = new LiveStreamPool(1, 60_000);
    const pairs = Array.from({ length: 8 }, () => {
      return withWsClient(
        { serverMaxWindowBits: 12, clientMaxWindowBits: 12 },
        { streamPool: pool, syncMaxBytes },
      );
    });
    try {
      for (let round = 0; round < 4; round++) {
        // Rounds 1 and 3 repeat rounds 0 and 2: the context has to survive the evictions.
        const messages = pairs.map((_, index) => largeText(3000, 100 * (round >> 1) + index));
        // Every codec runs at once (the limiter lets 10 run): more streams are in use than
        // the pool's capacity, and none may be freed while zlib works on it.
        const fromUs = await Promise.all(
          pairs.map(({ ours }, index) => ours.compress(messages[index] as Uint8Array)),
        );
        expect(pool.size).toBe(1);
        const fromWs = await Promise.all(
          pairs.map(({ ws }, index) => wsCall(ws, 'compress', messages[index] as Uint8Array)),
        );
        const inflated = await Promise.all(
          pairs.map(({ ours }, index) => ours.decompress(fromWs[index] as Buffer, 3000)),
        );
        for (const [index, { ws }] of pairs.entries()) {
          const message = Buffer.from(messages[index] as Uint8Array);
          expect(await wsCall(ws, 'decompress', fromUs[index] as Uint8Array)).toEqual(message);
          expect(Buffer.from(inflated[index] as Uint8Array)).toEqual(message);
          // About 12 back references of 258 bytes; a fresh message takes over 500 bytes.
          const size = (fromUs[index] as Uint8Array).length;
          if (round % 2 === 1) expect(size).toBeLessThan(100);
          else expect(size).toBeGreaterThan(500);
        }
      }
      expect(pool.evicted).toBeGreaterThanOrEqual(8 * 4);
    } finally {
      for (const { ws } of pairs) ws.cleanup();
    }
  });
});

describe('createZlibCodec: one call on the event loop up to syncMaxBytes, a stream above', () => {
  test('the default is 64 KiB: messages up to it never reach the limiter or the stream pool', async () => {
    expect(DEFAULT_SYNC_MAX_BYTES).toBe(64 * 1024);
    const limiter = new RecordingLimiter(10);
    const { client, server } = codecPair({}, limiter);
    for (const message of [chatMessage(1), largeText(DEFAULT_SYNC_MAX_BYTES, 2)]) {
      const compressed = await client.compress(message);
      expect(Buffer.from(await server.decompress(compressed, message.length))).toEqual(
        Buffer.from(message),
      );
      expect(zlibStreamPool.size).toBe(0);
    }
    expect(limiter.jobs).toBe(0);

    // One byte more: compressed on a stream, which stays alive for the next message.
    const larger = largeText(DEFAULT_SYNC_MAX_BYTES + 1, 3);
    const compressed = await client.compress(larger);
    expect(limiter.jobs).toBe(1);
    expect(zlibStreamPool.size).toBe(1);
    // Its compressed form is small enough for one call, and inflates to more than 64 KiB:
    // tried in one call, then again on the thread pool.
    expect(compressed.length).toBeLessThan(DEFAULT_SYNC_MAX_BYTES);
    expect(Buffer.from(await server.decompress(compressed, larger.length))).toEqual(
      Buffer.from(larger),
    );
    expect(limiter.jobs).toBe(2);
    expect(zlibStreamPool.size).toBe(2);

    // A small message again: the streams are freed, their state being one message behind.
    await server.decompress(await client.compress(chatMessage(4)), Number.POSITIVE_INFINITY);
    expect(limiter.jobs).toBe(2);
    expect(zlibStreamPool.size).toBe(0);
  });

  test.each([12, 15])(
    'with a ws peer (%i bits): the shared window carries over between the two paths, both ways',
    async (bits) => {
      const { ws, ours } = withWsClient(
        { serverMaxWindowBits: bits, clientMaxWindowBits: bits },
        { syncMaxBytes: 1000 },
      );
      try {
        // Alternately under and over 1,000 bytes; each message but the first begins with the
        // last 200 bytes of the one before it, so it refers back across the change of path.
        const messages: Uint8Array[] = [chatMessage(1)];
        for (let index = 2; index <= 8; index++) {
          const previous = messages.at(-1) as Uint8Array;
          const rest = index % 2 === 0 ? largeText(3000, index) : chatMessage(index);
          messages.push(Buffer.concat([previous.subarray(previous.length - 200), rest]));
        }
        for (const [index, message] of messages.entries()) {
          const fromUs = await ours.compress(message);
          expect(await wsCall(ws, 'decompress', fromUs)).toEqual(Buffer.from(message));
          // Alone, a decompressor cannot resolve the reference to the message before.
          if (index > 0) expect(() => inflateAlone(fromUs)).toThrow();
          const fromWs = await wsCall(ws, 'compress', message);
          if (index > 0) expect(() => inflateAlone(fromWs)).toThrow();
          expect(Buffer.from(await ours.decompress(fromWs, message.length))).toEqual(
            Buffer.from(message),
          );
        }
      } finally {
        ws.cleanup();
      }
    },
  );

  test('sizes and kinds of content around syncMaxBytes, in a seeded random order, round-trip with ws both ways', async () => {
    let state = 7;
    const next = (bound: number): number => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state % bound;
    };
    for (const bits of [9, 12, 15]) {
      const { ws, ours } = withWsClient(
        { serverMaxWindowBits: bits, clientMaxWindowBits: bits },
        { syncMaxBytes: 1000 },
      );
      try {
        for (let index = 0; index < 60; index++) {
          const size = [next(200), 900 + next(200), 3000 + next(6000)][next(3)] as number;
          const kind = next(3);
          const message =
            kind === 0
              ? randomBytes(size)
              : kind === 1
                ? Buffer.alloc(size, next(256))
                : Buffer.from(largeText(size, index));
          const fromUs = await ours.compress(message);
          expect(await wsCall(ws, 'decompress', fromUs)).toEqual(message);
          const fromWs = await wsCall(ws, 'compress', message);
          expect(Buffer.from(await ours.decompress(fromWs, message.length))).toEqual(message);
        }
      } finally {
        ws.cleanup();
      }
    }
  });

  test('a small payload that inflates past syncMaxBytes: again on the thread pool up to maxSize, else 1009', async () => {
    const sender = codecFor(plainConfig);
    const zeros = Buffer.alloc(200_000);
    const compressed = await sender.compress(zeros);
    expect(compressed.length).toBeLessThan(1000);

    const limiter = new RecordingLimiter(10);
    const make = () => {
      const codec = createZlibCodec(plainConfig, { limiter, syncMaxBytes: 1000 });
      opened.push(codec);
      return codec;
    };
    expect(Buffer.from(await make().decompress(compressed, zeros.length))).toEqual(zeros);
    expect(limiter.jobs).toBe(1);
    // maxSize within syncMaxBytes: too big right away, the thread pool not asked.
    const error = await expectRejection(
      make().decompress(compressed, 1000),
      'WS_ERR_MESSAGE_TOO_BIG',
    );
    expect(error.closeCode).toBe(1009);
    expect(limiter.jobs).toBe(1);
    // maxSize above it: the thread pool's stream gives up at maxSize.
    await expectRejection(make().decompress(compressed, 100_000), 'WS_ERR_MESSAGE_TOO_BIG');
    expect(limiter.jobs).toBe(2);
  });

  test('a connection whose messages inflate past syncMaxBytes sends the next ones straight to the thread pool; a short repeat does not', async () => {
    // Count the one-call inflations: ES module bindings of a builtin follow its CommonJS
    // exports after syncBuiltinESMExports().
    const calls = vi.spyOn(zlib, 'inflateRawSync');
    syncBuiltinESMExports();
    try {
      const sender = codecFor(plainConfig);
      const limiter = new RecordingLimiter(10);
      const receiver = createZlibCodec(plainConfig, { limiter, syncMaxBytes: 10_000 });
      opened.push(receiver);
      const inflate = async (message: Uint8Array) =>
        expect(
          Buffer.from(await receiver.decompress(await sender.compress(message), message.length)),
        ).toEqual(Buffer.from(message));

      // About 3,000 bytes compressed, 30,000 inflated: tried in one call (nothing known yet),
      // then on the thread pool.
      await inflate(largeText(30_000, 1));
      expect([calls.mock.calls.length, limiter.jobs]).toEqual([1, 1]);
      // The same kind again: straight to the thread pool.
      await inflate(largeText(30_000, 2));
      expect([calls.mock.calls.length, limiter.jobs]).toEqual([1, 2]);
      // A short message, even at that expansion, is inflated in one call, and teaches the
      // codec its own expansion.
      await inflate(chatMessage(3));
      expect([calls.mock.calls.length, limiter.jobs]).toEqual([2, 2]);
      // A repeat that context takeover shrinks to a few bytes expands a hundredfold; it does
      // not send the next message, which fits, to the thread pool.
      const repeated = largeText(5000, 4);
      await inflate(repeated);
      await inflate(repeated);
      await inflate(largeText(8000, 5));
      expect([calls.mock.calls.length, limiter.jobs]).toEqual([5, 2]);
    } finally {
      calls.mockRestore();
      syncBuiltinESMExports();
    }
  });

  test('maxSize 0: only an empty message passes', async () => {
    const codec = codecFor(plainConfig);
    expect((await codec.decompress(fromHex('00'), 0)).length).toBe(0);
    await expectRejection(
      codecFor(plainConfig).decompress(fromHex('f248cdc9c90700'), 0),
      'WS_ERR_MESSAGE_TOO_BIG',
    );
  });

  test('syncMaxBytes must be a non-negative integer or Infinity', async () => {
    for (const value of [-1, 1.5, Number.NaN, '1000']) {
      expect(() => createZlibCodec(plainConfig, { syncMaxBytes: value as number })).toThrow(
        /syncMaxBytes must be a non-negative integer or Infinity/,
      );
    }
    // Infinity: every message in one call, however long, and maxSize still holds.
    const codec = codecFor(plainConfig);
    const limiter = new RecordingLimiter(1);
    const everything = createZlibCodec(plainConfig, {
      syncMaxBytes: Number.POSITIVE_INFINITY,
      limiter,
    });
    opened.push(everything);
    const message = largeText(300_000, 5);
    const compressed = await codec.compress(message);
    expect(Buffer.from(await everything.decompress(compressed, message.length))).toEqual(
      Buffer.from(message),
    );
    expect(limiter.jobs).toBe(0);
    await expectRejection(
      createZlibCodec(plainConfig, { syncMaxBytes: Number.POSITIVE_INFINITY }).decompress(
        compressed,
        message.length - 1,
      ),
      'WS_ERR_MESSAGE_TOO_BIG',
    );
  });
});
