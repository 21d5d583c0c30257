/**
 * permessage-deflate (RFC 7692) on `node:zlib`: the `PerMessageCodec` that the core runs each
 * compressed message through. The core negotiates, sets RSV1 and enforces limits; this file
 * only turns whole message payloads into raw DEFLATE and back.
 */
import { kMaxLength } from 'node:buffer';
import {
  constants,
  createDeflateRaw,
  createInflateRaw,
  type DeflateRaw,
  deflateRawSync,
  type InflateRaw,
  inflateRawSync,
  type ZlibOptions,
} from 'node:zlib';
import {
  DEFLATE_TRAILER,
  decompressedMessageTooBig,
  decompressionFailed,
  type PerMessageCodec,
  type PerMessageCodecConfig,
  stripDeflateTrailer,
  WebSocketError,
} from '@wskit/core';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { LiveStreamPool } from './live-stream-pool.js';
import { SlidingWindow } from './sliding-window.js';
import { type ZlibStream, ZlibStreamSlot } from './zlib-stream-slot.js';

/** How many zlib operations run at once in the process by default, as in `ws`. */
export const DEFAULT_ZLIB_CONCURRENCY = 10;

/**
 * The limiter every codec uses unless given another.
 *
 * Global on purpose. Each async zlib call runs on libuv's shared thread pool and allocates
 * its own native buffers; with many calls in flight at once (one per busy connection) the
 * allocator fragments the heap badly and RSS climbs into gigabytes that are never given
 * back, while throughput drops. Capping concurrency process-wide avoids it: see
 * https://github.com/nodejs/node/issues/8871#issuecomment-250915913 (the zlib "leak"),
 * https://github.com/websockets/ws/issues/1202 (measurements, and the limiter `ws` added as
 * `concurrencyLimit`, default 10) and https://github.com/websockets/ws/issues/1369 (it still
 * fragments under heavy load, so keep the limit low). The problem is the one shared thread
 * pool, so a per-connection limit would not help.
 */
export const zlibLimiter: ConcurrencyLimiter = /* @__PURE__ */ new ConcurrencyLimiter(
  DEFAULT_ZLIB_CONCURRENCY,
);

/**
 * Messages up to this many bytes are compressed and decompressed on the event loop, each in one
 * synchronous zlib call (`deflateRawSync`, `inflateRawSync`) preset with the window copy, unless
 * configured (`syncMaxBytes`). Larger ones go to libuv's thread pool through a zlib stream.
 *
 * Small messages are most of what a WebSocket server compresses, and for them the thread pool
 * costs more than the work: a round trip to a worker thread and back, a stream per connection
 * kept alive between messages, and the wait for a slot of `zlibLimiter`. Done in place, a 64 B
 * compressed echo takes a quarter of the server CPU per message, and the zlib state is
 * allocated and freed on one thread right away, so a burst of compressed messages leaves
 * glibc's main heap nearly as it found it (measured in `packages/bench`, README). The cost is
 * the event loop's time: at 64 KiB about 0.4 ms to compress and 0.25 ms to decompress on the
 * machine of those figures, about what a `JSON.parse` of that much text takes.
 */
export const DEFAULT_SYNC_MAX_BYTES = 64 * 1024;

/** What `syncMaxBytes` accepts: a non-negative integer, or `Infinity` for every message. */
export function isSyncMaxBytes(value: unknown): value is number {
  return (
    value === Number.POSITIVE_INFINITY ||
    (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)
  );
}

/**
 * The compressor's `memLevel` unless configured: Python's `websockets` default, chosen there
 * from measurements, instead of zlib's 8. It sizes the buffer of pending output symbols
 * (4 << (memLevel + 6) bytes: 8 KiB instead of 64 KiB), at a cost of about 1% in ratio on
 * typical JSON messages. It would also size the hash table, but the zlib bundled with Node
 * (Chromium's) always uses 2^15 hash entries (64 KiB) on CPUs with a CRC32 instruction.
 */
export const DEFAULT_MEM_LEVEL = 5;

