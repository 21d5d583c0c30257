/**
 * The push server, written once against the shared hooks (@wskit/core `Hooks` + `Peer`) and
 * the WHATWG fetch API: server/node.ts, server/bun.ts and server/deno.ts only wire
 * `app.hooks` and `app.fetch` into their runtime.
 *
 * Delivery: every peer keeps, per topic, the last sequence number it was sent. A live
 * notification is sent only if it is exactly the next one; anything else (a gap, or a
 * subscription still replaying) is served by a catch-up loop that reads the store until the
 * peer reaches the topic's head. So a peer sees each topic's notifications once, in order, with
 * no gap, whether they arrive live, replayed after a reconnect, or both at once. That per-peer
 * cursor is why fan-out is done here rather than with `peer.subscribe`/`server.publish`.
 * Between processes, a Broker (a topic of an @wskit/redis broker when REDIS_URL is set) carries
 * the notifications; the store, not the broker, is the source of truth.
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
import { type Broker, LocalBroker } from './broker.js';
import { OPENAPI } from './openapi.js';
import { openSseStream, resumePoint, type SseStream } from './sse.js';
import { serveStatic } from './static.js';
import type { NotificationStore } from './store.js';

export interface PushAppOptions {
  store: NotificationStore;
  /** Fan-out between server processes. Default: in-process only (LocalBroker). */
  broker?: Broker;
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

interface Subscription {
  lastSent: number;
  catchingUp: boolean;
}

export interface PeerState {
  subscriptions: Map<string, Subscription>;
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

const REPLAY_BATCH = 200;
/** `GET /api/topics/:topic/notifications`: default and largest page. */
const HISTORY_DEFAULT_LIMIT = 50;
const HISTORY_MAX_LIMIT = 200;
const TOPIC_ROUTE = /^\/api\/topics\/([^/]+)\/(notifications|events)$/;

export function createPushApp(options: PushAppOptions): PushApp {
  const { store, token } = options;
  const broker = options.broker ?? new LocalBroker();
  const path = options.path ?? '/ws';
  const maxMessageBytes = options.maxMessageBytes ?? 16 * 1024;
  const rate = options.messagesPerSecond ?? 20;
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const allowed = new Set(options.allowedOrigins ?? []);
  const subscribers = new Map<string, Set<Target>>();

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

  async function catchUp(peer: Target, topic: string, subscription: Subscription) {
    subscription.catchingUp = true;
    try {
      for (;;) {
        if (peer.data.subscriptions.get(topic) !== subscription || !isOpen(peer)) return;
        const batch = await store.readAfter(topic, subscription.lastSent, REPLAY_BATCH);
        if (batch.length === 0) {
          // Nothing left in the store past our cursor; but an append may have landed during the
          // read (its live delivery was skipped because we were catching up): check the head.
          const head = await store.head(topic);
          if (head <= subscription.lastSent) return;
          // The head moved past the cursor: read again before concluding anything, so an
          // append that landed during the empty read is delivered now, not at the next one.
          const again = await store.readAfter(topic, subscription.lastSent, 1);
          if (again.length > 0) continue;
          // Still nothing past the cursor: retention dropped what the peer missed; jump to
          // what is left.
          const oldest = await store.readAfter(topic, 0, 1);
          if (oldest.length === 0 || (oldest[0] as StoredNotification).seq <= subscription.lastSent)
            return;
          subscription.lastSent = (oldest[0] as StoredNotification).seq - 1;
          continue;
        }
        for (const notification of batch) {
          if (notification.seq <= subscription.lastSent) continue;
          send(peer, { v: 1, type: 'notification', ...notification });
          subscription.lastSent = notification.seq;
        }
      }
    } finally {
      subscription.catchingUp = false;
    }
  }

  function deliver(peer: Target, notification: StoredNotification): void {
    const subscription = peer.data.subscriptions.get(notification.topic);
    if (subscription === undefined || subscription.catchingUp) return;
    if (notification.seq === subscription.lastSent + 1) {
      send(peer, { v: 1, type: 'notification', ...notification });
      subscription.lastSent = notification.seq;
    } else if (notification.seq > subscription.lastSent + 1) {
      void catchUp(peer, notification.topic, subscription).catch((error) =>
        sendError(peer, 'internal', errorText(error)),
      );
    }
  }

  async function subscribe(peer: Target, cursor: TopicCursor): Promise<void> {
    const head = await store.head(cursor.topic);
    // `after` beyond the head (the store was reset) is treated as "from the start".
    const after = cursor.after === undefined ? head : cursor.after > head ? 0 : cursor.after;
    const subscription: Subscription = { lastSent: after, catchingUp: false };
    peer.data.subscriptions.set(cursor.topic, subscription);
    let set = subscribers.get(cursor.topic);
    if (set === undefined) {
      set = new Set();
      subscribers.set(cursor.topic, set);
    }
    set.add(peer);
    const subscribed: ServerMessage = { v: 1, type: 'subscribed', topic: cursor.topic, head };
    // On a stream, the event id is where replay starts: a reconnect before the first replayed
    // notification resumes from there, not from the head (which would skip the replay).
    if ('sse' in peer) peer.sse.write(subscribed, after);
    else send(peer, subscribed);
    await catchUp(peer, cursor.topic, subscription);
  }

  function unsubscribe(peer: Target, topic: string): void {
    peer.data.subscriptions.delete(topic);
    subscribers.get(topic)?.delete(peer);
    if (subscribers.get(topic)?.size === 0) subscribers.delete(topic);
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

  async function notify(input: NotificationInput): Promise<StoredNotification> {
    const notification = await store.append(input);
    // Accepted (durable) from here on: a broker failure must not turn it into an error.
    await broker.publish(notification).catch(() => undefined);
    return notification;
  }

  broker.onNotification((notification) => {
    for (const peer of subscribers.get(notification.topic) ?? []) deliver(peer, notification);
  });

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
      await broker.close();
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
