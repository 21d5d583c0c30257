import {
  createRejectResponse,
  type HeadersLike,
  isUpgradeReject,
  type RejectResponse,
  type RejectResponseOptions,
  type UpgradeAccept,
  type UpgradeReject,
  type UpgradeRequest,
  WebSocketError,
} from '@wskit/core';
import type { HookDispatcher } from './hooks.js';
import type { OriginPolicy, ResolvedServerOptions } from './options.js';

/** What the server does with an upgrade request, decided the same way on every runtime. */
export type UpgradeDecision<Data> =
  | {
      readonly accepted: false;
      /** The HTTP response to send (status 300-599, headers, body). */
      readonly response: RejectResponse;
      /** Why, for adapters that report refusals (Node's 'wsClientError'). */
      readonly reason: WebSocketError;
    }
  | {
      readonly accepted: true;
      readonly data: Data;
      /** The selected subprotocol, or '' for none. */
      readonly protocol: string;
      /** Extra headers for the 101 (or HTTP/2 200) response. */
      readonly headers: Array<[string, string]> | undefined;
    };

/** What `decideUpgrade` needs from a server: its Origin policy, `selectProtocol` and hooks. */
export type UpgradePolicy<Data> = Pick<
  ResolvedServerOptions<Data>,
  'allowedOrigins' | 'selectProtocol'
> & { readonly dispatcher: HookDispatcher<Data> };

/**
 * Everything about accepting a handshake that does not depend on the runtime, after the
 * adapter checked the request itself (RFC 6455 §4.2.1): shutdown, the Origin policy, the
 * upgrade hook (accept, `{ status }`, a returned or thrown `Response`, or a thrown error) and
 * the subprotocol choice. `accepting` is asked twice: the hook may be slow, and a peer opened
 * after shutdown began would miss the close frame the others got.
 */
export async function decideUpgrade<Data>(
  request: UpgradeRequest,
  policy: UpgradePolicy<Data>,
  accepting: () => boolean,
): Promise<UpgradeDecision<Data>> {
  if (!accepting()) return shuttingDown();
  // RFC 6455 §10.2: the Origin header is how a server refuses pages it does not trust.
  if (!originAllowed(policy.allowedOrigins, request.origin)) return originRefused(request);

  let accept: UpgradeAccept<Data> = {};
  const hook = policy.dispatcher.hooks.upgrade;
  if (hook !== undefined) {
    let result: unknown;
    try {
      result = await hook(request);
    } catch (thrown) {
      // crossws style: `throw new Response(...)` (or `{ status }`) refuses with that response.
      if (isUpgradeReject(thrown)) return rejectWith(thrown, policy);
      // A bug in the hook: no peer exists yet, so no error hook; the details stay in the log.
      policy.dispatcher.unhandled('upgrade', thrown);
      return internalError(thrown);
    }
    if (isUpgradeReject(result)) return rejectWith(result, policy);
    if (result !== undefined && result !== null) accept = result as UpgradeAccept<Data>;
  }
  return finishDecision(request, policy, accept, accepting);
}

/**
 * `decideUpgrade` without a promise, for servers without an upgrade hook (the common case):
 * the decision is known at once, so an adapter can answer in the same tick with no promise,
 * timer or closure per handshake. Returns undefined when there is an upgrade hook: use
 * `decideUpgrade` then.
 */
export function decideUpgradeNow<Data>(
  request: UpgradeRequest,
  policy: UpgradePolicy<Data>,
  accepting: () => boolean,
): UpgradeDecision<Data> | undefined {
  if (policy.dispatcher.hooks.upgrade !== undefined) return undefined;
  if (!accepting()) return shuttingDown();
  if (!originAllowed(policy.allowedOrigins, request.origin)) return originRefused(request);
  return finishDecision(request, policy, {}, accepting);
}

/** After the upgrade hook (or without one): shutdown again, then the subprotocol choice. */
function finishDecision<Data>(
  request: UpgradeRequest,
  policy: UpgradePolicy<Data>,
  accept: UpgradeAccept<Data>,
  accepting: () => boolean,
): UpgradeDecision<Data> {
  if (!accepting()) return shuttingDown();

  let protocol: string;
  try {
    protocol = accept.protocol ?? policy.selectProtocol?.(request.protocols, request) ?? '';
  } catch (thrown) {
    policy.dispatcher.unhandled('selectProtocol', thrown);
    return internalError(thrown);
  }
  if (protocol !== '' && !request.protocols.includes(protocol)) {
    // RFC 6455 §4.2.2: the server may only select a subprotocol the client offered.
    const error = new WebSocketError(
      'WS_ERR_INVALID_SUBPROTOCOL',
      `the selected subprotocol ${JSON.stringify(protocol)} was not offered by the client`,
    );
    policy.dispatcher.unhandled('upgrade', error);
    return internalError(error);
  }
  return {
    accepted: true,
    data: accept.data as Data,
    protocol,
    headers: accept.headers === undefined ? undefined : headerPairs(accept.headers),
  };
}

