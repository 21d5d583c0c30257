/**
 * RFC 7692 permessage-deflate: parameter negotiation for both sides, on parsed
 * `Sec-WebSocket-Extensions` elements. Parsing and formatting the header itself lives in
 * `src/handshake/`; compressing lives in an injected `PerMessageCodec` (`./codec.ts`).
 *
 * Client: `createDeflateOffer(options)` → send it → `acceptDeflateResponse(element, options)`.
 * Server: `negotiateDeflate(offers, options)` → send `response`, keep `negotiated`.
 */
import { invalidArgument, WebSocketError } from '../errors.js';
import type { DeflateParams, InflateParams } from './codec.js';
import type { ExtensionElement } from './extension.js';

/** The extension token of permessage-deflate in `Sec-WebSocket-Extensions` (RFC 7692 §7). */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** Messages smaller than this many bytes are sent uncompressed unless configured otherwise. */
export const DEFAULT_DEFLATE_THRESHOLD = 1024;

/**
 * The window a server compresses with, and asks clients to compress with, unless configured
 * otherwise: 4 KiB instead of RFC 7692's 32 KiB. Python's `websockets` picked the same default
 * from measurements (docs/topics/compression.rst there): about 1% larger output on typical JSON
 * messages, and each zlib window 8 times smaller, on both ends of every connection.
 */
export const DEFAULT_SERVER_WINDOW_BITS = 12;

/**
 * What a user configures, on either side. The same names mean different things per side
 * because RFC 7692 §7.1 defines the parameters from the offer's point of view.
 */
export interface PerMessageDeflateOptions {
  /**
   * Client: ask the server to reset its window after each message (offer
   * `server_no_context_takeover`; a response without it fails the connection, §7.1.1.1).
   * Server: always reset the server's window, even if the client did not ask (§7.1.1.1 allows
   * it). A server accepts the client's request for it in any case. Default false.
   */
  serverNoContextTakeover?: boolean;
  /**
   * Client: do not use context takeover when compressing (offer `client_no_context_takeover`
   * as a hint, §7.1.1.2). Server: require the client to reset its window after each message,
   * so the server's decompressor needs no window between messages. Default false.
   */
  clientNoContextTakeover?: boolean;
  /**
   * 8..15. Client: ask the server to compress with at most this window (offer
   * `server_max_window_bits=N`; a response without it or with a larger value fails the
   * connection, §7.1.2.1). Server: never compress with a larger window, whatever the offer,
   * and say so in the response. Client default: 15 (no limit, the parameter is not sent);
   * server default: 12 (`DEFAULT_SERVER_WINDOW_BITS`); 15 on a server sends no limit.
   *
   * Unlike `clientMaxWindowBits` there is no `true`: RFC 7692 §7.1.2.1 requires a value both
   * in an offer and in a response.
   */
  serverMaxWindowBits?: number;
  /**
   * Client: `true` (default) offers `client_max_window_bits` without a value, which says the
   * client honours a limit the server picks (§7.1.2.2; Chromium sends the same offer:
   * `permessage-deflate; client_max_window_bits`); 8..15 also promises never to use a larger
   * window; `false` leaves the parameter out, for servers that choke on it.
   * Server: 8..15 limits the window the client may compress with, which bounds the server's
   * decompressor memory. An offer without `client_max_window_bits` cannot be limited (the
   * response MUST NOT include it, §7.1.2.2), so a server configured with a number declines
   * such offers. Absent (the default): limit to 12 (`DEFAULT_SERVER_WINDOW_BITS`) clients that
   * offer `client_max_window_bits`, and accept the others with their 15 bits rather than
   * turning compression off for them (Firefox offers plain `permessage-deflate`), as Python's
   * `websockets` does. `true` and `false` mean no limit.
   */
  clientMaxWindowBits?: number | boolean;
  /**
   * Messages smaller than this many bytes are sent uncompressed (RSV1 clear). Not
   * negotiated: each side decides for itself. Default 1024.
   */
  threshold?: number;
}

/**
 * The agreed parameters, from one side's point of view: each number is resolved to 15 when
 * the parameter was absent (RFC 7692 §7.1.2: absence means a 32,768-byte window).
 */
