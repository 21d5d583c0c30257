/**
 * Base64 (RFC 4648 §4, the standard alphabet with padding) over `Uint8Array`, using the
 * platform's `btoa`/`atob`, which every target runtime has and which do not need `Buffer`.
 */

/** Bytes per `String.fromCharCode` call: keeps the argument list far below engine limits. */
const CHUNK_BYTES = 0x2000;

/** Encodes `bytes` as padded standard base64. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) {
    binary += String.fromCharCode(...bytes.subarray(offset, offset + CHUNK_BYTES));
  }
  return btoa(binary);
}

/**
 * Decodes padded standard base64, or returns `undefined` when `text` is not base64.
 *
 * Stricter than `atob`, which also accepts whitespace and missing padding: here the length
 * must be a multiple of 4, only `A-Z a-z 0-9 + /` may appear, and `=` only as one or two final
 * padding characters. Non-zero bits in the last character before padding are tolerated (RFC
 * 4648 §3.5 lets decoders accept them), as `atob` and the `ws` library do.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  let padding = 0;
  if (text.endsWith('==')) padding = 2;
  else if (text.endsWith('=')) padding = 1;
  const dataLength = text.length - padding;
  for (let index = 0; index < dataLength; index++) {
    if (!isBase64Character(text.charCodeAt(index))) return undefined;
  }
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

function isBase64Character(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === 0x2b || // +
    code === 0x2f // /
  );
}
