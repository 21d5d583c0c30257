/**
 * The bounded queue that holds `ReconnectingWebSocket.send` calls made while no connection is
 * open. Bounded in messages and in bytes, never unbounded by default: a client that stays
 * offline for an hour must not grow without limit.
 */

import { checkOptionNames, nonNegativeOptions } from './option-names.js';

/** What happens to a message that does not fit. */
export type QueueOverflow = 'drop-oldest' | 'drop-newest' | 'throw';

/** Limits of the queue that holds messages sent while disconnected. */
export interface SendQueueOptions {
  /** Most messages held. Default 100. 0 turns queueing off (every send while down overflows). */
  maxMessages?: number;
  /** Most bytes held (UTF-8 bytes for text). Default 1 MiB. */
  maxBytes?: number;
  /**
   * - 'drop-oldest' (default): discard the oldest queued messages until the new one fits.
   * - 'drop-newest': discard the new message.
   * - 'throw': `send` throws a `QuotaExceededError` DOMException and nothing is queued.
   * A message bigger than `maxBytes` on its own never fits: it is discarded ('drop-*') or
   * `send` throws ('throw').
   */
  overflow?: QueueOverflow;
}

export type QueueableData = string | ArrayBufferLike | ArrayBufferView | Blob;

export const DEFAULT_QUEUE = { maxMessages: 100, maxBytes: 1024 * 1024 };

/** UTF-8 length of a string (lone surrogates count as U+FFFD, 3 bytes, as when sent). */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

export function byteLengthOf(data: QueueableData): number {
  if (typeof data === 'string') return utf8Length(data);
  // ArrayBuffers and their views have a byteLength, Blobs a size.
  return isBlob(data) ? data.size : (data as ArrayBufferLike).byteLength;
}

function isBlob(data: unknown): data is Blob {
  return typeof Blob !== 'undefined' && data instanceof Blob;
}

/**
 * A snapshot of the data, as `WebSocket.send` takes one: the caller may reuse its buffer once
 * `send` returns, even though the bytes go out later. Strings and Blobs are immutable.
 */
function snapshot(data: QueueableData): QueueableData {
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  }
  return typeof data === 'string' || isBlob(data) ? data : (data as ArrayBuffer).slice(0);
}

interface Entry {
  readonly data: QueueableData;
  readonly size: number;
}

export class SendQueue {
  declare readonly maxMessages: number;
  declare readonly maxBytes: number;
  declare readonly overflow: QueueOverflow;
  /** Oldest first. */
  #entries: Entry[] = [];
  #bytes = 0;

  constructor(options: SendQueueOptions = {}) {
    const owner = 'ReconnectingWebSocket: queue';
    checkOptionNames(owner, options, ['maxMessages', 'maxBytes', 'overflow']);
    ({ maxMessages: this.maxMessages, maxBytes: this.maxBytes } = nonNegativeOptions(
      owner,
      options,
      DEFAULT_QUEUE,
    ));
    const overflow = options.overflow ?? 'drop-oldest';
    if (overflow !== 'drop-oldest' && overflow !== 'drop-newest' && overflow !== 'throw') {
      throw new TypeError(`ReconnectingWebSocket: unknown queue.overflow '${String(overflow)}'`);
    }
    this.overflow = overflow;
  }

  get length(): number {
    return this.#entries.length;
  }

  /** Bytes held (UTF-8 bytes for text). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Queues a snapshot of `data`; returns false if it was discarded (or throws, per policy). */
  push(data: QueueableData): boolean {
    const size = byteLengthOf(data);
    const { maxMessages, maxBytes } = this;
    const entries = this.#entries;
    const fits = () => entries.length < maxMessages && this.#bytes + size <= maxBytes;
    if (!fits()) {
      if (this.overflow === 'throw') {
        throw new DOMException(
          `ReconnectingWebSocket: the send queue is full (limits: ${maxMessages} messages, ${maxBytes} bytes)`,
          'QuotaExceededError',
        );
      }
      // drop-newest, or a message that would not fit even in an empty queue: discard it.
      if (this.overflow === 'drop-newest' || size > maxBytes || maxMessages === 0) return false;
      // drop-oldest: make room; an empty queue has room, so this ends.
      while (!fits()) this.#bytes -= (entries.shift() as Entry).size;
    }
    entries.push({ data: snapshot(data), size });
    this.#bytes += size;
    return true;
  }

  /** The oldest message, left in place (so it stays queued if sending it fails). */
  peek(): QueueableData | undefined {
    return this.#entries[0]?.data;
  }

  shift(): QueueableData | undefined {
    const entry = this.#entries.shift();
    if (entry === undefined) return undefined;
    this.#bytes -= entry.size;
    return entry.data;
  }

  clear(): void {
    this.#entries = [];
    this.#bytes = 0;
  }
}