/**
 * The compressor's `chunkSize` (its output buffer) unless configured: 4 KiB instead of Node's
 * 16 KiB. Node's zlib stream allocates one such buffer when it is created and another each
 * time one fills, and with the stream pool freeing and recreating the streams of busy
 * connections (`DEFAULT_MAX_LIVE_STREAMS`), those buffers are much of what a burst of
 * compressed messages churns through glibc's main heap, which keeps most of it resident
 * afterwards. Compressed messages are usually a fraction of their size, so a longer one takes
 * a few 4 KiB rounds (and one copy to join them) instead of one; measured in `packages/bench`
 * (README), no throughput cost on 64 B or 16 KiB echoes and about 5 KiB less RSS per
 * connection at rest. The decompressor keeps 16 KiB: its output is the whole message, and
 * smaller chunks cost 10% on 16 KiB messages.
 */
export const DEFAULT_DEFLATE_CHUNK_SIZE = 4096;

/**
 * How long a zlib stream with context takeover (one for messages over `syncMaxBytes`) may sit
 * unused before it is freed, keeping only a copy of its window (`SlidingWindow`). A
 * compressor costs ≈110 KiB and a decompressor ≈40 KiB of memory even with 12-bit windows;
 * the copy costs the window size.
 * Streams are freed between one and two intervals after their last use. Long enough that a
 * chatty connection (a message every few seconds) keeps its streams instead of paying for a
 * new one (allocation, a 64 KiB hash table to clear, the dictionary to hash) per message;
 * short enough that connections at rest, most of a big server's, hold none.
 */
export const ZLIB_IDLE_MS = 5000;

/**
 * How many zlib streams (compressors and decompressors together, for messages over
 * `syncMaxBytes`) the process keeps alive at once by default. Freeing idle streams is not
 * enough: glibc's malloc keeps much of the memory of the peak, when every busy connection had
 * its streams, long after they were freed. With a
 * cap, the least recently used stream not in use is freed (its window kept) when another is
 * needed, so zlib's share of the peak is this many streams (≈10 MiB) whatever the number of
 * connections. 128 is both streams of 64 connections busy at once: measured in
 * `packages/bench` (README), it keeps throughput with 64 busy connections where 64 streams
 * cost ≈10% (every message then rebuilds a stream from its window) and halves the peak RSS
 * of 1,000 busy connections.
 */
export const DEFAULT_MAX_LIVE_STREAMS = 128;

/**
 * The pool every codec uses unless given another: process-wide for the same reason as
 * `zlibLimiter`, since the memory it bounds is the process's.
 */
export const zlibStreamPool: LiveStreamPool = /* @__PURE__ */ new LiveStreamPool(
  DEFAULT_MAX_LIVE_STREAMS,
  ZLIB_IDLE_MS,
);

/**
 * zlib settings for the compressor. `windowBits` is not among them: it is negotiated
 * (RFC 7692 §7.1.2) and comes from the config. Nor are `dictionary` or the flush modes, which
 * would break the format.
 */
export type ZlibDeflateOptions = Pick<ZlibOptions, 'level' | 'memLevel' | 'strategy' | 'chunkSize'>;

/**
 * zlib settings for the decompressor. `chunkSize` (default 16 KiB) is also how far past the
 * size limit a decompression bomb can get before it is stopped.
 */
export type ZlibInflateOptions = Pick<ZlibOptions, 'chunkSize'>;

export interface ZlibCodecOptions {
  zlibDeflateOptions?: ZlibDeflateOptions;
  zlibInflateOptions?: ZlibInflateOptions;
  /**
   * Messages of up to this many bytes are compressed or decompressed synchronously on the
   * event loop; larger ones on the thread pool. A received message goes to the event loop if
   * its compressed size is within it and, when the connection's last message inflated past
   * it, so is its compressed size times that message's expansion; one that inflates past it
   * all the same is inflated again on the thread pool. 0 sends every message to the thread pool. Defaults to `DEFAULT_SYNC_MAX_BYTES`
   * (64 KiB).
   */
  syncMaxBytes?: number;
  /** Defaults to `zlibLimiter`, shared by the whole process. */
  limiter?: ConcurrencyLimiter;
  /** Which zlib streams stay alive. Defaults to `zlibStreamPool`, shared by the whole process. */
  streamPool?: LiveStreamPool;
}

