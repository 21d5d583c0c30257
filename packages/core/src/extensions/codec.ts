/**
 * The contract between the sans-I/O core and a runtime's DEFLATE implementation for
 * permessage-deflate (RFC 7692 §7.2).
 *
 * The core negotiates parameters, sets and checks RSV1 and enforces message limits; it never
 * compresses anything itself. An adapter injects a `PerMessageCodec` (the Node adapter builds
 * one on `node:zlib`) and runs every compressed message through it in order, pausing input
 * while a message is inflating.
 */
import { CloseCode, invalidArgument, protocolError, WebSocketError } from '../errors.js';

/**
 * The four octets an empty stored DEFLATE block ends with (BTYPE=00, LEN=0x0000,
 * NLEN=0xffff). A sync flush always ends with them.
 *
 * RFC 7692 §7.2.1: the sender removes them from the tail of each compressed message.
 * RFC 7692 §7.2.2: the receiver appends them before inflating.
 *
 * A frozen tuple rather than a `Uint8Array`, because a shared typed array could be
 * mutated by any caller.
 */
export const DEFLATE_TRAILER = Object.freeze([0x00, 0x00, 0xff, 0xff] as const);

/** Whether `data` ends with 0x00 0x00 0xff 0xff (RFC 7692 §7.2.1). */
export function endsWithDeflateTrailer(data: Uint8Array): boolean {
  const length = data.length;
  return (
    length >= 4 &&
    data[length - 4] === 0x00 &&
    data[length - 3] === 0x00 &&
    data[length - 2] === 0xff &&
    data[length - 1] === 0xff
  );
}

/**
 * RFC 7692 §7.2.1 step 3: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end."
 *
 * Returns a view (no copy) without the trailer. Step 2 of §7.2.1 (append an empty stored
 * block if the data does not end with one) works on bits, not octets, so it is not done here:
 * the codec must end each message with a sync flush (zlib's `Z_SYNC_FLUSH`), whose output
 * always ends with the trailer. Throws `WS_ERR_INVALID_ARGUMENT` if it does not, since that is
 * a bug in the codec rather than something the peer did.
 */
export function stripDeflateTrailer(data: Uint8Array): Uint8Array {
  if (!endsWithDeflateTrailer(data)) {
    throw invalidArgument(
      'Compressed data does not end with 0x00 0x00 0xff 0xff; flush the compressor with a sync flush (RFC 7692 §7.2.1)',
    );
  }
  return data.subarray(0, data.length - 4);
}

/**
 * RFC 7692 §7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the payload of
 * the message", then inflate. Returns a new array. A streaming inflater can avoid the copy by
 * writing `DEFLATE_TRAILER` after the payload instead.
 */
export function appendDeflateTrailer(data: Uint8Array): Uint8Array {
  const result = new Uint8Array(data.length + 4);
  result.set(data, 0);
  result.set(DEFLATE_TRAILER, data.length);
  return result;
}

/**
 * The error `decompress` rejects with when the inflated message would exceed `maxSize`
 * (close code 1009, RFC 6455 §7.4.1). Inflating must stop there: a few kilobytes of DEFLATE
 * can expand to gigabytes.
 */
export function decompressedMessageTooBig(maxSize: number): WebSocketError {
  return protocolError(
    'WS_ERR_MESSAGE_TOO_BIG',
    `Decompressed message exceeds the limit of ${maxSize} bytes`,
    CloseCode.MESSAGE_TOO_BIG,
  );
}

/**
 * The error `decompress` rejects with on data that is not valid DEFLATE, or that uses a
 * window larger than negotiated (close code 1007, as `ws` does).
 */
export function decompressionFailed(cause?: unknown): WebSocketError {
  return new WebSocketError('WS_ERR_DECOMPRESSION_FAILED', 'Invalid compressed data', {
    closeCode: CloseCode.INVALID_PAYLOAD,
    cause,
  });
}

