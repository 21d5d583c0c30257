/**
 * The bounded queue that holds `ReconnectingWebSocket.send` calls made while no connection is
 * open. Bounded in messages and in bytes, never unbounded by default: a client that stays
 * offline for an hour must not grow without limit.
 */

import { checkOptionNames, numberOptions } from './option-names.js';

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
  // ArrayBuffers and their views have a byteLength, Blobs a size.
  return typeof data === 'string'
    ? utf8Length(data)
    : ((data as Blob).size ?? (data as ArrayBufferLike).byteLength);
}

/**
 * A snapshot of the data, as `WebSocket.send` takes one: the caller may reuse its buffer once
 * `send` returns, even though the bytes go out later. A view's bytes are copied, an ArrayBuffer
 * sliced; strings and Blobs are immutable (their `slice` returns the same content).
 */
function snapshot(data: QueueableData): QueueableData {
  return ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice()
    : (data as string | ArrayBuffer | Blob).slice(0);
}

export class SendQueue {
  declare readonly maxMessages: number;
  declare readonly maxBytes: number;
  declare readonly overflow: QueueOverflow;
  /** Bytes held (UTF-8 bytes for text). */
  bytes = 0;
  /** [snapshot, bytes] pairs, oldest first. */
  #entries: [QueueableData, number][] = [];

  constructor(options: SendQueueOptions = {}) {
    const owner = 'ReconnectingWebSocket: queue';
    const overflow = options.overflow ?? 'drop-oldest';
    const policies = ['drop-oldest', 'drop-newest', 'throw'];
    checkOptionNames(owner, options, ['maxMessages', 'maxBytes', 'overflow']);
    if (!policies.includes(overflow)) {
      throw new TypeError(`ReconnectingWebSocket: unknown queue.overflow '${String(overflow)}'`);
    }
    Object.assign(this, numberOptions(owner, options, DEFAULT_QUEUE), { overflow });
  }

  get length(): number {
    return this.#entries.length;
  }

  /** Queues a snapshot of `data`; returns false if it was discarded (or throws, per policy). */
  push(data: QueueableData): boolean {
    const size = byteLengthOf(data);
    const { maxMessages, maxBytes, overflow } = this;
    const entries = this.#entries;
    const fits = () => entries.length < maxMessages && this.bytes + size <= maxBytes;
    // drop-oldest makes room, unless the message would not fit even in an empty queue.
    while (overflow === 'drop-oldest' && size <= maxBytes && entries.length > 0 && !fits()) {
      this.shift();
    }
    if (fits()) {
      entries.push([snapshot(data), size]);
      this.bytes += size;
      return true;
    }
    if (overflow === 'throw') {
      throw new DOMException(
        `ReconnectingWebSocket: the send queue is full (queue.maxMessages ${maxMessages}, queue.maxBytes ${maxBytes})`,
        'QuotaExceededError',
      );
    }
    return false;
  }

  /**
   * Sends the messages, oldest first, while the socket is open. Each leaves the queue once
   * `send` returned: if it throws, that message and the later ones stay queued.
   */
  flush(socket: { readonly readyState: number; send(data: QueueableData): void }): void {
    const entries = this.#entries;
    while (entries.length > 0 && socket.readyState === 1) {
      socket.send((entries[0] as [QueueableData, number])[0]);
      this.shift();
    }
  }

  shift(): QueueableData | undefined {
    const [data, size = 0] = this.#entries.shift() ?? [];
    this.bytes -= size;
    return data;
  }

  clear(): void {
    this.#entries = [];
    this.bytes = 0;
  }
}
