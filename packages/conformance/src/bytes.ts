// Byte helpers shared by the raw endpoints, the case data and the checks.

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

export type BytesLike = Uint8Array | string;

/** UTF-8 bytes of a string; byte arrays pass through. */
export function toBytes(data: BytesLike): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data;
}

/** Bytes from a hex string such as `'ceba e1bd'` (spaces ignored). */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, '');
  if (digits.length % 2 !== 0) throw new Error(`odd number of hex digits: ${text}`);
  const bytes = new Uint8Array(digits.length / 2);
  for (let index = 0; index < bytes.length; index++) {
    bytes[index] = Number.parseInt(digits.slice(index * 2, index * 2 + 2), 16);
  }
  return bytes;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  let length = 0;
  for (const part of parts) length += part.length;
  const result = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}

export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    strictDecoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** XORs `bytes` in place with the 4-byte `mask` (RFC 6455 §5.3), word-wise where aligned. */
export function applyMask(bytes: Uint8Array, mask: Uint8Array): void {
  const length = bytes.length;
  let index = 0;
  if (length >= 64 && bytes.byteOffset % 4 === 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, length >>> 2);
    const key = new Uint32Array(new Uint8Array(mask).buffer)[0] as number;
    for (let word = 0; word < words.length; word++) words[word] = (words[word] as number) ^ key;
    index = words.length * 4;
  }
  for (; index < length; index++) {
    bytes[index] = (bytes[index] as number) ^ (mask[index & 3] as number);
  }
}

/** Short human description of bytes for failure messages: never dumps megabytes. */
export function describeBytes(bytes: Uint8Array, limit = 24): string {
  const shown = Array.from(bytes.subarray(0, limit), (byte) => byte.toString(16).padStart(2, '0'));
  const more = bytes.length > limit ? ` … (${bytes.length} bytes)` : '';
  return bytes.length === 0 ? '(empty)' : `0x${shown.join('')}${more}`;
}

/** Undefined when equal, otherwise where and how two byte arrays differ. */
export function diffBytes(actual: Uint8Array, expected: Uint8Array): string | undefined {
  const common = Math.min(actual.length, expected.length);
  let index = 0;
  // Compare word-wise first: the 16 MiB cases would otherwise dominate the run time.
  if (common >= 64 && actual.byteOffset % 4 === 0 && expected.byteOffset % 4 === 0) {
    const words = common >>> 2;
    const left = new Uint32Array(actual.buffer, actual.byteOffset, words);
    const right = new Uint32Array(expected.buffer, expected.byteOffset, words);
    while (index < words && left[index] === right[index]) index++;
    index *= 4;
  }
  while (index < common && actual[index] === expected[index]) index++;
  if (index === common && actual.length === expected.length) return undefined;
  if (index === common) {
    return `length ${actual.length}, expected ${expected.length} (equal up to byte ${common})`;
  }
  return (
    `differs at byte ${index} of ${expected.length}: got ${describeBytes(actual.subarray(index), 8)}, ` +
    `expected ${describeBytes(expected.subarray(index), 8)}`
  );
}

/**
 * Deterministic pseudo-random bytes (xorshift32), so every run sends the same payloads and a
 * failure can be reproduced byte for byte.
 */
export function pseudoRandomBytes(length: number, seed = 0x2545f491): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

export function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => {
    if (milliseconds <= 0) setImmediate(resolve);
    else setTimeout(resolve, milliseconds);
  });
}