function originAllowed(policy: OriginPolicy | undefined, origin: string | undefined): boolean {
  if (policy === undefined) return true;
  if (typeof policy === 'function') return policy(origin) === true;
  return origin !== undefined && policy.includes(origin);
}

function originRefused(request: UpgradeRequest): UpgradeDecision<never> {
  return refuse(
    { status: 403, body: 'Origin not allowed' },
    new WebSocketError(
      'WS_ERR_ORIGIN_NOT_ALLOWED',
      `origin ${String(request.origin)} is not allowed`,
      {
        status: 403,
      },
    ),
  );
}

function shuttingDown(): UpgradeDecision<never> {
  return refuse(
    { status: 503, body: 'The server is shutting down' },
    new WebSocketError('WS_ERR_INVALID_STATE', 'the server is shutting down', { status: 503 }),
  );
}

/** 500 without details: the message of a server bug is for the log, not for the client. */
function internalError(thrown: unknown): UpgradeDecision<never> {
  const reason =
    thrown instanceof WebSocketError
      ? thrown
      : new WebSocketError('WS_ERR_UPGRADE_FAILED', `the upgrade hook failed: ${String(thrown)}`, {
          status: 500,
        });
  return refuse({ status: 500, body: 'Internal Server Error' }, reason);
}

function refuse(options: RejectResponseOptions, reason: WebSocketError): UpgradeDecision<never> {
  return { accepted: false, response: createRejectResponse(options), reason };
}

/** The hook's rejection, checked: a status outside 300-599 is a bug in the hook (500). */
async function rejectWith<Data>(
  result: UpgradeReject | Response,
  policy: UpgradePolicy<Data>,
): Promise<UpgradeDecision<Data>> {
  try {
    const options = await rejectOptions(result);
    return {
      accepted: false,
      response: createRejectResponse(options),
      reason: new WebSocketError(
        'WS_ERR_UPGRADE_REJECTED',
        `the upgrade hook refused the request with ${options.status}`,
        { status: options.status },
      ),
    };
  } catch (error) {
    policy.dispatcher.unhandled('upgrade', error);
    return internalError(error);
  }
}

/** A `{ status }` object or a WHATWG Response as the core's reject-response options. */
async function rejectOptions(result: UpgradeReject | Response): Promise<RejectResponseOptions> {
  if (typeof Response !== 'undefined' && result instanceof Response) {
    const body = new Uint8Array(await result.arrayBuffer());
    const headers: Array<[string, string]> = [];
    result.headers.forEach((value, name) => {
      // The reject response frames the body and closes the connection itself.
      if (!FRAMING_HEADERS.has(name)) headers.push([name, value]);
    });
    return { status: result.status, statusText: result.statusText || undefined, headers, body };
  }
  const reject = result as UpgradeReject;
  return {
    status: reject.status,
    statusText: reject.statusText,
    headers: reject.headers === undefined ? undefined : headerPairs(reject.headers),
    body: reject.body,
  };
}

const FRAMING_HEADERS = new Set(['content-length', 'connection', 'transfer-encoding']);

/** Headers in any of the shapes the hooks accept, as `[name, value]` pairs. */
export function headerPairs(init: HeadersLike): Array<[string, string]> {
  if (Array.isArray(init)) return init.map(([name, value]) => [String(name), String(value)]);
  if (
    typeof (init as Headers).forEach === 'function' &&
    typeof (init as Headers).get === 'function'
  ) {
    const pairs: Array<[string, string]> = [];
    (init as Headers).forEach((value, name) => {
      pairs.push([name, value]);
    });
    return pairs;
  }
  return Object.entries(init as Record<string, string>).map(([name, value]) => [
    name,
    String(value),
  ]);
}

/**
 * A decided rejection as a WHATWG Response, for runtimes whose HTTP server takes one (Bun,
 * Deno). The framing headers are the runtime's job there.
 */
export function rejectionAsResponse(response: RejectResponse): Response {
  const headers = new Headers();
  for (const [name, value] of response.headers) {
    if (!FRAMING_HEADERS.has(name.toLowerCase())) headers.append(name, value);
  }
  return new Response(response.body as Uint8Array<ArrayBuffer>, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

/**
 * The answer to a plain HTTP request at a WebSocket-only endpoint (RFC 7231 §6.5.15: 426 with
 * the protocol to switch to), the same from every adapter.
 */
export const UPGRADE_REQUIRED = {
  status: 426,
  headers: [
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Upgrade', 'websocket'],
    ['Sec-WebSocket-Version', '13'],
  ] as ReadonlyArray<readonly [string, string]>,
  body: 'This endpoint speaks WebSocket only (RFC 6455): send a GET with Upgrade: websocket.\n',
} as const;
