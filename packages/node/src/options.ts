import type { PerMessageDeflateOptions } from '@wskit/core';
import { WebSocketError } from '@wskit/core';

/** Options shared by server peers and client connections. Every limit has a safe default. */
export interface ConnectionOptions {
  /** Largest message accepted, across all its fragments and after decompression. 32 MiB. */
  maxMessageSize?: number;
  /** Largest single frame accepted. Default: `maxMessageSize`. */
  maxFrameSize?: number;
  /**
   * Bytes queued for sending (`bufferedAmount`) past which the connection is closed with 1008
   * and dropped, so one slow reader cannot exhaust memory. 16 MiB. `Infinity` disables.
   */
  maxBufferedAmount?: number;
  /** How long to wait for the peer to finish the closing handshake, in ms. 5,000. */
  closeTimeout?: number;
  /** Ping the peer after this many ms without traffic and drop it if no pong follows. */
  heartbeat?: HeartbeatOptions | false;
  /** Close the connection (1001) after this many ms without any received frame. 0 = off. */
  idleTimeout?: number;
}

export interface HeartbeatOptions {
  /** Ping after this many ms of silence from the peer. Default 30,000. */
  interval?: number;
  /** Drop the peer if nothing arrives this many ms after the ping. Default 10,000. */
  timeout?: number;
}

export interface ResolvedConnectionOptions {
  readonly maxMessageSize: number;
  readonly maxFrameSize: number;
  readonly maxBufferedAmount: number;
  readonly closeTimeout: number;
  readonly heartbeat: { readonly interval: number; readonly timeout: number } | undefined;
  readonly idleTimeout: number;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 32 * 1024 * 1024;
export const DEFAULT_MAX_BUFFERED_AMOUNT = 16 * 1024 * 1024;
export const DEFAULT_CLOSE_TIMEOUT = 5_000;
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;
export const DEFAULT_HEARTBEAT = { interval: 30_000, timeout: 10_000 } as const;

export function optionError(message: string): WebSocketError {
  return new WebSocketError('WS_ERR_INVALID_ARGUMENT', message);
}

export function checkNonNegative(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw optionError(`option ${name} must be a non-negative number, got ${String(value)}`);
  }
  return value;
}

export function resolveConnectionOptions(
  options: ConnectionOptions,
  heartbeatDefault: HeartbeatOptions | false,
): ResolvedConnectionOptions {
  const maxMessageSize = checkNonNegative(
    'maxMessageSize',
    options.maxMessageSize,
    DEFAULT_MAX_MESSAGE_SIZE,
  );
  const heartbeatOption = options.heartbeat === undefined ? heartbeatDefault : options.heartbeat;
  let heartbeat: ResolvedConnectionOptions['heartbeat'];
  if (heartbeatOption !== false) {
    if (heartbeatOption === null || typeof heartbeatOption !== 'object') {
      throw optionError('option heartbeat must be { interval, timeout } or false');
    }
    heartbeat = {
      interval: checkPositive(
        'heartbeat.interval',
        heartbeatOption.interval,
        DEFAULT_HEARTBEAT.interval,
      ),
      timeout: checkPositive(
        'heartbeat.timeout',
        heartbeatOption.timeout,
        DEFAULT_HEARTBEAT.timeout,
      ),
    };
  }
  return {
    maxMessageSize,
    maxFrameSize: checkNonNegative('maxFrameSize', options.maxFrameSize, maxMessageSize),
    maxBufferedAmount: checkNonNegative(
      'maxBufferedAmount',
      options.maxBufferedAmount,
      DEFAULT_MAX_BUFFERED_AMOUNT,
    ),
    closeTimeout: checkNonNegative('closeTimeout', options.closeTimeout, DEFAULT_CLOSE_TIMEOUT),
    heartbeat,
    idleTimeout: checkNonNegative('idleTimeout', options.idleTimeout, 0),
  };
}

function checkPositive(name: string, value: unknown, fallback: number): number {
  const result = checkNonNegative(name, value, fallback);
  if (result === 0) throw optionError(`option ${name} must be greater than 0`);
  return result;
}

/** `perMessageDeflate: true` means the defaults; an object configures it. */
export function resolveDeflateOption<T extends PerMessageDeflateOptions>(
  value: boolean | T | undefined,
  fallback: boolean,
): T | undefined {
  const option = value ?? fallback;
  if (option === false) return undefined;
  if (option === true) return {} as T;
  if (typeof option !== 'object' || option === null) {
    throw optionError('option perMessageDeflate must be a boolean or an options object');
  }
  return option;
}
