import { CloseCode, protocolError, type WebSocketError } from '../errors.js';
import { applyMask } from './mask.js';
import { isControlOpcode, isKnownOpcode, MAX_CONTROL_PAYLOAD } from './opcodes.js';

/**
 * Receives what the frame parser finds. Payload arrives in pieces (already unmasked) as the
 * bytes come in, so a large frame is never buffered twice and UTF-8 can be validated early.
 * The parser never throws: header-level violations go to `frameError`.
 */
export interface FrameSink {
  /**
   * A frame header was parsed: its FIN and RSV1 bits, opcode and payload length (RFC 6455 §5.2).
   */
  frameStart(fin: boolean, rsv1: boolean, opcode: number, length: number): void;
  /** A piece of the current frame's payload, already unmasked. */
  framePayload(piece: Uint8Array): void;
  /**
   * Optional: when present, a masked frame's payload pieces come here still masked instead of
   * to `framePayload`, with the frame's masking key and the position in the mask cycle
   * (`applyMask`'s `maskOffset`), so a sink that copies them anyway unmasks on the way (§5.3)
   * in one pass. The piece is the sink's to modify; `mask` is reused for the next frame.
   */
  frameMaskedPayload?(piece: Uint8Array, mask: Uint8Array, maskOffset: number): void;
  /** The current frame's payload is complete. */
  frameEnd(): void;
  /** The input violates the protocol (RFC 6455 §5); `error` says how. */
  frameError(error: WebSocketError): void;
}

/** How a `FrameParser` validates incoming frames. */
export interface FrameParserOptions {
  /** The side we are: a server receives masked frames, a client unmasked ones (§5.1). */
  readonly role: 'client' | 'server';
  /** True when a negotiated extension defines RSV1 (permessage-deflate, RFC 7692 §6). */
  readonly rsv1Allowed: boolean;
  /** Frames announcing a larger payload fail with 1009 before any payload is buffered. */
  readonly maxFrameSize: number;
}

// Parser states, named after what the parser is waiting for.
const READ_HEADER = 0;
const READ_PAYLOAD = 1;

/** A full header is at most 2 + 8 (64-bit length) + 4 (masking key) bytes. */
const MAX_HEADER_SIZE = 14;

/**
 * Restartable frame decoder (RFC 6455 §5.2): feed it chunks of any size; it calls the sink in
 * stream order. Payload pieces are views into the fed chunks (server side: unmasked in place,
 * so `write` takes ownership of the chunk).
 */
export class FrameParser {
  readonly #sink: FrameSink;
  readonly #expectMask: boolean;
  readonly #rsv1Allowed: boolean;
  readonly #maxFrameSize: number;
  /** The sink unmasks payload pieces itself (`FrameSink.frameMaskedPayload`). */
  readonly #sinkUnmasks: boolean;

  #state = READ_HEADER;
  #stopped = false;
  #suspended = false;
  /** Input held while suspended, in arrival order; created when first needed. */
  #pending: Uint8Array[] | undefined;
  /** Partial header bytes carried over from a previous chunk; allocated when first needed. */
  #headerBytes: Uint8Array | undefined;
  #headerLength = 0;
  /** The current frame's masking key; allocated on the first masked frame (servers only). */
  #mask: Uint8Array | undefined;
  #masked = false;
  /** Payload bytes of the current frame already passed on: the position in the mask cycle. */
  #payloadOffset = 0;
  #payloadRemaining = 0;

  constructor(sink: FrameSink, options: FrameParserOptions) {
    this.#sink = sink;
    this.#expectMask = options.role === 'server';
    this.#rsv1Allowed = options.rsv1Allowed;
    this.#maxFrameSize = options.maxFrameSize;
    this.#sinkUnmasks = typeof sink.frameMaskedPayload === 'function';
  }

