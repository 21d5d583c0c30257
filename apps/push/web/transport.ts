/**
 * How the page receives notifications: a ReconnectingWebSocket, or, when the WebSocket cannot
 * be opened although the server answers HTTP (a proxy that refuses the upgrade), Server-Sent
 * Events: one EventSource per topic on `/api/topics/:topic/events`. Both resume from the last
 * sequence number seen per topic (WebSocket: `subscribe {after}`; SSE: `?after=` on the first
 * connect, `Last-Event-ID` on the browser's own reconnects), so replay works the same way.
 */
import { ReconnectingWebSocket } from '@wskit/browser';
import { encode, parseServerMessage, type ServerMessage } from '../shared/schema.js';

export type TransportKind = 'websocket' | 'sse';
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface TransportEvents {
  message(message: ServerMessage): void;
  state(state: ConnectionState, kind: TransportKind): void;
  /** The last sequence number seen for `topic`, or null if none yet. */
  cursor(topic: string): number | null;
}

export interface TransportOptions {
  wsUrl: string;
  retryMs: number;
  maxRetryMs: number;
  /** Start with SSE (the `?transport=sse` page parameter). */
  forceSse: boolean;
}

export interface Transport {
  readonly kind: TransportKind;
  add(topics: string[]): void;
  remove(topic: string): void;
}

function deliverText(text: unknown, events: TransportEvents): void {
  if (typeof text !== 'string') return;
  const parsed = parseServerMessage(text);
  if (!parsed.ok) {
    console.warn('push: ignored a malformed server message:', parsed.error);
    return;
  }
  events.message(parsed.value);
}

/** True when the server answers plain HTTP: then a WebSocket that never opened was refused. */
async function httpReachable(): Promise<boolean> {
  try {
    return (await fetch('/healthz', { cache: 'no-store' })).ok;
  } catch {
    return false;
  }
}

class SseTransport implements Transport {
  readonly kind = 'sse';
  readonly #streams = new Map<string, EventSource>();
  readonly #retries = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #events: TransportEvents;
  readonly #options: TransportOptions;

  constructor(events: TransportEvents, options: TransportOptions) {
    this.#events = events;
    this.#options = options;
  }

  add(topics: string[]): void {
    for (const topic of topics) if (!this.#streams.has(topic)) this.#open(topic, 0);
  }

  remove(topic: string): void {
    clearTimeout(this.#retries.get(topic));
    this.#retries.delete(topic);
    this.#streams.get(topic)?.close();
    this.#streams.delete(topic);
    this.#report();
  }

  #open(topic: string, failures: number): void {
    const cursor = this.#events.cursor(topic);
    const query = cursor === null ? '' : `?after=${cursor}`;
    const source = new EventSource(`/api/topics/${encodeURIComponent(topic)}/events${query}`);
    this.#streams.set(topic, source);
    for (const type of ['subscribed', 'notification', 'error']) {
      source.addEventListener(type, (event) => {
        // The `error` event type is also the EventSource's own failure signal (no data).
        if (event instanceof MessageEvent) deliverText(event.data, this.#events);
      });
    }
    source.addEventListener('open', () => {
      failures = 0;
      this.#report();
    });
    source.addEventListener('error', () => {
      if (this.#streams.get(topic) !== source) return;
      if (source.readyState === EventSource.CLOSED) {
        // The browser gives up on an HTTP error (a 502 from a proxy while the app restarts):
        // reconnect ourselves, from the cursor, with backoff.
        const delay = Math.min(this.#options.maxRetryMs, this.#options.retryMs * 2 ** failures);
        this.#retries.set(
          topic,
          setTimeout(() => {
            if (this.#streams.get(topic) === source) this.#open(topic, failures + 1);
          }, delay),
        );
      }
      // Otherwise the browser reconnects by itself, sending Last-Event-ID.
      this.#report();
    });
    this.#report();
  }

  #report(): void {
    const sources = [...this.#streams.values()];
    const state: ConnectionState =
      sources.length > 0 && sources.every((source) => source.readyState === EventSource.OPEN)
        ? 'live'
        : navigator.onLine
          ? 'reconnecting'
          : 'offline';
    this.#events.state(state, 'sse');
  }
}

class WebSocketTransport implements Transport {
  readonly kind = 'websocket';
  readonly socket: ReconnectingWebSocket;
  readonly #topics = new Set<string>();
  readonly #events: TransportEvents;
  #stopped = false;

  constructor(events: TransportEvents, options: TransportOptions, onRefused: () => void) {
    this.#events = events;
    const report = (state: ConnectionState) => {
      if (!this.#stopped) events.state(state, 'websocket');
    };
    this.socket = new ReconnectingWebSocket(options.wsUrl, {
      initialDelay: options.retryMs,
      maxDelay: options.maxRetryMs,
    });
    let opened = false;
    let probing = false;
    this.socket.addEventListener('open', () => {
      opened = true;
      report('live');
      if (this.#topics.size > 0) this.socket.send(this.#subscribe([...this.#topics]));
    });
    this.socket.addEventListener('close', (event) => {
      report(event.willReconnect && navigator.onLine ? 'reconnecting' : 'offline');
      // Never opened, yet the server answers HTTP: something between refuses the upgrade.
      if (!opened && !probing) {
        probing = true;
        void httpReachable().then((reachable) => {
          probing = false;
          if (reachable && !opened && !this.#stopped) onRefused();
        });
      }
    });
    this.socket.addEventListener('message', (event) => deliverText(event.data, events));
    addEventListener('offline', () => report('offline'));
  }

  /** Ends the WebSocket for good (the page switched to SSE); its late events are ignored. */
  stop(): void {
    this.#stopped = true;
    this.socket.close();
  }

  #subscribe(topics: string[]): string {
    return encode({
      v: 1,
      type: 'subscribe',
      topics: topics.map((topic) => {
        const after = this.#events.cursor(topic);
        return after === null ? { topic } : { topic, after };
      }),
    });
  }

  add(topics: string[]): void {
    for (const topic of topics) this.#topics.add(topic);
    if (this.socket.readyState === 1) this.socket.send(this.#subscribe(topics));
  }

  remove(topic: string): void {
    this.#topics.delete(topic);
    if (this.socket.readyState === 1) {
      this.socket.send(encode({ v: 1, type: 'unsubscribe', topics: [topic] }));
    }
  }
}

/**
 * Starts with a WebSocket and switches to SSE for good once the WebSocket is refused; the
 * returned object always forwards to the current transport.
 */
export function connect(events: TransportEvents, options: TransportOptions): Transport {
  const topics = new Set<string>();
  let current: Transport;
  const fallBack = () => {
    if (current.kind === 'sse') return;
    if (current instanceof WebSocketTransport) current.stop();
    console.info('push: the WebSocket was refused; using Server-Sent Events');
    current = new SseTransport(events, options);
    current.add([...topics]);
  };
  current = options.forceSse
    ? new SseTransport(events, options)
    : new WebSocketTransport(events, options, fallBack);
  events.state('connecting', current.kind);
  return {
    get kind() {
      return current.kind;
    },
    add(added) {
      for (const topic of added) topics.add(topic);
      current.add(added);
    },
    remove(topic) {
      topics.delete(topic);
      current.remove(topic);
    },
  };
}