/** How to set up the compressor of one endpoint (RFC 7692 §7.1). */
export interface DeflateParams {
  /**
   * RFC 7692 §7.1.1: reset the LZ77 window after each message. When false the compressor
   * keeps its window across messages ("context takeover").
   */
  readonly noContextTakeover: boolean;
  /** RFC 7692 §7.1.2: the negotiated maximum window, as a base-2 logarithm (8..15). */
  readonly maxWindowBits: number;
  /**
   * The `windowBits` to give a raw DEFLATE compressor: `maxWindowBits`, except 8 becomes 9.
   * zlib cannot compress with a 256-byte window (raw `deflateInit2` rejects 8 since zlib
   * 1.2.9; Node.js maps 8 to 9 itself since nodejs/node#16511). A 512-byte zlib window never
   * emits a distance above 250 (2^9 - MIN_LOOKAHEAD 262), so its output still inflates
   * with the 256-byte window the peer asked for; the negotiated 8 is honoured.
   */
  readonly windowBits: number;
}

/** How to set up the decompressor of one endpoint (RFC 7692 §7.1). */
export interface InflateParams {
  /**
   * The peer resets its window after each message (RFC 7692 §7.1.1), so the decompressor may
   * drop its window between messages to save memory. Keeping it is harmless.
   */
  readonly noContextTakeover: boolean;
  /**
   * RFC 7692 §7.1.2: the largest window the peer may use (8..15). zlib inflates with 8
   * correctly, so this is passed as is; a peer that uses a larger window makes inflating
   * fail ("invalid distance too far back"), which is `WS_ERR_DECOMPRESSION_FAILED`.
   */
  readonly maxWindowBits: number;
}

/**
 * One connection's permessage-deflate compressor and decompressor, implemented per runtime.
 *
 * Both work on whole messages (the payloads of all frames of a message joined), not on
 * frames (RFC 7692 §6: the extension transforms the payload of a whole message). The caller
 * awaits each call before the next call of the same method, so an implementation never sees
 * two messages in one direction at once; `compress` and `decompress` are independent and may
 * overlap.
 */
export interface PerMessageCodec {
  /**
   * Compresses one message (RFC 7692 §7.2.1): DEFLATE, sync flush, then the trailing
   * 0x00 0x00 0xff 0xff removed (`stripDeflateTrailer`). The result is the payload of a
   * message sent with RSV1 set on its first frame. With `noContextTakeover` the compressor
   * starts each message with an empty window; otherwise it keeps the window (§7.1.1).
   */
  compress(data: Uint8Array): Promise<Uint8Array>;

  /**
   * Decompresses one message received with RSV1 set (RFC 7692 §7.2.2): appends
   * 0x00 0x00 0xff 0xff, then inflates.
   *
   * `maxSize` is the largest inflated size allowed, in bytes (`Infinity` for no limit). As
   * soon as the output passes it, inflating stops and the promise rejects with
   * `decompressedMessageTooBig(maxSize)` (`WS_ERR_MESSAGE_TOO_BIG`, close code 1009); the
   * implementation must check while inflating, not after, so a decompression bomb never
   * allocates more than about `maxSize` bytes. On corrupt data it rejects with
   * `decompressionFailed(cause)` (`WS_ERR_DECOMPRESSION_FAILED`, close code 1007). After a
   * rejection the connection fails; the codec is not used again except for `close()`.
   */
  decompress(data: Uint8Array, maxSize: number): Promise<Uint8Array>;

  /**
   * Releases the compressor and decompressor. Idempotent. Calls still pending reject, and
   * later calls reject, with `WS_ERR_INVALID_STATE`.
   */
  close(): void;
}

/** What an adapter needs to build a codec once permessage-deflate is negotiated. */
export interface PerMessageCodecConfig {
  /** The local compressor (`NegotiatedDeflate.deflateParamsFor(role)`). */
  readonly deflate: DeflateParams;
  /** The local decompressor (`NegotiatedDeflate.inflateParamsFor(role)`). */
  readonly inflate: InflateParams;
}

/** Injected by the adapter; called once per connection after negotiation succeeds. */
export type PerMessageCodecFactory = (config: PerMessageCodecConfig) => PerMessageCodec;
