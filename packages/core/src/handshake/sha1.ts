/**
 * A small synchronous SHA-1 (FIPS 180-4 §6.1).
 *
 * RFC 6455 §4.2.2 step 5 and §4.1 need SHA-1 for `Sec-WebSocket-Accept`. WebCrypto's
 * `crypto.subtle.digest` is asynchronous and the core is synchronous, so the core carries its
 * own. It is only ever run over ~60 bytes per handshake; adapters may inject a native digest
 * instead (see `computeAccept`). SHA-1 is used here as RFC 6455 specifies it, not for security.
 */

/** A function computing a 20-byte SHA-1 digest, so adapters can inject a native one. */
export type Sha1Digest = (data: Uint8Array) => Uint8Array;

const BLOCK_BYTES = 64;

/** Returns the 20-byte SHA-1 digest of `data`. */
export function sha1(data: Uint8Array): Uint8Array {
  const state = new Int32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
  const words = new Int32Array(80);

  // Full blocks are read straight from the input, without copying it.
  const fullBlockBytes = data.length - (data.length % BLOCK_BYTES);
  for (let offset = 0; offset < fullBlockBytes; offset += BLOCK_BYTES) {
    compressBlock(state, words, data, offset);
  }

  // FIPS 180-4 §5.1.1 padding: a 1 bit, zeros, then the message length in bits as a 64-bit
  // big-endian integer. The tail is one block, or two when the length does not fit.
  const remaining = data.length - fullBlockBytes;
  const tailLength = remaining < BLOCK_BYTES - 8 ? BLOCK_BYTES : 2 * BLOCK_BYTES;
  const tail = new Uint8Array(tailLength);
  tail.set(data.subarray(fullBlockBytes));
  tail[remaining] = 0x80;
  const bitLengthHigh = Math.floor(data.length / 0x20000000);
  const bitLengthLow = (data.length << 3) >>> 0;
  const tailView = new DataView(tail.buffer);
  tailView.setUint32(tailLength - 8, bitLengthHigh);
  tailView.setUint32(tailLength - 4, bitLengthLow);
  for (let offset = 0; offset < tailLength; offset += BLOCK_BYTES) {
    compressBlock(state, words, tail, offset);
  }

  const digest = new Uint8Array(20);
  const digestView = new DataView(digest.buffer);
  for (let index = 0; index < 5; index++) digestView.setInt32(index * 4, state[index]!);
  return digest;
}

/** FIPS 180-4 §6.1.2: processes one 64-byte block starting at `offset`. */
function compressBlock(
  state: Int32Array,
  words: Int32Array,
  bytes: Uint8Array,
  offset: number,
): void {
  for (let index = 0; index < 16; index++) {
    const at = offset + index * 4;
    words[index] =
      (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
  }
  for (let index = 16; index < 80; index++) {
    const mixed = words[index - 3]! ^ words[index - 8]! ^ words[index - 14]! ^ words[index - 16]!;
    words[index] = (mixed << 1) | (mixed >>> 31);
  }

  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  for (let index = 0; index < 80; index++) {
    let mix: number;
    let constant: number;
    if (index < 20) {
      mix = (b & c) | (~b & d);
      constant = 0x5a827999;
    } else if (index < 40) {
      mix = b ^ c ^ d;
      constant = 0x6ed9eba1;
    } else if (index < 60) {
      mix = (b & c) | (b & d) | (c & d);
      constant = 0x8f1bbcdc;
    } else {
      mix = b ^ c ^ d;
      constant = 0xca62c1d6;
    }
    const next = (((a << 5) | (a >>> 27)) + mix + e + constant + words[index]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = next;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
}
