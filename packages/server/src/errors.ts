import { WebSocketError, type WebSocketErrorCode } from '@wskit/core';

/**
 * Every error the shared layer throws names the adapter package first (`[@wskit/node]`,
 * `[@wskit/deno-bun]`), so a log line says where it came from; after the prefix the message
 * is the same on every runtime, and `code` stays machine-readable.
 */
export function prefixedError(
  prefix: string,
  message: string,
  code: WebSocketErrorCode = 'WS_ERR_INVALID_ARGUMENT',
): WebSocketError {
  return new WebSocketError(code, `${prefix} ${message}`);
}