/**
 * Builds one connection's codec from the negotiated parameters. Matches
 * `PerMessageCodecFactory` once the options are bound:
 * `(config) => createZlibCodec(config, options)`.
 *
 * zlib reads the input on the thread pool without copying it, so a caller must not change
 * the bytes passed to `compress` or `decompress` until the returned promise settles. A
 * result may be a view into a 16 KiB (`chunkSize`) buffer zlib wrote several outputs to.
 */
export function createZlibCodec(
  config: PerMessageCodecConfig,
  options: ZlibCodecOptions = {},
): PerMessageCodec {
  return new ZlibCodec(config, options);
}

/** RFC 7692 §7.2.2: written after each compressed message, so the payload is not copied. */
const TRAILER = Buffer.from(DEFLATE_TRAILER);

class ZlibCodec implements PerMessageCodec {
  readonly #config: PerMessageCodecConfig;
  readonly #limiter: ConcurrencyLimiter;
  readonly #syncMaxBytes: number;
  /** The options of the one-call path: the stream's, ended by a sync flush (RFC 7692 §7.2.1). */
  readonly #deflateSyncOptions: ZlibOptions;
  readonly #inflateSyncOptions: ZlibOptions;
  /**
   * How many times its compressed size the last message received inflated to, if that was past
   * `syncMaxBytes`, else 1: the guess of how far the next one will. A connection whose messages
   * inflate past `syncMaxBytes` then sends them straight to the thread pool instead of
   * inflating 64 KiB of each in vain first (that cost 30% to 70% more CPU on 100 to 300 KB JSON
   * messages). Only such messages teach it: a short repeat that context takeover shrank to a
   * few bytes of back references expands a hundredfold, and says nothing about the next one.
   */
  #expansion = 1;
  /**
   * The zlib stream of each direction, created for a message and, with context takeover,
   * kept until the pool frees it (idle, or the least recently used when more are needed);
   * without context takeover released after each message.
   */
  readonly #deflate: ZlibStreamSlot<DeflateRaw>;
  readonly #inflate: ZlibStreamSlot<InflateRaw>;

  readonly #compressQueue = new SerialQueue();
  readonly #decompressQueue = new SerialQueue();
  /** Ends the operations zlib is working on (at most one per direction) with an error. */
  readonly #abortRunning = new Set<(error: Error) => void>();

  #state: 'open' | 'closed' | 'failed' = 'open';
  /** The error that made the codec fail, as the cause of later rejections. */
  #failure: unknown;

