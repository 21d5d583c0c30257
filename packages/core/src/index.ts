/**
 * @wskit/core: the WebSocket protocol (RFC 6455, RFC 7692) as a sans-I/O state machine.
 * Bytes in, callbacks and bytes out; no sockets, timers or runtime-specific APIs.
 */

export {
  type CloseInfo,
  Connection,
  type ConnectionHandler,
  type ConnectionLimits,
  type ConnectionOptions,
  type ConnectionState,
  DEFAULT_MAX_MESSAGE_SIZE,
  PreparedMessage,
  prepareServerMessage,
  type ReservedMessage,
} from './connection.js';
export {
  CloseCode,
  WebSocketError,
  type WebSocketErrorCode,
} from './errors.js';
export {
  appendDeflateTrailer,
  DEFLATE_TRAILER,
  type DeflateParams,
  decompressedMessageTooBig,
  decompressionFailed,
  endsWithDeflateTrailer,
  type InflateParams,
  type PerMessageCodec,
  type PerMessageCodecConfig,
  type PerMessageCodecFactory,
  stripDeflateTrailer,
} from './extensions/codec.js';
export type { ExtensionElement } from './extensions/extension.js';
export {
  acceptDeflateResponse,
  createDeflateOffer,
  DEFAULT_DEFLATE_THRESHOLD,
  DEFAULT_SERVER_WINDOW_BITS,
  type NegotiatedDeflate,
  negotiateDeflate,
  PERMESSAGE_DEFLATE,
  type PerMessageDeflateOptions,
  validateDeflateOptions,
} from './extensions/permessage-deflate.js';
export {
  type ClosePayload,
  encodeClosePayload,
  isValidWireCloseCode,
  MAX_CLOSE_REASON_BYTES,
  parseClosePayload,
} from './frames/close-payload.js';
export { encodeFrame, encodeTextFrame, headerSize, writeHeader } from './frames/frame-encoder.js';
export { FrameParser, type FrameParserOptions, type FrameSink } from './frames/frame-parser.js';
export { applyMask } from './frames/mask.js';
export { isControlOpcode, Opcode, type OpcodeValue } from './frames/opcodes.js';
export * from './handshake/index.js';
export { defaultRandomBytes, type RandomBytes } from './random.js';
export * from './server-api/index.js';
export { decodeUtf8, encodeUtf8 } from './text/utf8.js';
export { isValidUtf8, Utf8Validator } from './text/utf8-validator.js';
