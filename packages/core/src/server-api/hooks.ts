import type { Message } from './message.js';

/**
 * The shared server API: one handler module, written against these types, runs unchanged on
 * @wskit/node, and on Bun and Deno through @wskit/deno-bun. Shaped after crossws and Hono:
 * hooks plus a peer.
 */

/** What a server knows about an upgrade request before accepting it. */
export interface UpgradeRequest {
  /** The full request URL, e.g. `ws://example.com/chat?room=1` (scheme from the transport). */
  readonly url: string;
  readonly method: string;
  /** Request headers (a WHATWG `Headers`: case-insensitive, available in every runtime). */
  readonly headers: Headers;
  /** The subprotocols the client offered, in its order of preference. */
  readonly protocols: readonly string[];
  /** The `Origin` header, if any (browsers always send it). */
  readonly origin: string | undefined;
  /** The client's address, where the runtime tells it. */
  readonly remoteAddress: string | undefined;
}

/**
 * Headers for a response: a WHATWG `Headers`, a record or `[name, value]` pairs. Our own type
 * rather than the DOM's `HeadersInit`, so the declarations need no DOM lib.
 */
export type HeadersLike =
  | Headers
  | Readonly<Record<string, string>>
  | ReadonlyArray<readonly [name: string, value: string]>;

/** Accepts the upgrade: optional per-peer data, a chosen subprotocol and extra headers. */
export interface UpgradeAccept<Data> {
  /** Typed per-peer state, available as `peer.data` (a user id from a cookie, say). */
  readonly data?: Data;
  /** One of `request.protocols`. Default: no subprotocol is selected. */
  readonly protocol?: string;
  /** Extra headers for the 101 response (e.g. Set-Cookie). */
  readonly headers?: HeadersLike;
}

/** Rejects the upgrade with an HTTP response (401, 403, 429...). */
export interface UpgradeReject {
  readonly status: number;
  readonly statusText?: string;
  readonly headers?: HeadersLike;
  readonly body?: string;
}

/**
 * What `upgrade` returns: nothing (accept with defaults), an accept object, a reject object
 * (`{ status }`), or a WHATWG `Response` to send as the rejection.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: lets a hook with no return statement (`async upgrade() {}`) type-check.
export type UpgradeResult<Data> = UpgradeAccept<Data> | UpgradeReject | Response | undefined | void;

/** Where a peer is in its life, with the WHATWG WebSocket numbering. */
export const PeerState = {
  CONNECTING: 0,
  OPEN: 1,
  CLOSING: 2,
  CLOSED: 3,
} as const;
/** One of the ready-state numbers in `PeerState`. */
export type PeerStateValue = (typeof PeerState)[keyof typeof PeerState];

/** What `send` accepts: a string is sent as text, bytes as a binary message. */
export type SendData = string | ArrayBuffer | ArrayBufferView;

/** Per-message send options. */
export interface SendOptions {
  /** Compress this message if permessage-deflate was negotiated. Default: by size threshold. */
  readonly compress?: boolean;
}

/** One connected client, as the hooks see it. */
export interface Peer<Data = unknown> {
  /** Unique per server, stable for the life of the connection. */
  readonly id: string;
  /** The state returned by the upgrade hook. */
  readonly data: Data;
  readonly request: UpgradeRequest;
  /** The selected subprotocol, or ''. */
  readonly protocol: string;
  /** The negotiated extensions header value, or ''. */
  readonly extensions: string;
  readonly readyState: PeerStateValue;
  /** Bytes accepted by `send` and not yet handed to the network. */
  readonly bufferedAmount: number;
  /** Sends a message: a string as text, bytes as binary. Throws if the peer is not open. */
  send(data: SendData, options?: SendOptions): void;
  /** Sends a ping (RFC 6455 §5.5.2) carrying `data` (at most 125 bytes). */
  ping(data?: SendData): void;
  /** Starts the closing handshake (RFC 6455 §7.1.2). */
  close(code?: number, reason?: string): void;
  /** Ends the connection at once, without a closing handshake. */
  terminate(): void;
  /** Adds this peer to `topic`'s subscribers (for `publish`). */
  subscribe(topic: string): void;
  /** Removes this peer from `topic`'s subscribers. */
  unsubscribe(topic: string): void;
  readonly topics: ReadonlySet<string>;
  /** Sends to every subscriber of `topic` except this peer. */
  publish(topic: string, data: SendData, options?: SendOptions): void;
}

/** How a connection ended, as `close` hooks receive it. */
export interface CloseDetails {
  /** The peer's close code; 1005 if its close frame had none; 1006 if the transport dropped. */
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

/** The hooks a server calls. Every hook is optional; hooks may be async. */
export interface Hooks<Data = unknown> {
  /** Before the handshake completes: authenticate, route, pick a subprotocol, or reject. */
  upgrade?(request: UpgradeRequest): UpgradeResult<Data> | Promise<UpgradeResult<Data>>;
  /** The handshake completed: `peer` is open and can send. */
  open?(peer: Peer<Data>): void | Promise<void>;
  /** A complete message arrived from `peer`. */
  message?(peer: Peer<Data>, message: Message): void | Promise<void>;
  /** The connection ended (closing handshake done, or transport dropped). */
  close?(peer: Peer<Data>, details: CloseDetails): void | Promise<void>;
  /** A protocol error from the peer, or an exception thrown by another hook. */
  error?(peer: Peer<Data>, error: Error): void;
  /** The peer's send buffer has drained below the low-water mark after backpressure. */
  drain?(peer: Peer<Data>): void;
}

/** Identity helper that types a hooks object: `export default defineHooks<{ user: string }>({...})`. */
export function defineHooks<Data = unknown>(hooks: Hooks<Data>): Hooks<Data> {
  return hooks;
}

/** True when an upgrade result rejects the request. */
export function isUpgradeReject(result: unknown): result is UpgradeReject | Response {
  if (result === undefined || result === null || typeof result !== 'object') return false;
  if (typeof Response !== 'undefined' && result instanceof Response) return true;
  return typeof (result as { status?: unknown }).status === 'number';
}
