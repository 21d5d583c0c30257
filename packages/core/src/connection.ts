import {
  CloseCode,
  invalidArgument,
  invalidState,
  protocolError,
  WebSocketError,
} from './errors.js';
import { encodeClosePayload, parseClosePayload } from './frames/close-payload.js';
import {
  encodeFrame,
  encodeFrameInto,
  encodeTextFrame,
  encodeTextFrameInto,
} from './frames/frame-encoder.js';
import { FrameParser, type FrameSink } from './frames/frame-parser.js';
import { applyMask, maskInto } from './frames/mask.js';
import { MAX_CONTROL_PAYLOAD, Opcode } from './frames/opcodes.js';
import { GrowableBuffer } from './messages/growable-buffer.js';
import { MaskSource } from './messages/mask-source.js';
import type { RandomBytes } from './random.js';
import { utf8Encoder } from './text/utf8.js';
import { isValidUtf8, Utf8Validator } from './text/utf8-validator.js';

/** RFC 6455 §4 / §7: where a connection is in its life. */
export type ConnectionState = 'open' | 'closing' | 'closed';

export interface CloseInfo {
  /** The peer's status code, 1005 if its close frame had none, 1006 if none arrived. */
  readonly code: number;
  readonly reason: string;
  /** True when close frames went both ways before the transport ended (RFC 6455 §7.1.4). */
  readonly wasClean: boolean;
}

/**
 * What the connection reports, called synchronously from `receiveData`/`receiveEof`.
 * Callbacks rather than event objects: the hot path allocates nothing but the message itself.
 */
export interface ConnectionHandler {
  /** A whole message. Text arrives as bytes already validated as UTF-8 (RFC 6455 §8.1). */
  onMessage(data: Uint8Array, isBinary: boolean): void;
  /**
   * A whole message whose first frame had RSV1 set (RFC 7692 §6). The adapter decompresses it,
   * in order, and hands the result to `Connection.deliverDecompressed`.
   */
  onCompressedMessage?(data: Uint8Array, isBinary: boolean): void;
  /**
   * A ping arrived; its pong is already queued unless automatic pongs are off or a close frame
   * was sent (RFC 6455 §5.5.2).
   */
  onPing?(data: Uint8Array): void;
  /** A pong arrived, solicited or not (RFC 6455 §5.5.3). */
  onPong?(data: Uint8Array): void;
  /** The peer's close frame arrived (the echo, if needed, is already queued). */
  onCloseFrame?(code: number, reason: string): void;
  /** The peer broke the protocol; a close frame with `error.closeCode` is queued. */
  onError?(error: WebSocketError): void;
  /** The transport ended (`receiveEof`): the last callback, called once. */
  onClosed?(info: CloseInfo): void;
}

export interface ConnectionLimits {
  /** Largest message accepted, in bytes, across all its fragments. Default 32 MiB. */
  readonly maxMessageSize?: number;
  /** Largest single frame payload accepted. Default: `maxMessageSize`. */
  readonly maxFrameSize?: number;
}

export interface ConnectionOptions extends ConnectionLimits {
  readonly role: 'client' | 'server';
  readonly handler: ConnectionHandler;
  /** True when permessage-deflate (or another RSV1 extension) was negotiated. */
  readonly perMessageCompression?: boolean;
  /** Answer pings with pongs automatically (RFC 6455 §5.5.2). Default true. */
  readonly autoPong?: boolean;
  /** Source of masking keys. Default `crypto.getRandomValues`. */
  readonly randomBytes?: RandomBytes;
  /**
   * A faster whole-buffer UTF-8 check an adapter may inject (Node: `buffer.isUtf8`), used for
   * text messages that arrive in one piece. Pieces are always checked by the streaming
   * validator so invalid text fails fast.
   */
  readonly isUtf8?: (bytes: Uint8Array) => boolean;
  /**
   * Allocator for reassembly buffers; may return uninitialised memory (Node:
   * `Buffer.allocUnsafe`), since only written bytes are ever exposed. Default: zero-filled.
   */
  readonly allocate?: (size: number) => Uint8Array;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 32 * 1024 * 1024;

/**
 * A frame that is a whole message and arrives in pieces gets its buffer sized up front, up to
 * this much; beyond it the buffer grows with the data, so a peer announcing a huge frame and
 * sending nothing cannot make us allocate it.
 */
const RESERVE_MAX = 1024 * 1024;

/** Below this size the JS validator beats a call into a native one (ws uses 32 too). */
const NATIVE_UTF8_MIN = 32;

const EMPTY = new Uint8Array(0);

// Connection's flags (#flags).
const CLOSE_SENT = 1;
const CLOSE_RECEIVED = 2;
const FAILED = 4;
const TRANSPORT_CLOSE_REQUESTED = 8;
const FRAME_IS_WHOLE_MESSAGE = 16;
const MESSAGE_IN_PROGRESS = 32;
const MESSAGE_IS_BINARY = 64;
const MESSAGE_COMPRESSED = 128;
const VALIDATE_TEXT = 256;
const SENDING_FRAGMENTED = 512;
const PER_MESSAGE_COMPRESSION = 1024;
const AUTO_PONG = 2048;
const CLOSED = 4096;

/**
 * One side of an open WebSocket connection as a sans-I/O state machine (RFC 6455 §5-§7).
 *
 * Bytes in (`receiveData`, `receiveEof`), callbacks and bytes out (`takeOutput`). It never
 * touches a socket, a timer or a clock: `closeExpected()` and `transportCloseRequested` tell
 * the adapter when to arm its timer and when to end the transport.
 *
 * Local misuse (sending after close, bad arguments) throws a `WebSocketError`; a remote
 * protocol violation never throws: it queues a close frame with the right code and reports
 * through `onError`.
 */
export class Connection implements FrameSink {
  readonly maxMessageSize: number;
  readonly maxFrameSize: number;

