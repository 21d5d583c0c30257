/**
 * The last `size` bytes of a byte stream: exactly what an LZ77 window of that size holds after
 * those bytes went through it.
 *
 * With context takeover (RFC 7692 §7.1.1) the peer's decompressor keeps the uncompressed bytes
 * of earlier messages in its window, and may keep ours in step: that window is all the state
 * the two ends share between messages. Keeping a copy of it lets a codec free its zlib stream
 * while the connection is idle and later start a new one preset with these bytes as its
 * dictionary (RFC 1951 §3.2.5 back references then still mean the same bytes on both ends).
 */
export class SlidingWindow {
  readonly size: number;
  /**
   * Allocated on the first append: a connection that never sends or receives a compressed
   * message (everything under the threshold) pays nothing for it.
   */
  #bytes: Buffer | undefined;
  #length = 0;

  constructor(size: number) {
    this.size = size;
  }

  /** Adds `data` at the end, dropping what falls out of the window. */
  append(data: Uint8Array): void {
    if (data.length === 0) return;
    // Not pooled: a pooled slice would keep a shared 8 KiB slab alive per connection.
    this.#bytes ??= Buffer.allocUnsafeSlow(this.size);
    const bytes = this.#bytes;
    if (data.length >= this.size) {
      bytes.set(data.subarray(data.length - this.size));
      this.#length = this.size;
      return;
    }
    const kept = Math.min(this.#length, this.size - data.length);
    bytes.copyWithin(0, this.#length - kept, this.#length);
    bytes.set(data, kept);
    this.#length = kept + data.length;
  }

  /** The window's bytes, oldest first; `undefined` while empty. Valid until the next append. */
  contents(): Buffer | undefined {
    return this.#bytes === undefined || this.#length === 0
      ? undefined
      : this.#bytes.subarray(0, this.#length);
  }

  /** Forgets everything, as a window reset does. */
  clear(): void {
    this.#length = 0;
  }
}
