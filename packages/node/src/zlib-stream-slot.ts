/**
 * One direction of one codec: its zlib stream, alive only while the `LiveStreamPool` lets it
 * be, and with context takeover the copy of its window that lets a new stream carry on where
 * a freed one stopped.
 */
import type { DeflateRaw, InflateRaw, ZlibOptions } from 'node:zlib';
import type { LiveStreamPool, PooledStream } from './live-stream-pool.js';
import type { SlidingWindow } from './sliding-window.js';

export type ZlibStream = DeflateRaw | InflateRaw;

export class ZlibStreamSlot<S extends ZlibStream> implements PooledStream {
  readonly #create: (options: ZlibOptions) => S;
  readonly #options: ZlibOptions;
  /**
   * With context takeover: the uncompressed bytes the decompressor's window holds (the peer's
   * for our messages, ours for theirs). `undefined` without context takeover, where every
   * message starts with an empty window and the stream is released after it.
   */
  readonly #window: SlidingWindow | undefined;
  readonly #pool: LiveStreamPool;
  /** Created by `begin()`; `undefined` again once released or evicted. */
  #stream: S | undefined;

  constructor(
    create: (options: ZlibOptions) => S,
    options: ZlibOptions,
    window: SlidingWindow | undefined,
    pool: LiveStreamPool,
  ) {
    this.#create = create;
    this.#options = options;
    this.#window = window;
    this.#pool = pool;
  }

  /**
   * Starts one operation: the stream, created now if it was freed (preset with the window, so
   * back references of the next message mean the same bytes on both ends, RFC 1951 §3.2.5).
   * The pool cannot evict it until `end()`, so it is never freed in the middle of a message.
   */
  begin(): S {
    this.#pool.checkOut(this);
    if (this.#stream === undefined) {
      // zlib copies the dictionary, so the window may change afterwards.
      const dictionary = this.#window?.contents();
      this.#stream = this.#create(
        dictionary === undefined ? this.#options : { ...this.#options, dictionary },
      );
      // Errors are handled per operation by the codec; this keeps a late one (after the
      // operation gave up on the stream) from becoming an uncaught exception.
      this.#stream.on('error', ignore);
    }
    return this.#stream;
  }

  /**
   * One operation without a stream: `run` gets the window copy to preset zlib with, and does
   * all its work before returning (a one-call `*Sync` function of `node:zlib`). A stream kept
   * from an earlier operation is freed first: its state would not include this message.
   */
  oneShot<R>(run: (dictionary: Buffer | undefined) => R): R {
    if (this.#stream !== undefined) this.release();
    return run(this.#window?.contents());
  }

  /** Ends the operation `begin()` started, however it ended. */
  end(): void {
    this.#pool.checkIn(this);
  }

  /** With context takeover: `data` went through the window, which now ends with it. */
  remember(data: Uint8Array): void {
    this.#window?.append(data);
  }

  /** The window was reset (the peer ended the DEFLATE stream): a new stream starts empty. */
  forget(): void {
    this.#window?.clear();
  }

  /** Frees the stream now, for good or until the next `begin()`. */
  release(): void {
    this.#pool.delete(this);
    this.#free();
  }

  /** Called by the pool between operations; the window copy stays. */
  evict(): void {
    this.#free();
  }

  #free(): void {
    const stream = this.#stream;
    this.#stream = undefined;
    // Safe while zlib is still busy with it (a codec closed mid-operation): Node defers
    // freeing until the work returns.
    stream?.close();
  }
}

function ignore(): void {}
