import {
  type HeadersLike,
  isUpgradeReject,
  type UpgradeAccept,
  type UpgradeReject,
  type UpgradeRequest,
} from '@wskit/core';
import { PREFIX } from './errors.js';
import type { ResolvedOptions } from './options.js';

/**
 * The shared API's view of an upgrade request, copied out of the WHATWG `Request` up front:
 * Deno invalidates the request once it is upgraded (reading `url` or `headers` afterwards
 * throws "Request closed"), and a peer outlives its request on every runtime.
 */
export class SnapshotUpgradeRequest implements UpgradeRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly protocols: readonly string[];
  readonly origin: string | undefined;
  readonly remoteAddress: string | undefined;

  constructor(request: Request, remoteAddress: string | undefined) {
    // The shared API reports the WebSocket URL (ws:, wss:), as @wskit/node does; the
    // runtimes hand us the HTTP one.
    this.url = request.url.replace(/^http/, 'ws');
    this.method = request.method;
    this.headers = new Headers(request.headers);
    this.protocols = parseProtocols(this.headers.get('sec-websocket-protocol'));
    this.origin = this.headers.get('origin') ?? undefined;
    this.remoteAddress = remoteAddress;
  }
}

/** RFC 6455 §4.1: `Sec-WebSocket-Protocol` is a comma-separated list of tokens. */
function parseProtocols(value: string | null): string[] {
  if (value === null) return [];
  return value
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}

/** True for a request that asks for a WebSocket (RFC 6455 §4.2.1: GET with Upgrade). */
export function isWebSocketRequest(request: Request): boolean {
  if (request.method !== 'GET') return false;
  const upgrade = request.headers.get('upgrade');
  return (
    upgrade
      ?.toLowerCase()
      .split(/\s*,\s*/)
      .includes('websocket') ?? false
  );
}

export type UpgradeDecision<Data> =
  | { readonly accepted: false; readonly response: Response }
  | {
      readonly accepted: true;
      readonly request: SnapshotUpgradeRequest;
      readonly data: Data;
      /** The selected subprotocol, or '' for none. */
      readonly protocol: string;
      readonly headers: Headers | undefined;
    };

/**
 * Everything about a handshake that does not depend on the runtime: the request check, the
 * Origin policy, the upgrade hook (accept, reject with `{ status }` or a `Response`, or throw)
 * and the subprotocol choice. The runtime file only performs the decision.
 */
export async function decideUpgrade<Data>(
  request: Request,
  remoteAddress: string | undefined,
  options: ResolvedOptions<Data>,
  accepting: () => boolean,
): Promise<UpgradeDecision<Data>> {
  if (!isWebSocketRequest(request)) return reject(upgradeRequired());
  if (!accepting()) return reject(textResponse(503, 'The server is shutting down'));
  const snapshot = new SnapshotUpgradeRequest(request, remoteAddress);
  // RFC 6455 §10.2: the Origin header is how a server refuses pages it does not trust
  // (Cross-Site WebSocket Hijacking).
  if (!originAllowed(options.allowedOrigins, snapshot.origin)) {
    return reject(textResponse(403, 'Origin not allowed'));
  }

  let accept: UpgradeAccept<Data> = {};
  const hook = options.hooks.upgrade;
  if (hook !== undefined) {
    let result: unknown;
    try {
      result = await hook(snapshot);
    } catch (error) {
      // No peer exists yet, so the error hook cannot be called: log it and answer 500
      // without leaking details, as @wskit/node does.
      reportHandshakeError(error);
      return reject(textResponse(500, 'Internal Server Error'));
    }
    if (isUpgradeReject(result)) return reject(toResponse(result));
    if (result !== undefined && result !== null) accept = result as UpgradeAccept<Data>;
  }
  // The hook may have been slow: a peer opened after shutdown began would miss its 1001.
  if (!accepting()) return reject(textResponse(503, 'The server is shutting down'));

  let protocol = accept.protocol ?? options.selectProtocol?.(snapshot.protocols, snapshot) ?? '';
  if (protocol !== '' && !snapshot.protocols.includes(protocol)) {
    // RFC 6455 §4.2.2: the server may only select a subprotocol the client offered.
    reportHandshakeError(
      new Error(
        `the selected subprotocol ${JSON.stringify(protocol)} was not offered by the client`,
      ),
    );
    return reject(textResponse(500, 'Internal Server Error'));
  }
  protocol ||= '';
  return {
    accepted: true,
    request: snapshot,
    data: accept.data as Data,
    protocol,
    headers: accept.headers === undefined ? undefined : toHeaders(accept.headers),
  };
}

function reject(response: Response): UpgradeDecision<never> {
  return { accepted: false, response };
}

function originAllowed(
  policy: ResolvedOptions<unknown>['allowedOrigins'],
  origin: string | undefined,
): boolean {
  if (policy === undefined) return true;
  if (typeof policy === 'function') return policy(origin) === true;
  return origin !== undefined && policy.includes(origin);
}

/** The upgrade hook's rejection as a Response: a Response passes through unchanged. */
function toResponse(result: UpgradeReject | Response): Response {
  if (result instanceof Response) return result;
  const headers = result.headers === undefined ? new Headers() : toHeaders(result.headers);
  if (result.body !== undefined && !headers.has('content-type')) {
    headers.set('content-type', 'text/plain; charset=utf-8');
  }
  return new Response(result.body ?? null, {
    status: result.status,
    statusText: result.statusText,
    headers,
  });
}

export function toHeaders(init: HeadersLike): Headers {
  if (init instanceof Headers) return init;
  return new Headers(init as Record<string, string> | Array<[string, string]>);
}

export function textResponse(
  status: number,
  body: string,
  headers?: Record<string, string>,
): Response {
  return new Response(body, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
  });
}

/** A plain HTTP request to a WebSocket-only endpoint gets a clear answer (RFC 7231 §6.5.15). */
export function upgradeRequired(): Response {
  return textResponse(
    426,
    'This endpoint speaks WebSocket only (RFC 6455): send a GET with Upgrade: websocket.\n',
    { upgrade: 'websocket', 'sec-websocket-version': '13' },
  );
}

export function reportHandshakeError(error: unknown): void {
  console.error(`${PREFIX} upgrade failed:`, error);
}