export interface NegotiatedDeflate {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
  /** Local, not negotiated: the `threshold` option, resolved. */
  readonly threshold: number;
  /**
   * The compressor of `role`: the parameters prefixed with that role's name (RFC 7692
   * §7.1: `server_*` parameters describe what the server compresses, `client_*` what the
   * client compresses).
   */
  deflateParamsFor(role: 'client' | 'server'): DeflateParams;
  /** The decompressor of `role`: it inflates what the peer compressed, so the peer's params. */
  inflateParamsFor(role: 'client' | 'server'): InflateParams;
}

// ---------------------------------------------------------------------------------------------
// Options

const MIN_WINDOW_BITS = 8;
const MAX_WINDOW_BITS = 15;

/**
 * Checks options and throws `WS_ERR_INVALID_ARGUMENT` naming the bad option. Called by every
 * function here; an adapter also calls it when it is configured, so a typo fails at startup
 * rather than at the first handshake.
 */
export function validateDeflateOptions(options: PerMessageDeflateOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('permessage-deflate options must be an object');
  }
  checkBoolean(options.serverNoContextTakeover, 'serverNoContextTakeover');
  checkBoolean(options.clientNoContextTakeover, 'clientNoContextTakeover');
  if (options.serverMaxWindowBits !== undefined) {
    checkWindowBits(options.serverMaxWindowBits, 'serverMaxWindowBits');
  }
  if (
    options.clientMaxWindowBits !== undefined &&
    typeof options.clientMaxWindowBits !== 'boolean'
  ) {
    checkWindowBits(options.clientMaxWindowBits, 'clientMaxWindowBits', ', true or false');
  }
  const threshold = options.threshold;
  if (threshold !== undefined && !(Number.isSafeInteger(threshold) && threshold >= 0)) {
    throw invalidArgument(
      `permessage-deflate option threshold must be a non-negative integer, got ${String(threshold)}`,
    );
  }
}

function checkBoolean(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw invalidArgument(`permessage-deflate option ${name} must be a boolean`);
  }
}

