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
  readonly #allocate: (size: number) => Uint8Array;
  #buffer: Uint8Array | undefined;
  #length = 0;

  /**
   * `allocate` may return uninitialised memory (Node: `Buffer.allocUnsafe`): only bytes
   * written by `append` are ever exposed.
   */
  constructor(maxCapacity: number, allocate: (size: number) => Uint8Array = zeroed) {
    this.#maxCapacity = maxCapacity;
    this.#allocate = allocate;
  }

  /**
   * Makes room for `size` more bytes at once, when the total is known in advance (a frame
   * announced its length): one allocation and one copy instead of repeated doubling.
   */
  reserve(size: number): void {
    const needed = Math.min(this.#length + size, this.#maxCapacity);
    if (this.#buffer !== undefined && needed <= this.#buffer.length) return;
    this.#resize(needed);
  }

  get length(): number {
    return this.#length;
  }

  append(piece: Uint8Array): void {
    const start = this.#length;
    this.#ensure(start + piece.length).set(piece, start);
    this.#length = start + piece.length;
  }

  /**
   * Grows the content by `size` bytes and returns them as a view the caller must fill at once
   * (they are uninitialised with an unsafe allocator): lets a piece be transformed on its way
   * in, such as unmasked, instead of copied in and transformed there.
   */
  extend(size: number): Uint8Array {
    const start = this.#length;
    const buffer = this.#ensure(start + size);
    this.#length = start + size;
    return buffer.subarray(start, start + size);
  }

  /** The buffer, grown (doubling, up to the maximum) to hold at least `needed` bytes. */
  #ensure(needed: number): Uint8Array {
    const buffer = this.#buffer;
    if (buffer !== undefined && needed <= buffer.length) return buffer;
    const doubled = Math.max(GrowableBuffer.INITIAL_CAPACITY, (buffer?.length ?? 0) * 2);
    return this.#resize(Math.max(needed, Math.min(doubled, this.#maxCapacity)));
  }

  #resize(capacity: number): Uint8Array {
    const grown = this.#allocate(capacity);
    if (this.#buffer !== undefined) grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
    return grown;
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

function zeroed(size: number): Uint8Array {
  return new Uint8Array(size);
}