  readonly #handler: ConnectionHandler;
  /**
   * Made when the first bytes arrive: a connection that has received nothing since the
   * handshake (an idle one) holds no parser (152 bytes each, packages/node/README.md budget).
   */
  #parser: FrameParser | undefined;
  readonly #masks: MaskSource | undefined;
  readonly #nativeIsUtf8: ((bytes: Uint8Array) => boolean) | undefined;

  /**
   * The connection's booleans, one bit each (the constants below the class): one field
   * instead of twelve at 10,000 idle connections (packages/node/README.md budget).
   */
  #flags = 0;
  // Per-connection state is created on first use: at 10,000 idle connections every empty
  // array and buffer object counts (packages/node/README.md, per-connection memory budget).
  #output: Array<Uint8Array | OutputSlot> | undefined;
  #outputBytes = 0;
  /** Reserved slots still in the output queue (output stops at an unfilled one). */
  #slotsQueued = 0;
  #receivedCloseCode: number = CloseCode.NO_STATUS_RECEIVED;
  #receivedCloseReason = '';
  #sentCloseCode: number | undefined;

  // Receive side: the frame being read and the message being reassembled.
  #frameOpcode = 0;
  #frameLength = 0;
  #directPayload: Uint8Array | undefined;
  #messageLength = 0;
  #messageBuffer: GrowableBuffer | undefined;
  readonly #allocate: ((size: number) => Uint8Array) | undefined;
  #utf8: Utf8Validator | undefined;
  #controlBuffer: GrowableBuffer | undefined;

