/**
 * The push server, written once against the shared hooks (@wskit/core `Hooks` + `Peer`) and
 * the WHATWG fetch API: server/node.ts, server/bun.ts and server/deno.ts only wire
 * `app.hooks` and `app.fetch` into their runtime.
 *
 * Delivery: each subscription of a peer (or an event stream) is a subscription of the store
 * (`NotificationStore.subscribe`), which hands over the topic's notifications after the
 * peer's `after` once each, in order: the stored ones, then new ones as they are accepted. With
 * Redis that is a durable topic of @wskit/redis, which also carries them between processes and
 * does the replay-then-live hand-over without a gap or a repeat; with files, one process, it
 * is the file store's in-memory tail. Fan-out is per subscription rather than through
 * `peer.subscribe`/`server.publish` because each peer resumes from its own position.
 */
import { defineHooks, type Hooks, type Peer } from '@wskit/core';
import {
  type ErrorCode,
  encode,
  isTopic,
  type NotificationInput,
  parseClientMessage,
  parseNotificationInput,
  type ServerMessage,
  type StoredNotification,
  TOPIC_PATTERN,
  type TopicCursor,
} from '../shared/schema.js';
import { OPENAPI } from './openapi.js';
import { openSseStream, resumePoint, type SseStream } from './sse.js';
import { serveStatic } from './static.js';
import type { NotificationStore, StoreSubscription } from './store.js';

export interface PushAppOptions {
  /** The notifications, and their delivery: to this process (files) or all of them (Redis). */
  store: NotificationStore;
  /** Bearer token for `POST /api/notify`. */
  token: string;
  /** Origins allowed besides the server's own (`Origin` host equal to `Host`). */
  allowedOrigins?: readonly string[];
  /** Directory with the built page (dist/web); undefined serves no page. */
  webDir?: string | undefined;
  /** Largest WebSocket message accepted from a browser, in bytes. Default 16 KiB. */
  maxMessageBytes?: number;
  /** Sustained messages per second per connection (bursts of twice that). Default 20. */
  messagesPerSecond?: number;
  /** Largest `POST /api/notify` body. Default 64 KiB. */
  maxBodyBytes?: number;
  /** WebSocket endpoint path. Default `/ws`. */
  path?: string;
}

export interface PeerState {
  subscriptions: Map<string, StoreSubscription>;
  tokens: number;
  refilledAt: number;
  violations: number;
}

/** An SSE subscriber (server/sse.ts): one topic per stream, delivered like a peer. */
interface SseTarget {
  readonly sse: SseStream;
  readonly data: PeerState;
}

/** Where a subscriber's messages go: a WebSocket peer or an event stream. */
type Target = Peer<PeerState> | SseTarget;

export interface PushApp {
  readonly hooks: Hooks<PeerState>;
  readonly path: string;
  readonly maxMessageBytes: number;
  fetch(request: Request): Promise<Response>;
  /** Stores a notification and delivers it (what `POST /api/notify` does). */
  notify(input: NotificationInput): Promise<StoredNotification>;
  close(): Promise<void>;
}

/** `GET /api/topics/:topic/notifications`: default and largest page. */
const HISTORY_DEFAULT_LIMIT = 50;
const HISTORY_MAX_LIMIT = 200;
const TOPIC_ROUTE = /^\/api\/topics\/([^/]+)\/(notifications|events)$/;

