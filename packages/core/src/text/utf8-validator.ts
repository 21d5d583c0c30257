/**
 * Streaming UTF-8 validation (RFC 3629 §4) for text messages and close reasons.
 *
 * RFC 6455 §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the
 * byte stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket
 * Connection_." Validation runs on every payload piece as it arrives, across frame and chunk
 * boundaries, so an invalid sequence is reported at its first bad byte rather than when the
 * message ends (Autobahn case group 6.4, "fail fast").
 *
 * Why not TextDecoder: it validates only by decoding into a string, which would cost a second
 * string allocation per text message (messages are delivered as validated bytes and decoded
 * lazily), and `buffer.isUtf8` is Node-only and cannot resume across chunks. Adapters may
 * inject a faster whole-buffer validator for the single-piece case (`ConnectionOptions.isUtf8`).
 */
export class Utf8Validator {
  /** Continuation bytes still expected for the current code point. */
  #remaining = 0;
  /** Bounds for the next continuation byte (narrower right after E0, ED, F0, F4). */
  #lower = 0x80;
  #upper = 0xbf;

  /** Feeds the next bytes; returns false at the first byte that cannot be valid UTF-8. */
  write(bytes: Uint8Array): boolean {
    let remaining = this.#remaining;
    let lower = this.#lower;
    let upper = this.#upper;
    const length = bytes.length;
    let i = remaining === 0 && length >= ASCII_SCAN_MIN ? asciiPrefixLength(bytes) : 0;
    while (i < length) {
      const byte = bytes[i] as number;
      if (remaining === 0) {
        if (byte < 0x80) {
          i++;
          // ASCII run: the common case for text, kept as a tight loop.
          while (i < length && (bytes[i] as number) < 0x80) i++;
          continue;
        }
        if (byte >= 0xc2 && byte <= 0xdf) {
          remaining = 1;
        } else if (byte >= 0xe0 && byte <= 0xef) {
          remaining = 2;
          // E0 must be followed by A0..BF (no overlongs), ED by 80..9F (no surrogates).
          if (byte === 0xe0) lower = 0xa0;
          else if (byte === 0xed) upper = 0x9f;
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          remaining = 3;
          // F0 must be followed by 90..BF (no overlongs), F4 by 80..8F (max U+10FFFF).
          if (byte === 0xf0) lower = 0x90;
          else if (byte === 0xf4) upper = 0x8f;
        } else {
          this.#fail();
          return false;
        }
      } else {
        if (byte < lower || byte > upper) {
          this.#fail();
          return false;
        }
        lower = 0x80;
        upper = 0xbf;
        remaining--;
      }
      i++;
    }
    this.#remaining = remaining;
    this.#lower = lower;
    this.#upper = upper;
    return true;
  }

  /**
   * Like `write`, but checks the bulk of `bytes` with `isUtf8`, a whole-buffer validator such
   * as Node's SIMD `buffer.isUtf8`, and only the edges in JS: first the rest of a code point
   * left open by the previous piece, then the bytes after the last complete code point, which
   * stay pending for the next piece. Same results, still failing on the piece that holds the
   * first bad byte.
   */
  writeWith(bytes: Uint8Array, isUtf8: (bytes: Uint8Array) => boolean): boolean {
    let start = 0;
    while (this.#remaining > 0 && start < bytes.length) {
      if (!this.write(bytes.subarray(start, start + 1))) return false;
      start++;
    }
    const length = bytes.length;
    if (start === length) return true;
    let end = length;
    // A code point cut by the piece's end has its lead byte within the last 3 bytes.
    for (let i = length - 1; i >= start && i >= length - 3; i--) {
      const byte = bytes[i] as number;
      if ((byte & 0xc0) === 0x80) continue;
      if (byte >= 0xc0) {
        const sequenceLength = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
        if (length - i < sequenceLength) end = i;
      }
      break;
    }
    if (!isUtf8(bytes.subarray(start, end))) {
      this.#fail();
      return false;
    }
    return end === length || this.write(bytes.subarray(end));
  }

  /** True when the bytes seen so far end on a code point boundary (call at message end). */
  isComplete(): boolean {
    return this.#remaining === 0;
  }

  /** Forgets the bytes seen so far, ready for the next message. */
  reset(): void {
    this.#remaining = 0;
    this.#lower = 0x80;
    this.#upper = 0xbf;
  }

  #fail(): void {
    // Leave the validator in a state that keeps failing until reset.
    this.#remaining = 1;
    this.#lower = 0x100;
    this.#upper = 0;
  }
}

/** Below this many bytes the word scan's setup costs more than the byte loop. */
const ASCII_SCAN_MIN = 128;

/**
 * Length of the leading ASCII run, eight bytes per step through an aligned Uint32Array view
 * (about 2x the byte loop on ASCII text, measured in packages/core/bench).
 */
function asciiPrefixLength(bytes: Uint8Array): number {
  const length = bytes.length;
  let i = 0;
  const head = Math.min((4 - (bytes.byteOffset & 3)) & 3, length);
  for (; i < head; i++) if ((bytes[i] as number) >= 0x80) return i;
  const wordCount = (length - i) >>> 2;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, wordCount);
  let w = 0;
  for (; w + 1 < wordCount; w += 2) {
    if ((((words[w] as number) | (words[w + 1] as number)) & 0x80808080) !== 0) break;
  }
  for (i += w * 4; i < length; i++) if ((bytes[i] as number) >= 0x80) return i;
  return length;
}

const sharedValidator = new Utf8Validator();

/** Validates a complete byte sequence (e.g. a close reason or a single-piece text message). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  sharedValidator.reset();
  const valid = sharedValidator.write(bytes) && sharedValidator.isComplete();
  sharedValidator.reset();
  return valid;
}
