/**
 * One error type for everything the protocol core reports.
 *
 * Local misuse (calling `sendText` on a closed connection, a bad argument) is thrown as a
 * `WebSocketError` at the call site. A remote protocol violation is never thrown: the
 * connection turns it into a close frame with `closeCode` and reports the error through the
 * handler's `error` callback. The `code` strings are stable and documented in the README.
 */
export type WebSocketErrorCode =
  // Frames and messages (RFC 6455 §5)
  | 'WS_ERR_INVALID_OPCODE'
  | 'WS_ERR_UNEXPECTED_RSV_1'
  | 'WS_ERR_UNEXPECTED_RSV_2_3'
  | 'WS_ERR_EXPECTED_MASK'
  | 'WS_ERR_UNEXPECTED_MASK'
  | 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'
  | 'WS_ERR_FRAGMENTED_CONTROL_FRAME'
  | 'WS_ERR_UNEXPECTED_CONTINUATION'
  | 'WS_ERR_EXPECTED_CONTINUATION'
  | 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'
  | 'WS_ERR_INVALID_UTF8'
  | 'WS_ERR_INVALID_CLOSE_CODE'
  | 'WS_ERR_INVALID_CLOSE_PAYLOAD'
  | 'WS_ERR_FRAME_TOO_BIG'
  | 'WS_ERR_MESSAGE_TOO_BIG'
  | 'WS_ERR_DECOMPRESSION_FAILED'
  // Handshake (RFC 6455 §4)
  | 'WS_ERR_HANDSHAKE_HEAD_TOO_BIG'
  | 'WS_ERR_INVALID_HTTP'
  | 'WS_ERR_INVALID_METHOD'
  | 'WS_ERR_INVALID_HTTP_VERSION'
  | 'WS_ERR_INVALID_UPGRADE_HEADER'
  | 'WS_ERR_INVALID_CONNECTION_HEADER'
  | 'WS_ERR_INVALID_KEY'
  | 'WS_ERR_UNSUPPORTED_VERSION'
  | 'WS_ERR_INVALID_ACCEPT'
  | 'WS_ERR_UNEXPECTED_STATUS'
  | 'WS_ERR_UNEXPECTED_SUBPROTOCOL'
  | 'WS_ERR_UNEXPECTED_EXTENSION'
  | 'WS_ERR_INVALID_EXTENSION'
  | 'WS_ERR_INVALID_SUBPROTOCOL'
  // Adapters: timers, limits and policies enforced around the protocol
  | 'WS_ERR_HANDSHAKE_TIMEOUT'
  | 'WS_ERR_PONG_TIMEOUT'
  | 'WS_ERR_SEND_BUFFER_FULL'
  | 'WS_ERR_ORIGIN_NOT_ALLOWED'
  | 'WS_ERR_UPGRADE_REJECTED'
  | 'WS_ERR_UPGRADE_FAILED'
  | 'WS_ERR_CONNECTION_FAILED'
  | 'WS_ERR_PROXY_FAILED'
  // Local misuse
  | 'WS_ERR_INVALID_STATE'
  | 'WS_ERR_INVALID_ARGUMENT';

/** Close codes from RFC 6455 §7.4.1 used by the core when it fails a connection. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  /** Never sent on the wire: reported when a close frame carried no status code. */
  NO_STATUS_RECEIVED: 1005,
  /** Never sent on the wire: reported when the transport ended without a close frame. */
  ABNORMAL_CLOSURE: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXTENSION: 1010,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
} as const;

/**
 * Marks every WebSocketError, from any copy of this module: the ESM and CommonJS builds are two
 * modules with two classes, so a plain `instanceof` fails across them. A registered symbol is
 * the same in both.
 */
const BRAND: unique symbol = Symbol.for('wskit.WebSocketError');

/**
 * The error the core throws for misuse and reports for protocol violations: `code` says which,
 * `closeCode` is the close code sent for it.
 */
export class WebSocketError extends Error {
  /**
   * `error instanceof WebSocketError` holds for errors made by either build (ESM or CommonJS)
   * of @wskit/core. Subclasses keep the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== WebSocketError) {
      return Function.prototype[Symbol.hasInstance].call(this, value);
    }
    return typeof value === 'object' && value !== null && BRAND in value;
  }

  /** The brand `Symbol.hasInstance` looks for (on the prototype: not an own property). */
  get [BRAND](): true {
    return true;
  }

  override readonly name = 'WebSocketError';
  /** Stable machine-readable code, e.g. `WS_ERR_INVALID_OPCODE`. */
  readonly code: WebSocketErrorCode;
  /**
   * The close code this error maps to when it ends a connection (1002, 1007, 1009...), or
   * `undefined` for errors that are not about an open connection (handshake, local misuse).
   */
  readonly closeCode: number | undefined;
  /** For handshake errors: the HTTP status a server should answer with. */
  readonly status: number | undefined;

  constructor(
    code: WebSocketErrorCode,
    message: string,
    options: { closeCode?: number; status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.closeCode = options.closeCode;
    this.status = options.status;
  }
}

/** A remote protocol violation that ends the connection with `closeCode`. */
export function protocolError(
  code: WebSocketErrorCode,
  message: string,
  closeCode: number = CloseCode.PROTOCOL_ERROR,
): WebSocketError {
  return new WebSocketError(code, message, { closeCode });
}

/** A handshake failure; `status` is the HTTP status a server answers with (400, 426, ...). */
export function handshakeError(
  code: WebSocketErrorCode,
  message: string,
  status = 400,
): WebSocketError {
  return new WebSocketError(code, message, { status });
}

/** Local misuse of the API: thrown at the call site. */
export function invalidState(message: string): WebSocketError {
  return new WebSocketError('WS_ERR_INVALID_STATE', message);
}

export function invalidArgument(message: string): WebSocketError {
  return new WebSocketError('WS_ERR_INVALID_ARGUMENT', message);
}