  /** Stops parsing for good: the rest of this chunk and every later one is discarded. */
  stop(): void {
    this.#stopped = true;
    this.#pending = undefined;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** True while between frames (no partial header or payload pending). */
  get atFrameBoundary(): boolean {
    return this.#state === READ_HEADER && this.#headerLength === 0;
  }

  /**
   * Stops delivering frames after the current one until `resume()`; input that arrives
   * meanwhile is held. Lets an adapter finish asynchronous work on a message (inflating it)
   * before anything after it, such as a close frame, is acted on.
   */
  suspend(): void {
    this.#suspended = true;
  }

  get suspended(): boolean {
    return this.#suspended;
  }

  /** Continues with the held input; may suspend again at the next compressed message. */
  resume(): void {
    this.#suspended = false;
    while (!this.#suspended && !this.#stopped && this.#pending !== undefined) {
      const next = this.#pending.shift() as Uint8Array;
      if (this.#pending.length === 0) this.#pending = undefined;
      this.#parse(next);
    }
  }

  /**
   * Parses `chunk`, calling the sink for each frame part; held while suspended, discarded after
   * `stop()`.
   */
  write(chunk: Uint8Array): void {
    if (this.#suspended || this.#pending !== undefined) {
      this.#pending ??= [];
      this.#pending.push(chunk);
      return;
    }
    this.#parse(chunk);
  }

  #parse(chunk: Uint8Array): void {
    const length = chunk.length;
    let offset = 0;
    while (offset < length && !this.#stopped) {
      if (this.#suspended) {
        this.#pending ??= [];
        this.#pending.unshift(chunk.subarray(offset));
        return;
      }
      if (this.#state === READ_PAYLOAD) {
        offset = this.#readPayload(chunk, offset);
        continue;
      }
      if (this.#headerLength === 0 && length - offset >= 2) {
        // Fast path: the whole header is inside this chunk, parse it in place.
        const size = headerSizeOf(chunk[offset + 1] as number);
        if (length - offset >= size) {
          this.#parseHeader(chunk, offset);
          offset += size;
          continue;
        }
      }
      offset = this.#collectHeader(chunk, offset);
    }
  }

  /** Copies header bytes into the carry-over buffer until the header is complete. */
  #collectHeader(chunk: Uint8Array, offset: number): number {
    this.#headerBytes ??= new Uint8Array(MAX_HEADER_SIZE);
    const header = this.#headerBytes;
    let position = offset;
    if (this.#headerLength < 2) {
      const take = Math.min(2 - this.#headerLength, chunk.length - position);
      header.set(chunk.subarray(position, position + take), this.#headerLength);
      this.#headerLength += take;
      position += take;
      if (this.#headerLength < 2) return position;
    }
    const size = headerSizeOf(header[1] as number);
    const take = Math.min(size - this.#headerLength, chunk.length - position);
    header.set(chunk.subarray(position, position + take), this.#headerLength);
    this.#headerLength += take;
    position += take;
    if (this.#headerLength === size) {
      this.#headerLength = 0;
      this.#parseHeader(header, 0);
    }
    return position;
  }

  #parseHeader(bytes: Uint8Array, offset: number): void {
    const first = bytes[offset] as number;
    const second = bytes[offset + 1] as number;
    const fin = (first & 0x80) !== 0;
    const rsv1 = (first & 0x40) !== 0;
    const opcode = first & 0x0f;
    const masked = (second & 0x80) !== 0;
    let length = second & 0x7f;
    let position = offset + 2;

    // §5.2: "RSV1, RSV2, RSV3: MUST be 0 unless an extension is negotiated that defines
    // meanings for non-zero values."
    if ((first & 0x30) !== 0) {
      this.#fail(protocolError('WS_ERR_UNEXPECTED_RSV_2_3', 'RSV2 and RSV3 must be clear'));
      return;
    }
    if (rsv1 && !this.#rsv1Allowed) {
      this.#fail(protocolError('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear'));
      return;
    }
    // §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket
    // Connection_."
    if (!isKnownOpcode(opcode)) {
      this.#fail(protocolError('WS_ERR_INVALID_OPCODE', `invalid opcode ${opcode}`));
      return;
    }
    if (isControlOpcode(opcode)) {
      // §5.5: "Control frames themselves MUST NOT be fragmented."
      if (!fin) {
        this.#fail(
          protocolError('WS_ERR_FRAGMENTED_CONTROL_FRAME', 'control frames must not be fragmented'),
        );
        return;
      }
      // §5.5: "All control frames MUST have a payload length of 125 bytes or less."
      if (length > MAX_CONTROL_PAYLOAD) {
        this.#fail(
          protocolError(
            'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
            'control frame payload exceeds 125 bytes',
          ),
        );
        return;
      }
      // RFC 7692 §6.1: the "Per-Message Compressed" bit is never set on control frames.
      if (rsv1) {
        this.#fail(
          protocolError('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear on control frames'),
        );
        return;
      }
    }
    // §5.1: "The server MUST close the connection upon receiving a frame that is not masked"
    // and "A client MUST close a connection if it detects a masked frame."
    if (masked !== this.#expectMask) {
      this.#fail(
        masked
          ? protocolError('WS_ERR_UNEXPECTED_MASK', 'server frames must not be masked')
          : protocolError('WS_ERR_EXPECTED_MASK', 'client frames must be masked'),
      );
      return;
    }

    if (length === 126) {
      length = ((bytes[position] as number) << 8) | (bytes[position + 1] as number);
      position += 2;
    } else if (length === 127) {
      const high =
        (((bytes[position] as number) << 24) |
          ((bytes[position + 1] as number) << 16) |
          ((bytes[position + 2] as number) << 8) |
          (bytes[position + 3] as number)) >>>
        0;
      const low =
        (((bytes[position + 4] as number) << 24) |
          ((bytes[position + 5] as number) << 16) |
          ((bytes[position + 6] as number) << 8) |
          (bytes[position + 7] as number)) >>>
        0;
      position += 8;
      // §5.2: "the most significant bit MUST be 0".
      if (high >= 0x80000000) {
        this.#fail(
          protocolError(
            'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH',
            'the most significant bit of a 64-bit payload length must be 0',
          ),
        );
        return;
      }
      length = high * 0x100000000 + low;
    }
    if (length > this.#maxFrameSize) {
      this.#fail(
        protocolError(
          'WS_ERR_FRAME_TOO_BIG',
          `frame payload of ${length} bytes exceeds maxFrameSize (${this.#maxFrameSize})`,
          CloseCode.MESSAGE_TOO_BIG,
        ),
      );
      return;
    }
    if (masked) {
      this.#mask ??= new Uint8Array(4);
      const mask = this.#mask;
      mask[0] = bytes[position] as number;
      mask[1] = bytes[position + 1] as number;
      mask[2] = bytes[position + 2] as number;
      mask[3] = bytes[position + 3] as number;
    }
    this.#masked = masked;
    this.#payloadOffset = 0;
    this.#payloadRemaining = length;
    this.#sink.frameStart(fin, rsv1, opcode, length);
    if (this.#stopped) return;
    if (length === 0) {
      this.#sink.frameEnd();
    } else {
      this.#state = READ_PAYLOAD;
    }
  }

  #readPayload(chunk: Uint8Array, offset: number): number {
    const take = Math.min(this.#payloadRemaining, chunk.length - offset);
    const piece = chunk.subarray(offset, offset + take);
    const maskOffset = this.#payloadOffset;
    this.#payloadOffset += take;
    this.#payloadRemaining -= take;
    if (!this.#masked) {
      this.#sink.framePayload(piece);
    } else if (this.#sinkUnmasks) {
      (this.#sink as Required<FrameSink>).frameMaskedPayload(
        piece,
        this.#mask as Uint8Array,
        maskOffset,
      );
    } else {
      applyMask(piece, this.#mask as Uint8Array, maskOffset);
      this.#sink.framePayload(piece);
    }
    if (this.#payloadRemaining === 0 && !this.#stopped) {
      this.#state = READ_HEADER;
      this.#sink.frameEnd();
    }
    return offset + take;
  }

  #fail(error: WebSocketError): void {
    this.#stopped = true;
    this.#sink.frameError(error);
  }
}

/** Header size implied by the second header byte (length code and mask bit). */
function headerSizeOf(second: number): number {
  const lengthCode = second & 0x7f;
  const base = lengthCode === 126 ? 4 : lengthCode === 127 ? 10 : 2;
  return (second & 0x80) !== 0 ? base + 4 : base;
}
