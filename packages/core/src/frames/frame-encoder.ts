import { utf8Encoder } from '../text/utf8.js';
import { allocateFrame, shrinkLastFrame } from './frame-pool.js';
import { applyMask, copyMasked } from './mask.js';

/**
 * Frame encoding, RFC 6455 §5.2.
 *
 * Output is a list of chunks so that an adapter can `writev` a header and a large payload
 * without copying the payload. Small payloads are copied next to their header instead (one
 * chunk): below this size a copy into pooled memory costs less than a second write.
 */
export const MERGE_THRESHOLD = 512;

/** Strings up to this many UTF-16 units are tried as ASCII with a plain loop first. */
const ASCII_FAST_PATH_MAX = 256;

/** Size of the header for a payload of `length` bytes, masked or not. */
export function headerSize(length: number, masked: boolean): number {
  // §5.2 "Payload length": 7 bits, or 126 + 16 bits, or 127 + 64 bits; the minimal form MUST
  // be used.
  const base = length <= 125 ? 2 : length <= 0xffff ? 4 : 10;
  return masked ? base + 4 : base;
}

/**
 * Writes a frame header into `target` at `offset` and returns its size. `mask`, when given,
 * is written after the length (§5.2 "Masking-key").
 */
export function writeHeader(
  target: Uint8Array,
  offset: number,
  opcode: number,
  fin: boolean,
  rsv1: boolean,
  length: number,
  mask: Uint8Array | undefined,
): number {
  target[offset] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = mask === undefined ? 0 : 0x80;
  let position = offset + 2;
  if (length <= 125) {
    target[offset + 1] = maskBit | length;
  } else if (length <= 0xffff) {
    target[offset + 1] = maskBit | 126;
    target[offset + 2] = length >>> 8;
    target[offset + 3] = length & 0xff;
    position = offset + 4;
  } else {
    target[offset + 1] = maskBit | 127;
    // §5.2: 64-bit unsigned, most significant bit 0. JS lengths stay below 2^53.
    const high = Math.floor(length / 0x100000000);
    const low = length >>> 0;
    target[offset + 2] = 0;
    target[offset + 3] = 0;
    target[offset + 4] = (high >>> 8) & 0xff;
    target[offset + 5] = high & 0xff;
    target[offset + 6] = low >>> 24;
    target[offset + 7] = (low >>> 16) & 0xff;
    target[offset + 8] = (low >>> 8) & 0xff;
    target[offset + 9] = low & 0xff;
    position = offset + 10;
  }
  if (mask !== undefined) {
    target[position] = mask[0] as number;
    target[position + 1] = mask[1] as number;
    target[position + 2] = mask[2] as number;
    target[position + 3] = mask[3] as number;
    position += 4;
  }
  return position - offset;
}

/**
 * Encodes one frame carrying `payload`. Returns one chunk (header and payload together) or two
 * (header, then the caller's payload untouched) for large unmasked payloads. A masked payload
 * is always copied: the caller's buffer is never modified.
 */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
  fin: boolean,
  rsv1: boolean,
  mask: Uint8Array | undefined,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  encodeFrameInto(out, opcode, payload, fin, rsv1, mask);
  return out;
}

/**
 * `encodeFrame` appending to `out` (an output queue) and returning the bytes added: the send
 * path allocates no array per frame.
 */
export function encodeFrameInto(
  out: Uint8Array[],
  opcode: number,
  payload: Uint8Array,
  fin: boolean,
  rsv1: boolean,
  mask: Uint8Array | undefined,
): number {
  const length = payload.length;
  const size = headerSize(length, mask !== undefined);
  if (mask === undefined && length > MERGE_THRESHOLD) {
    const header = allocateFrame(size);
    writeHeader(header, 0, opcode, fin, rsv1, length, undefined);
    out.push(header, payload);
    return size + length;
  }
  const frame = allocateFrame(size + length);
  writeHeader(frame, 0, opcode, fin, rsv1, length, mask);
  if (mask === undefined) frame.set(payload, size);
  else copyMasked(payload, frame, size, mask);
  out.push(frame);
  return size + length;
}

/**
 * Encodes a text frame straight from a string, with no intermediate byte array: short ASCII
 * strings are written by a plain loop (masking on the way), others with `encodeInto` behind a
 * header slot, so a frame costs one pooled allocation and no copy.
 */
export function encodeTextFrame(
  opcode: number,
  text: string,
  fin: boolean,
  mask: Uint8Array | undefined,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  encodeTextFrameInto(out, opcode, text, fin, mask);
  return out;
}

/** `encodeTextFrame` appending to `out` and returning the bytes added. */
export function encodeTextFrameInto(
  out: Uint8Array[],
  opcode: number,
  text: string,
  fin: boolean,
  mask: Uint8Array | undefined,
): number {
  const length = text.length;
  const maskSize = mask === undefined ? 0 : 4;
  if (length <= ASCII_FAST_PATH_MAX) {
    const frame = encodeAsciiFrame(opcode, text, fin, mask);
    if (frame !== undefined) {
      out.push(frame);
      return frame.length;
    }
  }
  const maxBytes = length * 3;
  if (maxBytes > 0xffff) {
    return encodeFrameInto(out, opcode, utf8Encoder.encode(text), fin, false, mask);
  }
  // Reserve room for the 4-byte length form; if the text turns out to be ≤ 125 bytes the
  // 2-byte form is written two bytes later instead (§5.2 requires the minimal form).
  const payloadStart = 4 + maskSize;
  const buffer = allocateFrame(payloadStart + maxBytes);
  const { written } = utf8Encoder.encodeInto(text, buffer.subarray(payloadStart));
  const start = written <= 125 ? 2 : 0;
  writeHeader(buffer, start, opcode, fin, false, written, mask);
  if (mask !== undefined) {
    applyMask(buffer.subarray(payloadStart, payloadStart + written), mask);
  }
  const frame = shrinkLastFrame(buffer, payloadStart + written).subarray(start);
  out.push(frame);
  return frame.length;
}

/** The ASCII fast path of `encodeTextFrame`; undefined at the first non-ASCII unit. */
function encodeAsciiFrame(
  opcode: number,
  text: string,
  fin: boolean,
  mask: Uint8Array | undefined,
): Uint8Array | undefined {
  const length = text.length;
  const size = headerSize(length, mask !== undefined);
  const frame = allocateFrame(size + length);
  if (mask === undefined) {
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) return giveBack(frame);
      frame[size + i] = code;
    }
  } else {
    const m0 = mask[0] as number;
    const m1 = mask[1] as number;
    const m2 = mask[2] as number;
    const m3 = mask[3] as number;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) return giveBack(frame);
      const k = i & 3;
      frame[size + i] = code ^ (k === 0 ? m0 : k === 1 ? m1 : k === 2 ? m2 : m3);
    }
  }
  writeHeader(frame, 0, opcode, fin, false, length, mask);
  return frame;
}

function giveBack(frame: Uint8Array): undefined {
  shrinkLastFrame(frame, 0);
  return undefined;
}
