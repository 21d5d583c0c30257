/**
 * Base64 (RFC 4648 §4, the standard alphabet with padding) over `Uint8Array`.
 *
 * Written here rather than taken from `btoa`/`atob`: every handshake encodes one accept key and
 * checks one client key, and those platform functions work on binary strings, which costs a
 * string or an argument list per byte in some runtimes. This is the small, synchronous piece
 * the core carries so it stays free of dependencies (as with SHA-1).
 */
import { decodeUtf8 } from '../text/utf8.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = 0x3d; // '='

/** The alphabet as character codes, for encoding. */
const ENCODE = Uint8Array.from(ALPHABET, (character) => character.charCodeAt(0));

/** Character code → 6-bit value, or 0xff for a character outside the alphabet. */
const DECODE = new Uint8Array(128).fill(0xff);
for (let index = 0; index < ALPHABET.length; index++) DECODE[ALPHABET.charCodeAt(index)] = index;

/** Encodes `bytes` as padded standard base64. */
export function encodeBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let at = 0;
  let index = 0;
  for (; index + 2 < bytes.length; index += 3) {
    const triple = (bytes[index]! << 16) | (bytes[index + 1]! << 8) | bytes[index + 2]!;
    out[at++] = ENCODE[triple >>> 18]!;
    out[at++] = ENCODE[(triple >>> 12) & 0x3f]!;
    out[at++] = ENCODE[(triple >>> 6) & 0x3f]!;
    out[at++] = ENCODE[triple & 0x3f]!;
  }
  const left = bytes.length - index;
  if (left > 0) {
    const pair = (bytes[index]! << 16) | (left === 2 ? bytes[index + 1]! << 8 : 0);
    out[at++] = ENCODE[pair >>> 18]!;
    out[at++] = ENCODE[(pair >>> 12) & 0x3f]!;
    out[at++] = left === 2 ? ENCODE[(pair >>> 6) & 0x3f]! : PAD;
    out[at++] = PAD;
  }
  // The output is ASCII, which UTF-8 decodes unchanged.
  return decodeUtf8(out);
}

/**
 * How many bytes `text` decodes to, or -1 when it is not base64.
 *
 * Stricter than `atob`, which also accepts whitespace and missing padding: here the length
 * must be a multiple of 4, only `A-Z a-z 0-9 + /` may appear, and `=` only as one or two final
 * padding characters. Non-zero bits in the last character before padding are tolerated (RFC
 * 4648 §3.5 lets decoders accept them), as `atob` and the `ws` library do.
 */
export function decodedBase64Length(text: string): number {
  if (text.length % 4 !== 0) return -1;
  let padding = 0;
  if (text.endsWith('==')) padding = 2;
  else if (text.endsWith('=')) padding = 1;
  const dataLength = text.length - padding;
  for (let index = 0; index < dataLength; index++) {
    if (sextet(text.charCodeAt(index)) === 0xff) return -1;
  }
  return (text.length / 4) * 3 - padding;
}

/** Decodes padded standard base64, or returns `undefined` when `text` is not base64 (see above). */
export function decodeBase64(text: string): Uint8Array | undefined {
  const length = decodedBase64Length(text);
  if (length === -1) return undefined;
  const bytes = new Uint8Array(length);
  let at = 0;
  for (let index = 0; index < text.length; index += 4) {
    // Padding reads as 0 bits; the bytes it stands for are past `length` and not written.
    const quad =
      (sextet(text.charCodeAt(index)) << 18) |
      (sextet(text.charCodeAt(index + 1)) << 12) |
      ((sextet(text.charCodeAt(index + 2)) & 0x3f) << 6) |
      (sextet(text.charCodeAt(index + 3)) & 0x3f);
    if (at < length) bytes[at++] = quad >>> 16;
    if (at < length) bytes[at++] = (quad >>> 8) & 0xff;
    if (at < length) bytes[at++] = quad & 0xff;
  }
  return bytes;
}

/** The 6-bit value of an alphabet character, 0xff for anything else ('=' included). */
function sextet(code: number): number {
  return code < 128 ? DECODE[code]! : 0xff;
}