function checkWindowBits(value: unknown, name: string, alternatives = ''): void {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < MIN_WINDOW_BITS ||
    value > MAX_WINDOW_BITS
  ) {
    throw invalidArgument(
      `permessage-deflate option ${name} must be an integer from 8 to 15${alternatives}, got ${String(value)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Parameters on the wire

const SERVER_NO_CONTEXT_TAKEOVER = 'server_no_context_takeover';
const CLIENT_NO_CONTEXT_TAKEOVER = 'client_no_context_takeover';
const SERVER_MAX_WINDOW_BITS = 'server_max_window_bits';
const CLIENT_MAX_WINDOW_BITS = 'client_max_window_bits';

/** The four parameters of one offer or response, after syntax checks. */
interface DeflateParameters {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  /** `true`: present without a value, which only an offer may do (§7.1.2.2). */
  clientMaxWindowBits: number | true | undefined;
}

type ParseResult =
  | { readonly ok: true; readonly parameters: DeflateParameters }
  | { readonly ok: false; readonly reason: string };

/**
 * RFC 7692 §7.1.2.1 and §7.1.2.2: window bits are "a decimal integer value without leading
 * zeroes between 8 to 15, inclusive". A quoted value arrives here already unquoted.
 */
const WINDOW_BITS_VALUE = /^(?:[89]|1[0-5])$/;

/**
 * The syntax checks of RFC 7692 §7 shared by both sides: parameters not defined for use in
 * an offer (or a response), invalid values, and "multiple extension parameters with the same
 * name". Returns a reason rather than throwing: a server declines, a client fails.
 */
function parseParameters(element: ExtensionElement, kind: 'offer' | 'response'): ParseResult {
  const parameters: DeflateParameters = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  const seen = new Set<string>();
  for (const [name, value] of element.params) {
    if (seen.has(name)) {
      return { ok: false, reason: `duplicate parameter ${name}` };
    }
    seen.add(name);
    switch (name) {
      // §7.1.1.1, §7.1.1.2: "This extension parameter has no value."
      case SERVER_NO_CONTEXT_TAKEOVER:
      case CLIENT_NO_CONTEXT_TAKEOVER:
        if (value !== true) {
          return { ok: false, reason: `parameter ${name} must have no value, got "${value}"` };
        }
        if (name === SERVER_NO_CONTEXT_TAKEOVER) parameters.serverNoContextTakeover = true;
        else parameters.clientNoContextTakeover = true;
        break;
      // §7.1.2.1: has a value in an offer and in a response.
      case SERVER_MAX_WINDOW_BITS:
        if (value === true || !WINDOW_BITS_VALUE.test(value)) {
          return { ok: false, reason: invalidWindowBits(name, value) };
        }
        parameters.serverMaxWindowBits = Number(value);
        break;
      // §7.1.2.2: "no value or a decimal integer value" in an offer; a response "has a
      // decimal integer value".
      case CLIENT_MAX_WINDOW_BITS:
        if (value === true && kind === 'offer') {
          parameters.clientMaxWindowBits = true;
        } else if (value === true || !WINDOW_BITS_VALUE.test(value)) {
          return { ok: false, reason: invalidWindowBits(name, value) };
        } else {
          parameters.clientMaxWindowBits = Number(value);
        }
        break;
      default:
        return { ok: false, reason: `unknown parameter ${name}` };
    }
  }
  return { ok: true, parameters };
}

function invalidWindowBits(name: string, value: string | true): string {
  return value === true
    ? `parameter ${name} needs a value from 8 to 15`
    : `parameter ${name} must be from 8 to 15 without leading zeroes, got "${value}"`;
}

/** Builds an element with the parameters in a fixed order; absent numbers are left out. */
function toElement(parameters: DeflateParameters): ExtensionElement {
  const params: [string, string | true][] = [];
  if (parameters.serverNoContextTakeover) params.push([SERVER_NO_CONTEXT_TAKEOVER, true]);
  if (parameters.clientNoContextTakeover) params.push([CLIENT_NO_CONTEXT_TAKEOVER, true]);
  if (parameters.serverMaxWindowBits !== undefined) {
    params.push([SERVER_MAX_WINDOW_BITS, String(parameters.serverMaxWindowBits)]);
  }
  if (parameters.clientMaxWindowBits !== undefined) {
    params.push([
      CLIENT_MAX_WINDOW_BITS,
      parameters.clientMaxWindowBits === true ? true : String(parameters.clientMaxWindowBits),
    ]);
  }
  return { name: PERMESSAGE_DEFLATE, params };
}

// ---------------------------------------------------------------------------------------------
// Client

/**
 * The client's offer (RFC 7692 §5, §7.1). With default options it is
 * `permessage-deflate; client_max_window_bits`, the offer Chromium sends.
 */
export function createDeflateOffer(options: PerMessageDeflateOptions = {}): ExtensionElement {
  validateDeflateOptions(options);
  const clientMaxWindowBits = options.clientMaxWindowBits ?? true;
  return toElement({
    serverNoContextTakeover: options.serverNoContextTakeover === true,
    clientNoContextTakeover: options.clientNoContextTakeover === true,
    serverMaxWindowBits: options.serverMaxWindowBits,
    clientMaxWindowBits: clientMaxWindowBits === false ? undefined : clientMaxWindowBits,
  });
}

/**
 * Checks the server's accepted `permessage-deflate` element against the offer that
 * `createDeflateOffer(options)` made, with the same `options`.
 *
 * RFC 7692 §7: "A client MUST _Fail the WebSocket Connection_ if the peer server accepted an
 * extension negotiation offer for this extension with an extension negotiation response
 * meeting any of the following conditions": a parameter not defined for use in a response,
 * an invalid value, duplicate parameters, or "The client does not support the configuration
 * that the response represents." Each of these throws `WS_ERR_INVALID_EXTENSION`.
 *
 * Rejecting a second `permessage-deflate` element in the response is the handshake's job.
 */
export function acceptDeflateResponse(
  response: ExtensionElement,
  options: PerMessageDeflateOptions = {},
): NegotiatedDeflate {
  validateDeflateOptions(options);
  if (response.name !== PERMESSAGE_DEFLATE) {
    throw invalidArgument(`Expected a ${PERMESSAGE_DEFLATE} element, got ${response.name}`);
  }
  const parsed = parseParameters(response, 'response');
  if (!parsed.ok) throw invalidResponse(parsed.reason);
  const received = parsed.parameters;

  // §7.1.1.1: "A server accepts an extension negotiation offer that includes the
  // 'server_no_context_takeover' extension parameter by including [it] in the corresponding
  // extension negotiation response". The server MAY also add it unasked.
  if (options.serverNoContextTakeover === true && !received.serverNoContextTakeover) {
    throw invalidResponse(`${SERVER_NO_CONTEXT_TAKEOVER} was offered but not accepted`);
  }

  // §7.1.2.1: the server accepts an offer with server_max_window_bits "by including the
  // 'server_max_window_bits' extension parameter in the extension negotiation response ...
  // with the same or smaller value as the offer". Without an offered limit, any valid value
  // is fine (the server MAY include it unasked).
  let serverMaxWindowBits = received.serverMaxWindowBits ?? MAX_WINDOW_BITS;
  if (options.serverMaxWindowBits !== undefined) {
    if (received.serverMaxWindowBits === undefined) {
      throw invalidResponse(`${SERVER_MAX_WINDOW_BITS} was offered but not accepted`);
    }
    if (received.serverMaxWindowBits > options.serverMaxWindowBits) {
      throw invalidResponse(
        `${SERVER_MAX_WINDOW_BITS}=${received.serverMaxWindowBits} is larger than the offered ${options.serverMaxWindowBits}`,
      );
    }
    serverMaxWindowBits = received.serverMaxWindowBits;
  }

  // §7.1.2.2: "If a received extension negotiation offer doesn't have the
  // 'client_max_window_bits' extension parameter, the corresponding extension negotiation
  // response to the offer MUST NOT include the 'client_max_window_bits' extension parameter."
  const offered = options.clientMaxWindowBits ?? true;
  if (offered === false && received.clientMaxWindowBits !== undefined) {
    throw invalidResponse(`${CLIENT_MAX_WINDOW_BITS} was not offered`);
  }
  // With an offered value N, the client promised never to use more than N, whatever the
  // response says (§7.1.2.2), so a larger response value still describes a configuration the
  // client supports: it compresses with min(N, response). `ws` and Python's `websockets`
  // fail the connection instead; the RFC gives no reason to.
  const responded = received.clientMaxWindowBits;
  const ownLimit = typeof offered === 'number' ? offered : MAX_WINDOW_BITS;
  const clientMaxWindowBits =
    typeof responded === 'number' ? Math.min(responded, ownLimit) : ownLimit;

  return new Negotiated(
    received.serverNoContextTakeover,
    // §7.1.1.2: offering client_no_context_takeover is a promise: the client resets its
    // window even if the response leaves the parameter out.
    received.clientNoContextTakeover || options.clientNoContextTakeover === true,
    serverMaxWindowBits,
    clientMaxWindowBits,
    options.threshold ?? DEFAULT_DEFLATE_THRESHOLD,
  );
}

function invalidResponse(reason: string): WebSocketError {
  // No status and no close code: the connection is not open, the client just drops it.
  return new WebSocketError(
    'WS_ERR_INVALID_EXTENSION',
    `Invalid ${PERMESSAGE_DEFLATE} response: ${reason}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Server

/**
 * Picks the first acceptable `permessage-deflate` offer; elements with other names are
 * ignored. Returns `undefined` when none is acceptable: the server then answers without the
 * extension and the handshake goes on uncompressed.
 *
 * RFC 7692 §5: "The order of elements is important as it specifies the client's
 * preference", so offers are tried in order.
 *
 * RFC 7692 §7: "A server MUST decline an extension negotiation offer for this extension if
 * any of the following conditions are met: The negotiation offer contains an extension
 * parameter not defined for use in an offer. The negotiation offer contains an extension
 * parameter with an invalid value. The negotiation offer contains multiple extension
 * parameters with the same name. The server doesn't support the offered configuration."
 * Declining means not accepting that element, so an invalid offer is skipped and a later
 * one may still be accepted; it never fails the handshake with 400.
 */
export function negotiateDeflate(
  offers: readonly ExtensionElement[],
  options: PerMessageDeflateOptions = {},
): { response: ExtensionElement; negotiated: NegotiatedDeflate } | undefined {
  validateDeflateOptions(options);
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const parsed = parseParameters(offer, 'offer');
    if (!parsed.ok) continue;
    const accepted = acceptOffer(parsed.parameters, options);
    if (accepted !== undefined) return accepted;
  }
  return undefined;
}

/** One syntactically valid offer against the server's options; `undefined` declines it. */
function acceptOffer(
  offer: DeflateParameters,
  options: PerMessageDeflateOptions,
): { response: ExtensionElement; negotiated: NegotiatedDeflate } | undefined {
  // §7.1.1.1: the server accepts server_no_context_takeover by echoing it; it is always
  // supported (resetting the window only costs ratio). The server "MAY include" it unasked.
  const serverNoContextTakeover =
    offer.serverNoContextTakeover || options.serverNoContextTakeover === true;

  // §7.1.1.2: if offered, the server "may either ignore the parameter or use the parameter
  // to avoid taking over the LZ77 sliding window unnecessarily"; we use it (echo it), which
  // lets our decompressor drop its window between messages.
  const clientNoContextTakeover =
    offer.clientNoContextTakeover || options.clientNoContextTakeover === true;

  // §7.1.2.1: accept an offered limit "with the same or smaller value"; the server "MAY
  // include" the parameter unasked. A limit of 15 is no limit and is left out.
  const ownServerLimit = options.serverMaxWindowBits ?? DEFAULT_SERVER_WINDOW_BITS;
  let serverMaxWindowBits: number | undefined;
  if (offer.serverMaxWindowBits !== undefined) {
    serverMaxWindowBits = Math.min(offer.serverMaxWindowBits, ownServerLimit);
  } else if (ownServerLimit < MAX_WINDOW_BITS) {
    serverMaxWindowBits = ownServerLimit;
  }

  // §7.1.2.2: the response may carry client_max_window_bits only if the offer did.
  const configuredClientLimit = options.clientMaxWindowBits;
  const ownClientLimit =
    typeof configuredClientLimit === 'number'
      ? configuredClientLimit
      : configuredClientLimit === undefined
        ? DEFAULT_SERVER_WINDOW_BITS
        : undefined;
  let clientMaxWindowBits: number | undefined;
  if (offer.clientMaxWindowBits === undefined) {
    // The client cannot be limited. A server configured with a limit wants its decompressor
    // memory bounded, so this is a configuration it does not support (§7): decline. This is
    // what `ws` does. The default limit is a preference, not a requirement: accept with 15
    // bits, as Python's `websockets` does.
    if (typeof configuredClientLimit === 'number' && configuredClientLimit < MAX_WINDOW_BITS) {
      return undefined;
    }
  } else if (offer.clientMaxWindowBits === true) {
    if (ownClientLimit !== undefined && ownClientLimit < MAX_WINDOW_BITS) {
      clientMaxWindowBits = ownClientLimit;
    }
  } else {
    // The client promised to stay at or below its value; echoing min() states the agreed
    // window explicitly, "a value equal to or smaller than the received value" (§7.1.2.2).
    clientMaxWindowBits = Math.min(offer.clientMaxWindowBits, ownClientLimit ?? MAX_WINDOW_BITS);
  }

  const response = toElement({
    serverNoContextTakeover,
    clientNoContextTakeover,
    serverMaxWindowBits,
    clientMaxWindowBits,
  });
  const negotiated = new Negotiated(
    serverNoContextTakeover,
    clientNoContextTakeover,
    serverMaxWindowBits ?? MAX_WINDOW_BITS,
    clientMaxWindowBits ?? MAX_WINDOW_BITS,
    options.threshold ?? DEFAULT_DEFLATE_THRESHOLD,
  );
  return { response, negotiated };
}

// ---------------------------------------------------------------------------------------------
// Result

class Negotiated implements NegotiatedDeflate {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
  readonly threshold: number;

  constructor(
    serverNoContextTakeover: boolean,
    clientNoContextTakeover: boolean,
    serverMaxWindowBits: number,
    clientMaxWindowBits: number,
    threshold: number,
  ) {
    this.serverNoContextTakeover = serverNoContextTakeover;
    this.clientNoContextTakeover = clientNoContextTakeover;
    this.serverMaxWindowBits = serverMaxWindowBits;
    this.clientMaxWindowBits = clientMaxWindowBits;
    this.threshold = threshold;
  }

  deflateParamsFor(role: 'client' | 'server'): DeflateParams {
    const maxWindowBits = role === 'server' ? this.serverMaxWindowBits : this.clientMaxWindowBits;
    return {
      noContextTakeover:
        role === 'server' ? this.serverNoContextTakeover : this.clientNoContextTakeover,
      maxWindowBits,
      // See DeflateParams.windowBits: zlib compresses with 9 for a negotiated 8, and its
      // output still fits a 256-byte window.
      windowBits: Math.max(maxWindowBits, 9),
    };
  }

  inflateParamsFor(role: 'client' | 'server'): InflateParams {
    const peer = role === 'server' ? 'client' : 'server';
    return {
      noContextTakeover:
        peer === 'server' ? this.serverNoContextTakeover : this.clientNoContextTakeover,
      maxWindowBits: peer === 'server' ? this.serverMaxWindowBits : this.clientMaxWindowBits,
    };
  }
}