export function createPushApp(options: PushAppOptions): PushApp {
  const { store, token } = options;
  const path = options.path ?? '/ws';
  const maxMessageBytes = options.maxMessageBytes ?? 16 * 1024;
  const rate = options.messagesPerSecond ?? 20;
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const allowed = new Set(options.allowedOrigins ?? []);

  function isOpen(target: Target): boolean {
    return 'sse' in target ? !target.sse.closed : target.readyState === 1;
  }

  function send(peer: Target, message: ServerMessage): void {
    if (!isOpen(peer)) return;
    if ('sse' in peer) peer.sse.write(message);
    else peer.send(encode(message));
  }

  function sendError(peer: Target, code: ErrorCode, message: string): void {
    send(peer, { v: 1, type: 'error', code, message });
  }

  async function subscribe(peer: Target, cursor: TopicCursor): Promise<void> {
    const head = await store.head(cursor.topic);
    // The peer left, or subscribed to the topic again, while the head was read.
    if (!isOpen(peer)) return;
    // `after` beyond the head (the store was reset) is treated as "from the start".
    const after = cursor.after === undefined ? head : cursor.after > head ? 0 : cursor.after;
    peer.data.subscriptions.get(cursor.topic)?.close();
    const subscribed: ServerMessage = { v: 1, type: 'subscribed', topic: cursor.topic, head };
    // On a stream, the event id is where replay starts: a reconnect before the first replayed
    // notification resumes from there, not from the head (which would skip the replay).
    if ('sse' in peer) peer.sse.write(subscribed, after);
    else send(peer, subscribed);
    peer.data.subscriptions.set(
      cursor.topic,
      store.subscribe(cursor.topic, after, (notification) =>
        send(peer, { v: 1, type: 'notification', ...notification }),
      ),
    );
  }

  function unsubscribe(peer: Target, topic: string): void {
    peer.data.subscriptions.get(topic)?.close();
    peer.data.subscriptions.delete(topic);
  }

  /** Token bucket: `rate` per second, bursts of `2 × rate`. */
  function takeToken(state: PeerState): boolean {
    const now = Date.now();
    state.tokens = Math.min(rate * 2, state.tokens + ((now - state.refilledAt) / 1000) * rate);
    state.refilledAt = now;
    if (state.tokens < 1) return false;
    state.tokens -= 1;
    return true;
  }

  function newPeerState(): PeerState {
    return { subscriptions: new Map(), tokens: rate * 2, refilledAt: Date.now(), violations: 0 };
  }

  function originAllowed(request: { origin: string | undefined; headers: Headers }): boolean {
    const origin = request.origin;
    // Non-browser clients send no Origin; browsers always do.
    if (origin === undefined) return true;
    if (allowed.has(origin)) return true;
    try {
      return new URL(origin).host === request.headers.get('host');
    } catch {
      return false;
    }
  }

  const hooks = defineHooks<PeerState>({
    upgrade(request) {
      if (!originAllowed(request)) return { status: 403, body: 'origin not allowed' };
      return { data: newPeerState() };
    },
    open(peer) {
      send(peer, { v: 1, type: 'welcome', limits: { maxMessageBytes, messagesPerSecond: rate } });
    },
    async message(peer, message) {
      if (!takeToken(peer.data)) {
        peer.data.violations++;
        // A client that keeps flooding after being told is cut off (1008 policy violation).
        if (peer.data.violations > rate * 4) peer.close(1008, 'rate limit');
        else sendError(peer, 'rate_limited', `at most ${rate} messages per second`);
        return;
      }
      if (message.byteLength > maxMessageBytes) {
        sendError(peer, 'too_big', `messages are limited to ${maxMessageBytes} bytes`);
        return;
      }
      if (message.isBinary) {
        sendError(peer, 'bad_message', 'binary messages are not part of the protocol');
        return;
      }
      const parsed = parseClientMessage(message.text());
      if (!parsed.ok) {
        sendError(peer, parsed.code, parsed.error);
        return;
      }
      const request = parsed.value;
      try {
        switch (request.type) {
          case 'ping':
            send(peer, { v: 1, type: 'pong' });
            break;
          case 'subscribe':
            await Promise.all(request.topics.map((cursor) => subscribe(peer, cursor)));
            break;
          case 'unsubscribe':
            for (const topic of request.topics) {
              unsubscribe(peer, topic);
              send(peer, { v: 1, type: 'unsubscribed', topic });
            }
            break;
        }
      } catch (error) {
        sendError(peer, 'internal', errorText(error));
      }
    },
    close(peer) {
      for (const topic of [...peer.data.subscriptions.keys()]) unsubscribe(peer, topic);
    },
    error() {
      // Protocol errors close the connection themselves; nothing to clean up beyond `close`.
    },
  });

  /** Accepted once stored; the store's subscriptions deliver it, here and elsewhere. */
  function notify(input: NotificationInput): Promise<StoredNotification> {
    return store.append(input);
  }

  async function handleNotify(request: Request): Promise<Response> {
    const authorization = request.headers.get('authorization') ?? '';
    if (!timingSafeEqual(authorization, `Bearer ${token}`)) {
      return json(401, { error: 'missing or bad bearer token' }, { 'www-authenticate': 'Bearer' });
    }
    const declared = Number(request.headers.get('content-length') ?? 0);
    if (declared > maxBodyBytes) return json(413, { error: 'body too large' });
    const text = await request.text();
    if (new TextEncoder().encode(text).length > maxBodyBytes) {
      return json(413, { error: 'body too large' });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return json(400, { error: 'body is not valid JSON' });
    }
    const parsed = parseNotificationInput(body);
    if (!parsed.ok) return json(400, { error: parsed.error });
    const notification = await notify(parsed.value);
    return json(202, { id: notification.id, topic: notification.topic, seq: notification.seq });
  }

  /** `GET /api/topics/:topic/notifications?after=SEQ&limit=N`: one page of the topic's log. */
  async function handleHistory(topic: string, url: URL): Promise<Response> {
    const after = url.searchParams.get('after');
    const limitText = url.searchParams.get('limit');
    if (after !== null && !/^\d{1,15}$/.test(after)) {
      return json(400, { error: 'after must be a non-negative integer' });
    }
    if (limitText !== null && !/^\d{1,4}$/.test(limitText)) {
      return json(400, { error: `limit must be an integer from 1 to ${HISTORY_MAX_LIMIT}` });
    }
    const limit = limitText === null ? HISTORY_DEFAULT_LIMIT : Number(limitText);
    if (limit < 1 || limit > HISTORY_MAX_LIMIT) {
      return json(400, { error: `limit must be an integer from 1 to ${HISTORY_MAX_LIMIT}` });
    }
    const head = await store.head(topic);
    // Without `after`: the newest `limit` (what a page shows first); with it: the next page.
    const from = after === null ? Math.max(0, head - limit) : Number(after);
    const notifications = await store.readAfter(topic, from, limit);
    return json(200, { topic, head, notifications });
  }

  /** `GET /api/topics/:topic/events`: the SSE fallback (server/sse.ts). */
  function handleEvents(request: Request, topic: string, url: URL): Response {
    const resume = resumePoint(request, url);
    if (resume === 'bad') {
      return json(400, { error: 'Last-Event-ID / after must be a non-negative integer' });
    }
    const stream = openSseStream();
    const target: SseTarget = { sse: stream, data: newPeerState() };
    stream.onClose(() => unsubscribe(target, topic));
    subscribe(target, resume === undefined ? { topic } : { topic, after: resume }).catch((error) =>
      sendError(target, 'internal', errorText(error)),
    );
    return stream.response;
  }

  async function fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    try {
      const topicRoute = TOPIC_ROUTE.exec(url.pathname);
      if (topicRoute !== null) {
        if (request.method !== 'GET') return json(405, { error: 'use GET' }, { allow: 'GET' });
        // Not URL-decoded: a valid topic name has no character that would need escaping.
        const topic = topicRoute[1] as string;
        if (!isTopic(topic))
          return json(400, { error: `topic must match ${TOPIC_PATTERN.source}` });
        return topicRoute[2] === 'events'
          ? handleEvents(request, topic, url)
          : await handleHistory(topic, url);
      }
      if (url.pathname === '/api' || url.pathname === '/api/openapi.json') {
        return json(200, OPENAPI);
      }
      if (url.pathname === '/api/notify') {
        if (request.method !== 'POST') return json(405, { error: 'use POST' }, { allow: 'POST' });
        return await handleNotify(request);
      }
      if (url.pathname === '/healthz') return json(200, { ok: true });
      if (request.method === 'GET' && options.webDir !== undefined) {
        const response = await serveStatic(options.webDir, url.pathname);
        if (response) return response;
      }
      if (url.pathname === path) return new Response('WebSocket endpoint', { status: 426 });
      return json(404, { error: 'not found' });
    } catch (error) {
      return json(500, { error: errorText(error) });
    }
  }

  return {
    hooks,
    path,
    maxMessageBytes,
    fetch,
    notify,
    async close() {
      await store.close();
    },
  };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++)
    difference |= a.charCodeAt(index) ^ b.charCodeAt(index);
  return difference === 0;
}
