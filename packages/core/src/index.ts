/**
 * @wskit/core: the WebSocket protocol (RFC 6455, RFC 7692) as a sans-I/O state machine.
 * Bytes in, callbacks and bytes out; no sockets, timers or runtime-specific APIs.
 */
export {
  CloseCode,
  WebSocketError,
  type WebSocketErrorCode,
} from './errors.js';
export {
  Connection,
  DEFAULT_MAX_MESSAGE_SIZE,
  type CloseInfo,
  type ConnectionHandler,
  type ConnectionLimits,
  type ConnectionOptions,
  type ConnectionState,
} from './connection.js';
export { Opcode, type OpcodeValue, isControlOpcode } from './frames/opcodes.js';
export { applyMask } from './frames/mask.js';
export { encodeFrame, encodeTextFrame, headerSize, writeHeader } from './frames/frame-encoder.js';
export { FrameParser, type FrameParserOptions, type FrameSink } from './frames/frame-parser.js';
export {
  MAX_CLOSE_REASON_BYTES,
  encodeClosePayload,
  isValidWireCloseCode,
  parseClosePayload,
  type ClosePayload,
} from './frames/close-payload.js';
export { Utf8Validator, isValidUtf8 } from './text/utf8-validator.js';
export { decodeUtf8, encodeUtf8 } from './text/utf8.js';
export { type RandomBytes, defaultRandomBytes } from './messages/mask-source.js';
export type { ExtensionElement } from './extensions/extension.js';