  get #closeSent(): boolean {
    return (this.#flags & CLOSE_SENT) !== 0;
  }
  set #closeSent(value: boolean) {
    this.#setFlag(CLOSE_SENT, value);
  }
  get #closeReceived(): boolean {
    return (this.#flags & CLOSE_RECEIVED) !== 0;
  }
  set #closeReceived(value: boolean) {
    this.#setFlag(CLOSE_RECEIVED, value);
  }
  get #failed(): boolean {
    return (this.#flags & FAILED) !== 0;
  }
  set #failed(value: boolean) {
    this.#setFlag(FAILED, value);
  }
  /**
   * The transport ended. Not a separate state field: 'closing' is exactly "a close frame was
   * sent and the transport has not ended yet" (every path that sends one, `close`, `fail` and
   * the echo of a received close, goes there), so `state` is derived from two bits.
   */
  get #closed(): boolean {
    return (this.#flags & CLOSED) !== 0;
  }
  get #transportCloseRequested(): boolean {
    return (this.#flags & TRANSPORT_CLOSE_REQUESTED) !== 0;
  }
  set #transportCloseRequested(value: boolean) {
    this.#setFlag(TRANSPORT_CLOSE_REQUESTED, value);
  }
  /** The current frame is a whole unfragmented message: deliver its payload without copying. */
  get #frameIsWholeMessage(): boolean {
    return (this.#flags & FRAME_IS_WHOLE_MESSAGE) !== 0;
  }
  set #frameIsWholeMessage(value: boolean) {
    this.#setFlag(FRAME_IS_WHOLE_MESSAGE, value);
  }
  get #messageInProgress(): boolean {
    return (this.#flags & MESSAGE_IN_PROGRESS) !== 0;
  }
  set #messageInProgress(value: boolean) {
    this.#setFlag(MESSAGE_IN_PROGRESS, value);
  }
  get #messageIsBinary(): boolean {
    return (this.#flags & MESSAGE_IS_BINARY) !== 0;
  }
  set #messageIsBinary(value: boolean) {
    this.#setFlag(MESSAGE_IS_BINARY, value);
  }
  get #messageCompressed(): boolean {
    return (this.#flags & MESSAGE_COMPRESSED) !== 0;
  }
  set #messageCompressed(value: boolean) {
    this.#setFlag(MESSAGE_COMPRESSED, value);
  }
  get #validateText(): boolean {
    return (this.#flags & VALIDATE_TEXT) !== 0;
  }
  set #validateText(value: boolean) {
    this.#setFlag(VALIDATE_TEXT, value);
  }
  /** An outgoing fragmented message is in progress. */
  get #sendingFragmented(): boolean {
    return (this.#flags & SENDING_FRAGMENTED) !== 0;
  }
  set #sendingFragmented(value: boolean) {
    this.#setFlag(SENDING_FRAGMENTED, value);
  }

  get role(): 'client' | 'server' {
    return this.#masks === undefined ? 'server' : 'client';
  }

  /** True when permessage-deflate (or another RSV1 extension) was negotiated. */
  get perMessageCompression(): boolean {
    return (this.#flags & PER_MESSAGE_COMPRESSION) !== 0;
  }

  /** Pings are answered with pongs automatically (RFC 6455 §5.5.2). */
  get #autoPong(): boolean {
    return (this.#flags & AUTO_PONG) !== 0;
  }

  #setFlag(flag: number, value: boolean): void {
    this.#flags = value ? this.#flags | flag : this.#flags & ~flag;
  }

  constructor(options: ConnectionOptions) {
    if (options.role !== 'client' && options.role !== 'server') {
      throw invalidArgument(`role must be 'client' or 'server', got ${String(options.role)}`);
    }
    if (options.handler === undefined || typeof options.handler.onMessage !== 'function') {
      throw invalidArgument('handler.onMessage must be a function');
    }
    this.maxMessageSize = checkLimit(
      'maxMessageSize',
      options.maxMessageSize,
      DEFAULT_MAX_MESSAGE_SIZE,
    );
    this.maxFrameSize = checkLimit('maxFrameSize', options.maxFrameSize, this.maxMessageSize);
    this.#setFlag(PER_MESSAGE_COMPRESSION, options.perMessageCompression === true);
    this.#handler = options.handler;
    this.#setFlag(AUTO_PONG, options.autoPong !== false);
    this.#nativeIsUtf8 = options.isUtf8;
    // §5.3: only the client masks (and so its mask source also says which side this is).
    this.#masks = options.role === 'client' ? new MaskSource(options.randomBytes) : undefined;
    this.#allocate = options.allocate;
  }

  #newParser(): FrameParser {
    return new FrameParser(this, {
      role: this.role,
      rsv1Allowed: this.perMessageCompression,
      maxFrameSize: this.maxFrameSize,
    });
  }

  get state(): ConnectionState {
    if (this.#closed) return 'closed';
    return this.#closeSent ? 'closing' : 'open';
  }

  /** Bytes queued by send calls and not yet taken by `takeOutput`. */
  get outputBytes(): number {
    return this.#outputBytes;
  }

  /**
   * True once the adapter should end the transport after writing the queued output: the
   * server after the closing handshake (RFC 6455 §7.1.1: "the server MUST close the
   * underlying TCP connection"), and either side after failing the connection (§7.1.7).
   */
  get transportCloseRequested(): boolean {
    return this.#transportCloseRequested;
  }

  /**
   * True while the core waits for the peer to finish closing: the adapter should arm a timer
   * and end the transport itself if the peer does not (a client waits for the server to close
   * TCP, §7.1.1; a side that sent a close waits for the answer, §7.1.2).
   */
  closeExpected(): boolean {
    return this.#closeSent && !this.#closed;
  }

  /** The status code of the close frame we sent, if any. */
  get sentCloseCode(): number | undefined {
    return this.#sentCloseCode;
  }

  // ---------------------------------------------------------------------------------------
  // Input

  /**
   * Feeds bytes read from the transport. Takes ownership of `chunk`: on the server side masked
   * payloads are unmasked in place, and messages may be views into it.
   */
  receiveData(chunk: Uint8Array): void {
    if (!(chunk instanceof Uint8Array)) {
      throw invalidArgument('receiveData expects a Uint8Array');
    }
    // §5.5.1: after a close frame has been received, "the endpoint ... MUST NOT" expect more;
    // anything the peer sends afterwards is discarded, as is input after a failure.
    if (this.#closed || this.#closeReceived || this.#failed) return;
    this.#parser ??= this.#newParser();
    this.#parser.write(chunk);
  }

  /** The transport ended (TCP FIN, reset, or the adapter closed it). Idempotent. */
  receiveEof(): void {
    if (this.#closed) return;
    this.#flags |= CLOSED;
    this.#parser?.stop();
    this.#messageBuffer?.clear();
    const wasClean = this.#closeSent && this.#closeReceived;
    // §7.1.5/§7.1.6: without a received close frame the status is 1006, "abnormal closure".
    const info: CloseInfo = this.#closeReceived
      ? { code: this.#receivedCloseCode, reason: this.#receivedCloseReason, wasClean }
      : { code: CloseCode.ABNORMAL_CLOSURE, reason: '', wasClean: false };
    this.#handler.onClosed?.(info);
  }

  /**
   * Hands back a message reported by `onCompressedMessage` after the adapter decompressed it.
   * Checks the size limit and, for text, UTF-8; then calls `onMessage` or fails the
   * connection (1009 / 1007).
   */
  deliverDecompressed(data: Uint8Array, isBinary: boolean): void {
    if (this.#closed || this.#failed) return;
    if (data.length > this.maxMessageSize) {
      this.#failWith(
        protocolError(
          'WS_ERR_MESSAGE_TOO_BIG',
          `decompressed message exceeds maxMessageSize (${this.maxMessageSize})`,
          CloseCode.MESSAGE_TOO_BIG,
        ),
      );
      return;
    }
    if (!isBinary && !this.#isValidText(data)) {
      this.#failWith(invalidUtf8Error());
      return;
    }
    this.#handler.onMessage(data, isBinary);
  }

  // ---------------------------------------------------------------------------------------
  // FrameSink: called by the parser. Not part of the public API.

  /** FrameSink: called by the parser only, never by a driver. */
  frameStart(fin: boolean, rsv1: boolean, opcode: number, length: number): void {
    this.#frameOpcode = opcode;
    this.#frameLength = length;
    if (opcode >= Opcode.CLOSE) return; // control frame: buffered separately (≤ 125 bytes)

    if (opcode === Opcode.CONTINUATION) {
      // §5.4: a continuation frame needs a message in progress.
      if (!this.#messageInProgress) {
        this.#failWith(
          protocolError('WS_ERR_UNEXPECTED_CONTINUATION', 'continuation frame without a message'),
        );
        return;
      }
      // RFC 7692 §6.1: RSV1 is set on the first frame of a message only.
      if (rsv1) {
        this.#failWith(
          protocolError('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 set on a continuation frame'),
        );
        return;
      }
    } else {
      // §5.4: fragments of one message must not be interleaved with another message.
      if (this.#messageInProgress) {
        this.#failWith(
          protocolError(
            'WS_ERR_EXPECTED_CONTINUATION',
            'new data frame while a fragmented message is in progress',
          ),
        );
        return;
      }
      this.#messageInProgress = true;
      this.#messageIsBinary = opcode === Opcode.BINARY;
      this.#messageCompressed = rsv1;
      this.#messageLength = 0;
      this.#validateText = !this.#messageIsBinary && !rsv1;
      if (this.#validateText) this.#utf8?.reset();
    }
    // Limits are checked against the announced length, before anything is buffered.
    if (this.#messageLength + length > this.maxMessageSize) {
      this.#failWith(
        protocolError(
          'WS_ERR_MESSAGE_TOO_BIG',
          `message exceeds maxMessageSize (${this.maxMessageSize})`,
          CloseCode.MESSAGE_TOO_BIG,
        ),
      );
      return;
    }
    this.#messageLength += length;
    this.#frameIsWholeMessage = fin && this.#messageLength === length;
    this.#directPayload = undefined;
    if (fin) this.#messageInProgress = false;
  }

  /** FrameSink: called by the parser only, never by a driver. */
  framePayload(piece: Uint8Array): void {
    if (this.#frameOpcode >= Opcode.CLOSE) {
      this.#controlBuffer ??= new GrowableBuffer(MAX_CONTROL_PAYLOAD);
      this.#controlBuffer.append(piece);
      return;
    }
    if (this.#frameIsWholeMessage && piece.length === this.#frameLength) {
      // The whole message arrived in one piece: hand out a view, copy nothing. UTF-8 is
      // checked once at the end of the frame, with the injected fast validator.
      this.#directPayload = piece;
      return;
    }
    if (this.#validateText && !this.#validatePiece(piece)) {
      // §8.1 and Autobahn 6.4: fail at the first invalid byte, not at the end of the message.
      this.#failWith(invalidUtf8Error());
      return;
    }
    this.#reassemblyBuffer().append(piece);
  }

  /** The message buffer, sized up front when the frame is a whole message just starting. */
  #reassemblyBuffer(): GrowableBuffer {
    this.#messageBuffer ??= new GrowableBuffer(this.maxMessageSize, this.#allocate);
    const buffer = this.#messageBuffer;
    if (this.#frameIsWholeMessage && buffer.length === 0) {
      buffer.reserve(Math.min(this.#frameLength, RESERVE_MAX));
    }
    return buffer;
  }

  /**
   * FrameSink: called by the parser only, never by a driver. A masked piece (server side): a
   * whole message in one piece and control frames are unmasked in place; a piece of a message
   * being reassembled is unmasked straight into the message buffer (§5.3), one pass instead of
   * unmasking the socket's chunk and then copying it.
   */
  frameMaskedPayload(piece: Uint8Array, mask: Uint8Array, maskOffset: number): void {
    if (
      this.#frameOpcode >= Opcode.CLOSE ||
      (this.#frameIsWholeMessage && piece.length === this.#frameLength)
    ) {
      applyMask(piece, mask, maskOffset);
      this.framePayload(piece);
      return;
    }
    const target = this.#reassemblyBuffer().extend(piece.length);
    maskInto(piece, target, mask, maskOffset);
    if (this.#validateText && !this.#validatePiece(target)) {
      // §8.1 and Autobahn 6.4: fail at the first invalid byte, not at the end of the message.
      this.#failWith(invalidUtf8Error());
    }
  }

  #validatePiece(piece: Uint8Array): boolean {
    const native = this.#nativeIsUtf8;
    this.#utf8 ??= new Utf8Validator();
    const validator = this.#utf8;
    return native !== undefined && piece.length >= NATIVE_UTF8_MIN * 2
      ? validator.writeWith(piece, native)
      : validator.write(piece);
  }

  #isValidText(data: Uint8Array): boolean {
    const native = this.#nativeIsUtf8;
    return native === undefined || data.length < NATIVE_UTF8_MIN ? isValidUtf8(data) : native(data);
  }

  /** FrameSink: called by the parser only, never by a driver. */
  frameEnd(): void {
    const opcode = this.#frameOpcode;
    if (opcode >= Opcode.CLOSE) {
      this.#handleControlFrame(opcode, this.#controlBuffer?.take() ?? new Uint8Array(0));
      return;
    }
    if (this.#messageInProgress) return; // more fragments to come
    let data: Uint8Array;
    if (this.#directPayload !== undefined) {
      data = this.#directPayload;
      this.#directPayload = undefined;
      if (this.#validateText && !this.#isValidText(data)) {
        this.#failWith(invalidUtf8Error());
        return;
      }
    } else {
      data =
        this.#frameIsWholeMessage && this.#frameLength === 0
          ? EMPTY
          : (this.#messageBuffer?.take() ?? new Uint8Array(0));
      // No validator yet: no text byte arrived, and an empty text is complete UTF-8.
      if (this.#validateText && this.#utf8 !== undefined && !this.#utf8.isComplete()) {
        this.#failWith(invalidUtf8Error());
        return;
      }
    }
    const isBinary = this.#messageIsBinary;
    if (this.#messageCompressed) {
      const handler = this.#handler.onCompressedMessage;
      if (handler === undefined) {
        throw invalidState(
          'perMessageCompression is on but handler.onCompressedMessage is missing',
        );
      }
      handler.call(this.#handler, data, isBinary);
    } else {
      this.#handler.onMessage(data, isBinary);
    }
  }

  /** FrameSink: called by the parser only, never by a driver. */
  frameError(error: WebSocketError): void {
    this.#failWith(error);
  }

  #handleControlFrame(opcode: number, payload: Uint8Array): void {
    if (opcode === Opcode.PING) {
      // §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response,
      // unless it already received a Close frame" — and nothing may follow our own close.
      if (this.#autoPong && !this.#closeSent) {
        this.#queueFrame(Opcode.PONG, payload, true, false);
      }
      this.#handler.onPing?.(payload);
      return;
    }
    if (opcode === Opcode.PONG) {
      // §5.5.3: an unsolicited pong is allowed and needs no response.
      this.#handler.onPong?.(payload);
      return;
    }
    const parsed = parseClosePayload(payload);
    if (parsed instanceof WebSocketError) {
      this.#failWith(parsed);
      return;
    }
    this.#closeReceived = true;
    this.#receivedCloseCode = parsed.code;
    this.#receivedCloseReason = parsed.reason;
    this.#parser?.stop();
    this.#messageBuffer?.clear();
    if (!this.#closeSent) {
      // §5.5.1: "If an endpoint receives a Close frame and did not previously send a Close
      // frame, the endpoint MUST send a Close frame in response ... typically echoing the
      // status code it received." 1005 is never sent: answer with an empty body. The reason
      // is echoed too, as ws, Python websockets and browsers do (it is valid and ≤ 123 bytes).
      const echo = parsed.code === CloseCode.NO_STATUS_RECEIVED ? undefined : parsed.code;
      this.#queueClose(echo, echo === undefined ? '' : parsed.reason);
    }
    // §7.1.1: the server closes TCP first; the client waits for it (closeExpected()).
    if (this.role === 'server') this.#transportCloseRequested = true;
    this.#handler.onCloseFrame?.(parsed.code, parsed.reason);
  }

  // ---------------------------------------------------------------------------------------
  // Output

  /** Sends a text message. `text` is encoded as UTF-8 (lone surrogates become U+FFFD). */
  sendText(text: string): void {
    if (typeof text !== 'string') throw invalidArgument('sendText expects a string');
    this.#assertCanSendMessage('sendText');
    this.#outputBytes += encodeTextFrameInto(
      this.#outputQueue() as Uint8Array[],
      Opcode.TEXT,
      text,
      true,
      this.#nextMask(),
    );
  }

  /** Sends a binary message. The caller must not modify `data` until it has been written. */
  sendBinary(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw invalidArgument('sendBinary expects a Uint8Array');
    this.#assertCanSendMessage('sendBinary');
    this.#outputBytes += encodeFrameInto(
      this.#outputQueue() as Uint8Array[],
      Opcode.BINARY,
      data,
      true,
      false,
      this.#nextMask(),
    );
  }

  /**
   * Sends one fragment of a message (RFC 6455 §5.4), for streaming. The first fragment picks
   * the message type (`binary`, default: true for bytes, false for a string); `fin: true`
   * ends the message. Text fragments given as bytes must together form valid UTF-8.
   */
  sendFragment(data: string | Uint8Array, options: { fin: boolean; binary?: boolean }): void {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw invalidArgument('sendFragment expects a string or a Uint8Array');
    }
    if (options === null || typeof options !== 'object' || typeof options.fin !== 'boolean') {
      throw invalidArgument('sendFragment expects options { fin: boolean }');
    }
    this.#assertOpen('sendFragment');
    let opcode: number = Opcode.CONTINUATION;
    if (!this.#sendingFragmented) {
      const binary = options.binary ?? typeof data !== 'string';
      opcode = binary ? Opcode.BINARY : Opcode.TEXT;
    }
    const mask = this.#nextMask();
    this.#pushChunks(
      typeof data === 'string'
        ? encodeTextFrame(opcode, data, options.fin, mask)
        : encodeFrame(opcode, data, options.fin, false, mask),
    );
    this.#sendingFragmented = !options.fin;
  }

  /**
   * Sends a message already compressed by the adapter's codec (trailer removed, RFC 7692
   * §7.2.1) as one frame with RSV1 set.
   */
  sendCompressed(data: Uint8Array, isBinary: boolean): void {
    if (!(data instanceof Uint8Array)) throw invalidArgument('sendCompressed expects a Uint8Array');
    if (!this.perMessageCompression) {
      throw invalidState('sendCompressed needs permessage-deflate to have been negotiated');
    }
    this.#assertCanSendMessage('sendCompressed');
    const opcode = isBinary ? Opcode.BINARY : Opcode.TEXT;
    this.#pushChunks(encodeFrame(opcode, data, true, true, this.#nextMask()));
  }

  /**
   * Queues a message framed once by `prepareServerMessage` for many connections (pub/sub).
   * Server role only: server frames are unmasked, so the same bytes suit every peer (§5.1).
   */
  sendPrepared(message: PreparedMessage): void {
    if (this.role !== 'server') {
      throw invalidState('sendPrepared is for servers: client frames must be masked per frame');
    }
    if (!(message instanceof PreparedMessage)) {
      throw invalidArgument('sendPrepared expects a message from prepareServerMessage()');
    }
    this.#assertCanSendMessage('sendPrepared');
    this.#pushChunks(message.chunks);
  }

  /** Queues a ping (RFC 6455 §5.5.2) carrying `data` (at most 125 bytes); throws unless open. */
  sendPing(data: Uint8Array | string = EMPTY): void {
    this.#assertOpen('sendPing');
    this.#queueFrame(Opcode.PING, controlPayload('sendPing', data), true, false);
  }

  /** Queues a pong (RFC 6455 §5.5.3) carrying `data` (at most 125 bytes); throws unless open. */
  sendPong(data: Uint8Array | string = EMPTY): void {
    this.#assertOpen('sendPong');
    this.#queueFrame(Opcode.PONG, controlPayload('sendPong', data), true, false);
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2). Without a code the close frame has an
   * empty body. Does nothing if a close frame was already sent.
   */
  close(code?: number, reason = ''): void {
    const payload = encodeClosePayload(code, reason); // validates even when already closing
    if (this.#closeSent || this.#closed) return;
    this.#sentCloseCode = code;
    this.#closeSent = true;
    this.#queueFrame(Opcode.CLOSE, payload, true, false);
  }

  /**
   * _Fail the WebSocket Connection_ (RFC 6455 §7.1.7): send a close frame with `code` if none
   * was sent, stop reading, and ask the adapter to end the transport.
   */
  fail(code: number = CloseCode.PROTOCOL_ERROR, reason = ''): void {
    const payload = encodeClosePayload(code, truncateReason(reason));
    if (this.#closed) return;
    this.#failed = true;
    this.#parser?.stop();
    this.#messageBuffer?.clear();
    if (!this.#closeSent) {
      this.#sentCloseCode = code;
      this.#closeSent = true;
      this.#queueFrame(Opcode.CLOSE, payload, true, false);
    }
    this.#transportCloseRequested = true;
  }

  /**
   * Takes the queued output, in order, up to the first reserved message still being
   * compressed. An adapter writes it with `writev`/`cork`.
   */
  takeOutput(): Uint8Array[] {
    const output = this.#output;
    if (output === undefined || output.length === 0) return [];
    if (this.#slotsQueued === 0) {
      this.#output = undefined;
      this.#outputBytes = 0;
      return output as Uint8Array[];
    }
    const ready: Uint8Array[] = [];
    let index = 0;
    for (; index < output.length; index++) {
      const item = output[index] as Uint8Array | OutputSlot;
      if (!isSlot(item)) {
        ready.push(item);
        continue;
      }
      if (item.chunks === undefined) break;
      this.#slotsQueued--;
      for (const chunk of item.chunks) ready.push(chunk);
    }
    this.#output = output.slice(index);
    for (const chunk of ready) this.#outputBytes -= chunk.length;
    return ready;
  }

  /**
   * Holds back frames after the current one (see `FrameParser.suspend`): an adapter calls it
   * from `onCompressedMessage` and `resumeInput()` once the message is delivered, so a close
   * frame or a ping behind it is not answered before the message is.
   */
  suspendInput(): void {
    this.#parser ??= this.#newParser();
    this.#parser.suspend();
  }

  /**
   * Lets the frames held back by `suspendInput()` through; a no-op once the connection is closed.
   */
  resumeInput(): void {
    if (this.#closed) return;
    this.#parser?.resume();
  }

  /**
   * Reserves the place of a message the adapter is compressing (RFC 7692): frames queued
   * later (pongs, a close echo, other messages) wait behind it in `takeOutput`. Call
   * `fillReserved` with the compressed payload, or `cancelReserved`.
   */
  reserveCompressed(isBinary: boolean): ReservedMessage {
    if (!this.perMessageCompression) {
      throw invalidState('reserveCompressed needs permessage-deflate to have been negotiated');
    }
    this.#assertCanSendMessage('send');
    const slot: OutputSlot = { isBinary, chunks: undefined };
    this.#outputQueue().push(slot);
    this.#slotsQueued++;
    return slot;
  }

  /** Fills a reserved place with the compressed payload (trailer removed, RFC 7692 §7.2.1). */
  fillReserved(reserved: ReservedMessage, compressed: Uint8Array): void {
    const slot = reserved as OutputSlot;
    if (slot.chunks !== undefined) throw invalidState('this reserved message was already filled');
    const opcode = slot.isBinary ? Opcode.BINARY : Opcode.TEXT;
    slot.chunks = encodeFrame(opcode, compressed, true, true, this.#nextMask());
    for (const chunk of slot.chunks) this.#outputBytes += chunk.length;
  }

  /** Gives up a reserved place (compression failed or the transport is gone). */
  cancelReserved(reserved: ReservedMessage): void {
    const slot = reserved as OutputSlot;
    if (slot.chunks !== undefined) return;
    slot.chunks = [];
  }

  // ---------------------------------------------------------------------------------------

  #failWith(error: WebSocketError): void {
    if (this.#failed || this.#closed) return;
    this.#handler.onError?.(error);
    this.fail(error.closeCode ?? CloseCode.PROTOCOL_ERROR, error.message);
  }

  #assertOpen(operation: string): void {
    if (this.#closed) {
      throw invalidState(`${operation}: the connection is closed`);
    }
    // §5.5.1: "after sending a Close frame, the endpoint MUST NOT send any more data frames."
    if (this.#closeSent) {
      throw invalidState(`${operation}: a close frame was already sent`);
    }
  }

  #assertCanSendMessage(operation: string): void {
    this.#assertOpen(operation);
    if (this.#sendingFragmented) {
      throw invalidState(
        `${operation}: a fragmented message is in progress; finish it with sendFragment(data, { fin: true })`,
      );
    }
  }

  #queueClose(code: number | undefined, reason: string): void {
    this.#sentCloseCode = code;
    this.#closeSent = true;
    this.#queueFrame(Opcode.CLOSE, encodeClosePayload(code, reason), true, false);
  }

  #queueFrame(opcode: number, payload: Uint8Array, fin: boolean, rsv1: boolean): void {
    this.#pushChunks(encodeFrame(opcode, payload, fin, rsv1, this.#nextMask()));
  }

  #outputQueue(): Array<Uint8Array | OutputSlot> {
    if (this.#output === undefined) this.#output = [];
    return this.#output;
  }

  #pushChunks(chunks: Uint8Array[]): void {
    const output = this.#outputQueue();
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i] as Uint8Array;
      output.push(chunk);
      this.#outputBytes += chunk.length;
    }
  }

  #nextMask(): Uint8Array | undefined {
    return this.#masks?.next();
  }
}

