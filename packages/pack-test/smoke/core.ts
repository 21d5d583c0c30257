// Type-checked in a fresh npm project as ESM (.mts) and CommonJS (.cts) under
// `moduleResolution: node16`, and as .ts under `moduleResolution: bundler`.
import { CloseCode, isValidUtf8, WebSocketError, type WebSocketErrorCode } from '@wskit/core';

const code: WebSocketErrorCode = 'WS_ERR_INVALID_UTF8';
export const error: WebSocketError = new WebSocketError(code, 'invalid UTF-8', {
  closeCode: CloseCode.INVALID_PAYLOAD,
});
export const closeCode: number | undefined = error.closeCode;
export const valid: boolean = isValidUtf8(new Uint8Array(0));
