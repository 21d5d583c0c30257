/**
 * One contiguous, growing buffer for reassembling a fragmented message.
 *
 * A message sent as many tiny fragments costs at most twice its payload (capacity doubles),
 * never one object per fragment, so the message size limit alone bounds memory and no
 * fragment-count limit is needed (the 2026 `ws` memory-exhaustion advisory was about per-
 * fragment chunk lists). Capacity never exceeds `maxCapacity`.
 */
export class GrowableBuffer {
  static readonly INITIAL_CAPACITY = 1024;
  readonly #maxCapacity: number;
  #buffer: Uint8Array | undefined;
  #length = 0;

  constructor(maxCapacity: number) {
    this.#maxCapacity = maxCapacity;
  }

  get length(): number {
    return this.#length;
  }

  append(piece: Uint8Array): void {
    const needed = this.#length + piece.length;
    let buffer = this.#buffer;
    if (buffer === undefined || needed > buffer.length) {
      const doubled = Math.max(GrowableBuffer.INITIAL_CAPACITY, (buffer?.length ?? 0) * 2);
      const capacity = Math.max(needed, Math.min(doubled, this.#maxCapacity));
      const grown = new Uint8Array(capacity);
      if (buffer !== undefined) grown.set(buffer.subarray(0, this.#length));
      buffer = grown;
      this.#buffer = buffer;
    }
    buffer.set(piece, this.#length);
    this.#length = needed;
  }

  /** Returns the bytes gathered so far and starts over (the view stays valid for the caller). */
  take(): Uint8Array {
    const result =
      this.#buffer === undefined ? new Uint8Array(0) : this.#buffer.subarray(0, this.#length);
    this.#buffer = undefined;
    this.#length = 0;
    return result;
  }

  clear(): void {
    this.#buffer = undefined;
    this.#length = 0;
  }
}