/** The place of a message being compressed by the adapter; opaque to callers. */
export interface ReservedMessage {
  readonly isBinary: boolean;
}

interface OutputSlot extends ReservedMessage {
  chunks: Uint8Array[] | undefined;
}

function isSlot(item: Uint8Array | OutputSlot): item is OutputSlot {
  return !(item instanceof Uint8Array);
}

/** A message framed once, unmasked, to be queued on many server connections. */
export class PreparedMessage {
  readonly chunks: Uint8Array[];
  readonly byteLength: number;
  readonly isBinary: boolean;

  /** @internal Use `prepareServerMessage`. */
  constructor(chunks: Uint8Array[], isBinary: boolean) {
    this.chunks = chunks;
    this.isBinary = isBinary;
    let total = 0;
    for (const chunk of chunks) total += chunk.length;
    this.byteLength = total;
  }
}

/** Frames a message once (a string as text, bytes as binary) for `Connection.sendPrepared`. */
export function prepareServerMessage(data: string | Uint8Array): PreparedMessage {
  if (typeof data === 'string') {
    return new PreparedMessage(encodeTextFrame(Opcode.TEXT, data, true, undefined), false);
  }
  if (data instanceof Uint8Array) {
    return new PreparedMessage(encodeFrame(Opcode.BINARY, data, true, false, undefined), true);
  }
  throw invalidArgument('prepareServerMessage expects a string or a Uint8Array');
}

function invalidUtf8Error(): WebSocketError {
  return protocolError(
    'WS_ERR_INVALID_UTF8',
    'invalid UTF-8 in a text message',
    CloseCode.INVALID_PAYLOAD,
  );
}

function controlPayload(operation: string, data: Uint8Array | string): Uint8Array {
  let bytes: Uint8Array;
  if (typeof data === 'string') bytes = utf8Encoder.encode(data);
  else if (data instanceof Uint8Array) bytes = data;
  else throw invalidArgument(`${operation} expects a Uint8Array or a string`);
  // §5.5: control frame payloads are at most 125 bytes.
  if (bytes.length > MAX_CONTROL_PAYLOAD) {
    throw invalidArgument(`${operation}: payload is ${bytes.length} bytes; the limit is 125`);
  }
  return bytes;
}

/** Close reasons from error messages are cut to fit 123 bytes without splitting a character. */
function truncateReason(reason: string): string {
  if (utf8Encoder.encode(reason).length <= 123) return reason;
  let cut = reason.slice(0, 123);
  while (utf8Encoder.encode(cut).length > 123) cut = cut.slice(0, -1);
  // Avoid ending on a lone high surrogate.
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return cut;
}

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(`${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}
