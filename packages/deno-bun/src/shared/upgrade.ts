import {
  createRejectResponse,
  parseSubprotocols,
  type UpgradeRequest,
  WebSocketError,
} from '@wskit/core';
import {
  decideUpgrade,
  decideUpgradeNow,
  type HookDispatcher,
  NO_PROTOCOLS,
  packHeaderLines,
  rejectionAsResponse,
  UPGRADE_REQUIRED,
  type UpgradeDecision,
  type UpgradePolicy,
  unpackHeaderLines,
} from '@wskit/server';
import type { ResolvedOptions } from './options.js';

/**
 * The shared API's view of an upgrade request, copied out of the WHATWG `Request` up front:
 * Deno invalidates the request once it is upgraded (reading its `headers`, or a reference to
 * them taken before, throws "Request closed"), and a peer outlives its request on every
 * runtime. The header lines are kept in one string and the `Headers` object is built on first
 * use, as @wskit/node does: a copied `Headers` cost Deno 2.5 KiB of heap per idle connection.
 */
export class SnapshotUpgradeRequest implements UpgradeRequest {
  readonly url: string;
  readonly method: string;
  readonly protocols: readonly string[];
  readonly origin: string | undefined;
  readonly remoteAddress: string | undefined;
  #headerLines: string | undefined;
  #headers: Headers | undefined;

  constructor(request: Request, remoteAddress: string | undefined) {
    // The shared API reports the WebSocket URL (ws:, wss:), as @wskit/node does; the
    // runtimes hand us the HTTP one.
    this.url = request.url.replace(/^http/, 'ws');
    this.method = request.method;
    const headers = request.headers;
    const lines: string[] = [];
    headers.forEach((value, name) => {
      lines.push(name, value);
    });
    this.#headerLines = packHeaderLines(lines);
    // RFC 6455 §4.1: a list of unique tokens; anything else throws a 400, as on Node.
    const offered = headers.get('sec-websocket-protocol');
    this.protocols = offered === null ? NO_PROTOCOLS : parseSubprotocols(offered);
    this.origin = headers.get('origin') ?? undefined;
    this.remoteAddress = remoteAddress;
  }

  /** The request's headers (names in lower case, as WHATWG `Headers` has them). */
  get headers(): Headers {
    if (this.#headers === undefined) {
      this.#headers = unpackHeaderLines(this.#headerLines ?? '');
      this.#headerLines = undefined;
    }
    return this.#headers;
  }
}

const WEBSOCKET = 'websocket';

/** True for a request that asks for a WebSocket (RFC 6455 §4.2.1: GET with Upgrade). */
export function isWebSocketRequest(request: Request): boolean {
  if (request.method !== 'GET') return false;
  const upgrade = request.headers.get('upgrade');
  if (upgrade === null) return false;
  // Every handshake passes here (twice through serve()): the usual lone token is compared
  // without a split, which showed in profiles of handshakes on Bun.
  if (upgrade.length === WEBSOCKET.length) return upgrade.toLowerCase() === WEBSOCKET;
  // RFC 7230 §6.7: a comma-separated list of protocols (Headers already trimmed the value).
  return upgrade.split(',').some((token) => token.trim().toLowerCase() === WEBSOCKET);
}

export type RequestDecision<Data> =
  | { readonly accepted: false; readonly response: Response }
  | {
      readonly accepted: true;
      readonly request: SnapshotUpgradeRequest;
      readonly data: Data;
      /** The selected subprotocol, or '' for none. */
      readonly protocol: string;
      readonly headers: Headers | undefined;
    };

/** What the adapters decide upgrades with: the Origin policy, `selectProtocol`, the hooks. */
export function upgradePolicy<Data>(
  options: ResolvedOptions<Data>,
  dispatcher: HookDispatcher<Data>,
): UpgradePolicy<Data> {
  return {
    allowedOrigins: options.allowedOrigins,
    selectProtocol: options.selectProtocol,
    dispatcher,
  };
}

/**
 * The shared upgrade decision (@wskit/server) for a WHATWG `Request` that asks for a WebSocket (`isWebSocketRequest`): the runtime validates
 * the handshake itself (key, version) when it upgrades; everything else is decided once, in
 * the shared layer, and a refusal comes back as a Response.
 *
 * Without an upgrade hook the decision is returned as it is, not in a promise: a fetch
 * handler that answers at once is cheaper on both runtimes (on Deno an `async` handler alone
 * cost about 40 µs per handshake). With a hook it is a promise, as the hook may be async.
 */
export function decideWebSocketUpgrade<Data>(
  request: Request,
  remoteAddress: string | undefined,
  policy: UpgradePolicy<Data>,
  accepting: () => boolean,
): RequestDecision<Data> | Promise<RequestDecision<Data>> {
  let snapshot: SnapshotUpgradeRequest;
  try {
    snapshot = new SnapshotUpgradeRequest(request, remoteAddress);
  } catch (error) {
    // A malformed header the handshake checks (the subprotocol offer): its 400, with why.
    if (!(error instanceof WebSocketError)) throw error;
    return { accepted: false, response: rejectionAsResponse(createRejectResponse(error)) };
  }
  const now = decideUpgradeNow(snapshot, policy, accepting);
  if (now !== undefined) return requestDecision(snapshot, now);
  return decideUpgrade(snapshot, policy, accepting).then((decision) =>
    requestDecision(snapshot, decision),
  );
}

function requestDecision<Data>(
  snapshot: SnapshotUpgradeRequest,
  decision: UpgradeDecision<Data>,
): RequestDecision<Data> {
  if (!decision.accepted) {
    return { accepted: false, response: rejectionAsResponse(decision.response) };
  }
  return {
    accepted: true,
    request: snapshot,
    data: decision.data,
    protocol: decision.protocol,
    headers: decision.headers === undefined ? undefined : new Headers(decision.headers),
  };
}

/** A plain HTTP request to a WebSocket-only endpoint gets a clear answer. */
export function upgradeRequired(): Response {
  return new Response(UPGRADE_REQUIRED.body, {
    status: UPGRADE_REQUIRED.status,
    headers: UPGRADE_REQUIRED.headers as Array<[string, string]>,
  });
}