  constructor(config: PerMessageCodecConfig, options: ZlibCodecOptions) {
    this.#config = config;
    // Copy only the allowed keys, so that untyped callers cannot override the window size.
    const deflate = options.zlibDeflateOptions ?? {};
    const deflateOptions: ZlibOptions = {
      level: deflate.level,
      memLevel: deflate.memLevel ?? DEFAULT_MEM_LEVEL,
      strategy: deflate.strategy,
      chunkSize: deflate.chunkSize ?? DEFAULT_DEFLATE_CHUNK_SIZE,
      // Already 9 when 8 was negotiated: zlib cannot compress with a 256-byte window, and
      // its 512-byte window still yields output a 256-byte window inflates
      // (see `DeflateParams.windowBits` in @wskit/core).
      windowBits: config.deflate.windowBits,
    };
    const inflateOptions: ZlibOptions = {
      chunkSize: options.zlibInflateOptions?.chunkSize,
      windowBits: config.inflate.maxWindowBits,
    };
    this.#limiter = options.limiter ?? zlibLimiter;
    const syncMaxBytes = options.syncMaxBytes ?? DEFAULT_SYNC_MAX_BYTES;
    if (!isSyncMaxBytes(syncMaxBytes)) {
      throw new WebSocketError(
        'WS_ERR_INVALID_ARGUMENT',
        `syncMaxBytes must be a non-negative integer or Infinity, got ${String(syncMaxBytes)}`,
      );
    }
    this.#syncMaxBytes = syncMaxBytes;
    this.#deflateSyncOptions = { ...deflateOptions, finishFlush: constants.Z_SYNC_FLUSH };
    this.#inflateSyncOptions = {
      ...inflateOptions,
      finishFlush: constants.Z_SYNC_FLUSH,
      // With the engine, whose `bytesWritten` tells whether zlib read the whole input.
      info: true,
    };
    const pool = options.streamPool ?? zlibStreamPool;
    // The window the peer's decompressor is guaranteed to have: the negotiated size, even
    // where zlib compresses with 9 bits for a negotiated 8.
    const deflateWindow = config.deflate.noContextTakeover
      ? undefined
      : new SlidingWindow(1 << config.deflate.maxWindowBits);
    const inflateWindow = config.inflate.noContextTakeover
      ? undefined
      : new SlidingWindow(1 << config.inflate.maxWindowBits);
    this.#deflate = new ZlibStreamSlot(createDeflateRaw, deflateOptions, deflateWindow, pool);
    this.#inflate = new ZlibStreamSlot(createInflateRaw, inflateOptions, inflateWindow, pool);
  }

  compress(data: Uint8Array): Promise<Uint8Array> {
    return this.#schedule(this.#compressQueue, () =>
      data.length <= this.#syncMaxBytes
        ? this.#compressSync(data)
        : // First in the limiter's queue: see `#onThreadPool`.
          this.#onThreadPool(true, () => this.#compressNow(data)),
    );
  }

  decompress(data: Uint8Array, maxSize: number): Promise<Uint8Array> {
    if (!(maxSize >= 0)) {
      return Promise.reject(
        new WebSocketError(
          'WS_ERR_INVALID_ARGUMENT',
          `maxSize must be a non-negative number or Infinity, got ${String(maxSize)}`,
        ),
      );
    }
    return this.#schedule(this.#decompressQueue, () =>
      this.#inflatesInOneCall(data.length)
        ? this.#decompressSync(data, maxSize)
        : this.#onThreadPool(false, () => this.#decompressNow(data, maxSize)),
    );
  }

  close(): void {
    this.#shutDown('closed', undefined);
  }

  /**
   * One call at a time per direction, in call order, whatever the caller does: two messages
   * interleaved in one zlib stream, or a message compressed in one call while the one before
   * it is still on the thread pool, would corrupt both.
   */
  #schedule(
    queue: SerialQueue,
    operation: () => Uint8Array | Promise<Uint8Array>,
  ): Promise<Uint8Array> {
    if (this.#state !== 'open') return Promise.reject(this.#unusableError());
    return queue.run(async () => {
      if (this.#state !== 'open') throw this.#unusableError();
      try {
        return await operation();
      } catch (error) {
        // The codec cannot continue after an error: the zlib stream or the window copy is in
        // an unknown state, and the connection fails anyway.
        this.#shutDown('failed', error);
        throw error;
      }
    });
  }

  /**
   * Runs `operation` on a zlib stream once the limiter gives it a slot. The slot is only asked
   * for once it is this call's turn in its direction, so a queue of messages holds one slot,
   * not many.
   *
   * Compression goes ahead of decompression in the limiter's queue (`first`). A burst of
   * received messages would otherwise fill the queue with decompressions, and every reply
   * (an echo, an answer) would wait behind all of them, holding its uncompressed payload:
   * with 1,000 connections sending four 16 KiB messages each, about 64 MiB at once, and
   * glibc keeps most of such a peak after it is freed. Finishing what the application already
   * answered first bounds what is in flight, the way backpressure would.
   */
  #onThreadPool(first: boolean, operation: () => Promise<Uint8Array>): Promise<Uint8Array> {
    return this.#limiter.run(
      () => {
        // Closed while waiting for a slot: do not touch zlib.
        if (this.#state !== 'open') throw this.#unusableError();
        return operation();
      },
      { first },
    );
  }

  /** Whether a received payload of `length` bytes is expected to inflate within `syncMaxBytes`. */
  #inflatesInOneCall(length: number): boolean {
    return length * this.#expansion <= this.#syncMaxBytes;
  }

  #learnExpansion(input: Uint8Array, output: Uint8Array): void {
    this.#expansion =
      output.length > this.#syncMaxBytes && input.length > 0
        ? Math.max(1, output.length / input.length)
        : 1;
  }

  /**
   * RFC 7692 §7.2.1 in one call: a new compressor preset with the window copy (so back
   * references mean what the peer's window holds), the sync flush of steps 1 and 2, and freed
   * before the call returns.
   */
  #compressSync(data: Uint8Array): Uint8Array {
    const output = this.#deflate.oneShot((dictionary) =>
      deflateRawSync(
        data,
        dictionary === undefined
          ? this.#deflateSyncOptions
          : { ...this.#deflateSyncOptions, dictionary },
      ),
    );
    // Without context takeover there is no window to keep (§7.1.1.1, §7.1.1.2).
    this.#deflate.remember(data);
    // Step 3. An empty message came out as an empty stored block, 0x00 once stripped (§7.2.3.6).
    return stripDeflateTrailer(output);
  }

  /**
   * RFC 7692 §7.2.2 in one call, the counterpart of `#compressSync`. Its output may grow to
   * `syncMaxBytes`; a message that inflates to more starts over on the thread pool, where it
   * may grow to `maxSize`, so the event loop is never held by more than `syncMaxBytes` of
   * output, however much a small payload expands.
   */
  #decompressSync(data: Uint8Array, maxSize: number): Uint8Array | Promise<Uint8Array> {
    // As in `#decompressNow`: an empty payload is an empty message and never reaches zlib.
    if (data.length === 0) return Buffer.alloc(0);
    // The one call takes one input: the payload and the trailer that step 1 appends.
    const input = Buffer.allocUnsafe(data.length + TRAILER.length);
    input.set(data);
    input.set(TRAILER, data.length);
    const outputLimit = Math.min(maxSize, this.#syncMaxBytes);
    let result: { buffer: Buffer; engine: InflateRaw };
    try {
      result = this.#inflate.oneShot(
        (dictionary) =>
          inflateRawSync(input, {
            ...this.#inflateSyncOptions,
            dictionary,
            // Within what zlib accepts (1 to kMaxLength); a limit of 0 is checked below.
            maxOutputLength: Math.min(kMaxLength, Math.max(1, Math.floor(outputLimit))),
          }) as unknown as { buffer: Buffer; engine: InflateRaw },
      );
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ERR_BUFFER_TOO_LARGE') {
        throw decompressionFailed(error);
      }
      if (maxSize <= this.#syncMaxBytes) throw decompressedMessageTooBig(maxSize);
      return this.#onThreadPool(false, () => this.#decompressNow(data, maxSize));
    }
    const output = result.buffer;
    if (output.length > maxSize) throw decompressedMessageTooBig(maxSize);
    if (result.engine.bytesWritten < input.length) {
      // zlib stopped before the end of the input: the message ended the DEFLATE stream with
      // a BFINAL block (§7.2.3.4). As in `#decompressNow`, the next message starts with an
      // empty window.
      this.#inflate.forget();
    } else {
      // Without context takeover there is no window to keep.
      this.#inflate.remember(output);
    }
    this.#learnExpansion(data, output);
    return output;
  }

  /** RFC 7692 §7.2.1. */
  async #compressNow(data: Uint8Array): Promise<Uint8Array> {
    // Step 1 "Compress all the octets of the payload of the message using DEFLATE", step 2
    // end on a byte boundary with an empty stored block: a sync flush does both. The empty
    // write matters for an empty message: zlib skips a second sync flush in a row that has
    // no input, so the message would come out empty instead of 0x00 (§7.2.3.6).
    let output: Buffer;
    try {
      output = await this.#transform(
        this.#deflate.begin(),
        data,
        undefined,
        Number.POSITIVE_INFINITY,
      );
    } finally {
      this.#deflate.end();
    }
    // §7.1.1.1/§7.1.1.2: without context takeover each message starts with an empty window.
    // Dropping the stream (rather than `reset()`) also frees its ~110 KiB of zlib state
    // between messages, which is what peers asking for no context takeover usually want.
    if (this.#config.deflate.noContextTakeover) this.#deflate.release();
    // With context takeover the peer's window now ends with this message.
    else this.#deflate.remember(data);
    // Step 3: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end."
    return stripDeflateTrailer(output);
  }

  /** RFC 7692 §7.2.2. */
  async #decompressNow(data: Uint8Array, maxSize: number): Promise<Uint8Array> {
    // An empty payload is zero DEFLATE blocks: an empty message. Peers should send 0x00
    // (§7.2.3.6), but inflating just the trailer would leave zlib inside a half-read stored
    // block header, and the next message would fail with 1007; so it never reaches zlib.
    if (data.length === 0) return Buffer.alloc(0);
    const inflate = this.#inflate.begin();
    const consumedBefore = inflate.bytesWritten;
    let output: Buffer;
    try {
      // "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the payload of the
      // message. Decompress the resulting data using DEFLATE."
      output = await this.#transform(inflate, data, TRAILER, maxSize);
    } catch (error) {
      if (error instanceof WebSocketError) throw error;
      // A zlib error: bad data, or a distance beyond the negotiated window.
      throw decompressionFailed(error);
    } finally {
      this.#inflate.end();
    }
    if (
      // The peer resets its window after each message, so ours is never needed again.
      this.#config.inflate.noContextTakeover
    ) {
      this.#inflate.release();
    } else if (inflate.bytesWritten - consumedBefore < data.length + TRAILER.length) {
      // zlib stopped before the end of the input: the message ended the DEFLATE stream with
      // a BFINAL block, which §7.2.3.4 allows. Node then ends the stream, and a kept one
      // would inflate later messages to nothing or fail; the next message gets a new one.
      // Its window is empty, so a peer that still refers back gets 1007, not wrong data.
      this.#inflate.release();
      this.#inflate.forget();
    } else {
      this.#inflate.remember(output);
    }
    this.#learnExpansion(data, output);
    return output;
  }

  /**
   * Writes `data` (and `trailer`) to `stream`, sync-flushes, and resolves with all output
   * in one buffer. Rejects with `decompressedMessageTooBig(maxSize)` as soon as the output
   * passes `maxSize`, with the stream's error if zlib fails, or with whatever `close()`
   * aborts it with.
   */
  #transform(
    stream: ZlibStream,
    data: Uint8Array,
    trailer: Buffer | undefined,
    maxSize: number,
  ): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      let chunks: Buffer[] = [];
      let length = 0;
      let settled = false;
      const settle = (error: Error | undefined): void => {
        if (settled) return;
        settled = true;
        stream.off('data', onData);
        stream.off('error', onError);
        this.#abortRunning.delete(abort);
        if (error !== undefined) reject(error);
        else if (chunks.length === 1) resolve(chunks[0] as Buffer);
        else resolve(Buffer.concat(chunks, length));
      };
      const onData = (chunk: Buffer): void => {
        length += chunk.length;
        if (length > maxSize) {
          // Stop inflating now, not at the end of the input: zlib emits one chunk
          // (`chunkSize`) per round trip to the thread pool and checks `destroyed` after
          // each, so destroying the stream here ends the work, and dropping the chunks lets
          // their memory go. A bomb never holds more than about maxSize + chunkSize.
          stream.destroy();
          chunks = [];
          settle(decompressedMessageTooBig(maxSize));
          return;
        }
        chunks.push(chunk);
      };
      const onError = (error: Error): void => settle(error);
      const abort = (error: Error): void => settle(error);
      stream.on('data', onData);
      stream.on('error', onError);
      this.#abortRunning.add(abort);

      stream.write(data);
      if (trailer !== undefined) stream.write(trailer);
      // On a zlib error the stream emits 'error' (handled above) and this callback does not
      // run; if it ever runs with an error, settling with it beats hanging.
      stream.flush(constants.Z_SYNC_FLUSH, (error?: Error | null) => settle(error ?? undefined));
    });
  }

  /**
   * Ends the codec for good: frees both zlib streams and rejects the operations still
   * running. Only the first call counts, so a failure keeps its cause and close() after
   * close() does nothing.
   */
  #shutDown(state: 'closed' | 'failed', failure: unknown): void {
    if (this.#state !== 'open') return;
    this.#state = state;
    this.#failure = failure;
    this.#deflate.release();
    this.#inflate.release();
    for (const abort of [...this.#abortRunning]) abort(this.#unusableError());
  }

  #unusableError(): WebSocketError {
    return this.#state === 'closed'
      ? new WebSocketError('WS_ERR_INVALID_STATE', 'The permessage-deflate codec is closed')
      : new WebSocketError(
          'WS_ERR_INVALID_STATE',
          'The permessage-deflate codec failed on an earlier message and cannot be used',
          { cause: this.#failure },
        );
  }
}

/** Runs jobs one after another in call order; a failed job does not stop the next. */
class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(job);
    this.#tail = result.then(ignore, ignore);
    return result;
  }
}

function ignore(): void {}
