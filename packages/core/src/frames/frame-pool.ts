/**
 * Memory for outgoing frames.
 *
 * Allocating a fresh ArrayBuffer per small frame costs more than encoding the frame (about
 * 500 ns for `new Uint8Array(1028)`, measured in packages/core/bench), so frames up to
 * `POOLED_MAX` bytes are carved from a shared 64 KiB slab, the way Node's `Buffer.allocUnsafe`
 * pool works. Every region is handed out once and never reused, so a frame can sit in a
 * socket's queue as long as it likes; the slab is freed when its last view is.
 */
const SLAB_SIZE = 64 * 1024;
export const POOLED_MAX = 4096;

let slab = new Uint8Array(0);
let offset = 0;

/** A zero-filled view of `size` bytes, pooled when small. */
export function allocateFrame(size: number): Uint8Array {
  if (size > POOLED_MAX) return new Uint8Array(size);
  if (offset + size > slab.length) {
    slab = new Uint8Array(SLAB_SIZE);
    offset = 0;
  }
  const view = slab.subarray(offset, offset + size);
  // Keep the next region 8-byte aligned: masking reads 32-bit words.
  offset = (offset + size + 7) & ~7;
  return view;
}

/**
 * Gives back the unused end of the most recent `allocateFrame` view (a text frame reserves
 * room for 3 bytes per UTF-16 unit and usually needs fewer). Returns the shortened view.
 */
export function shrinkLastFrame(view: Uint8Array, used: number): Uint8Array {
  const start = view.byteOffset - slab.byteOffset;
  if (view.buffer === slab.buffer && ((start + view.length + 7) & ~7) === offset) {
    offset = (start + used + 7) & ~7;
  }
  return view.subarray(0, used);
}
