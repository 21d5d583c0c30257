/**
 * Events `ReconnectingWebSocket` dispatches besides 'open' (a plain Event) and 'message' (the
 * runtime's MessageEvent). Own classes rather than the runtime's `CloseEvent`/`ErrorEvent`:
 * Node has neither as a global, and the close event carries one more field.
 *
 * Fields are `declare`d and set in the constructor: no class field definitions in the output,
 * a few bytes less in every bundle.
 */

/** EventInit (declared by the DOM lib, not as a global by @types/node). */
import { EventBase } from './runtime-globals.js';
export interface ReconnectingEventBaseInit {
  bubbles?: boolean;
  cancelable?: boolean;
  composed?: boolean;
}

/** The fields of a `ReconnectingWebSocket` 'close' event, with whether it will reconnect. */
export interface ReconnectingCloseEventInit extends ReconnectingEventBaseInit {
  code?: number;
  reason?: string;
  wasClean?: boolean;
  willReconnect?: boolean;
}

/**
 * 'close': one underlying connection closed (or failed to open). `willReconnect` says whether
 * another attempt follows; when false this is the last event and `readyState` is CLOSED.
 */
export class ReconnectingCloseEvent extends EventBase {
  declare readonly code: number;
  declare readonly reason: string;
  declare readonly wasClean: boolean;
  declare readonly willReconnect: boolean;

  constructor(type: string, init: ReconnectingCloseEventInit = {}) {
    super(type, init);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? '';
    this.wasClean = init.wasClean ?? false;
    this.willReconnect = init.willReconnect ?? false;
  }
}

/** The fields of a `ReconnectingWebSocket` 'error' event. */
export interface ReconnectingErrorEventInit extends ReconnectingEventBaseInit {
  error?: unknown;
  message?: string;
}

/**
 * 'error': the underlying socket reported an error (browsers give no detail; on Node the
 * socket's `error` is passed on when it has one, e.g. an unexpected HTTP status), or a
 * `shouldReconnect` callback threw.
 */
export class ReconnectingErrorEvent extends EventBase {
  declare readonly error: unknown;
  declare readonly message: string;

  constructor(type: string, init: ReconnectingErrorEventInit = {}) {
    super(type, init);
    this.error = init.error;
    this.message = init.message ?? '';
  }
}

/** The fields of a 'reconnecting' event: the attempt number and the delay before it (ms). */
export interface ReconnectingEventInit extends ReconnectingEventBaseInit {
  attempt: number;
  delay: number;
}

/** 'reconnecting': retry number `attempt` (1, 2, ...) starts in `delay` ms. */
export class ReconnectingEvent extends EventBase {
  declare readonly attempt: number;
  declare readonly delay: number;

  constructor(type: string, init: ReconnectingEventInit) {
    super(type, init);
    this.attempt = init.attempt;
    this.delay = init.delay;
  }
}

/** The fields of a 'reconnected' event: which attempt succeeded. */
export interface ReconnectedEventInit extends ReconnectingEventBaseInit {
  attempt: number;
}

/** 'reconnected': fired right after the 'open' of a connection that was not the first. */
export class ReconnectedEvent extends EventBase {
  /** The retry that succeeded (1 for the first retry after a drop). */
  declare readonly attempt: number;

  constructor(type: string, init: ReconnectedEventInit) {
    super(type, init);
    this.attempt = init.attempt;
  }
}
