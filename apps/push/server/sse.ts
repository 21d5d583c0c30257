/**
 * Server-Sent Events (HTML Living Standard §9.2, `text/event-stream`): the transport the page
 * falls back to when a proxy refuses the WebSocket upgrade. One stream per topic; every
 * notification carries its per-topic sequence number as the event id, so the browser's
 * automatic reconnect sends it back as `Last-Event-ID` and the server replays what followed,
 * the same way a WebSocket `subscribe {after}` does.
 */
import type { ServerMessage } from '../shared/schema.js';

/** Keeps proxies (nginx's proxy_read_timeout) from cutting an idle stream: a comment line. */
export const SSE_KEEPALIVE_MS = 15_000;

export interface SseStream {
  readonly response: Response;
  /** Writes one server message as an event; notifications get `id: seq`, others `id` if given. */
  write(message: ServerMessage, id?: number): void;
  readonly closed: boolean;
  onClose(handler: () => void): void;
}

/** `Last-Event-ID` (reconnect) wins over `?after=` (first connect); both are sequence numbers. */
export function resumePoint(request: Request, url: URL): number | undefined | 'bad' {
  const raw = request.headers.get('last-event-id') ?? url.searchParams.get('after');
  if (raw === null || raw === '') return undefined;
  return /^\d{1,15}$/.test(raw) ? Number(raw) : 'bad';
}

export function openSseStream(): SseStream {
  const encoder = new TextEncoder();
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let closed = false;
  const closeHandlers: Array<() => void> = [];
  let keepalive: ReturnType<typeof setInterval> | undefined;

  function finish(): void {
    if (closed) return;
    closed = true;
    clearInterval(keepalive);
    for (const handler of closeHandlers.splice(0)) handler();
  }

  function enqueue(text: string): void {
    if (closed || controller === undefined) return;
    try {
      controller.enqueue(encoder.encode(text));
    } catch {
      finish();
    }
  }

  const body = new ReadableStream<Uint8Array>({
    start(streamController) {
      controller = streamController;
      // The browser waits this long before reconnecting (default is up to the browser).
      enqueue('retry: 1000\n\n');
      keepalive = setInterval(() => enqueue(': keepalive\n\n'), SSE_KEEPALIVE_MS);
    },
    cancel() {
      finish();
    },
  });

  return {
    response: new Response(body, {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        // nginx buffers proxied responses by default; an event stream must pass through now.
        'x-accel-buffering': 'no',
      },
    }),
    write(message, id) {
      // `id:` only on events that set the cursor: an event without one leaves the browser's
      // last event id as it was (§9.2.6).
      const eventId = message.type === 'notification' ? message.seq : id;
      const idLine = eventId === undefined ? '' : `id: ${eventId}\n`;
      enqueue(`${idLine}event: ${message.type}\ndata: ${JSON.stringify(message)}\n\n`);
    },
    get closed() {
      return closed;
    },
    onClose(handler) {
      if (closed) handler();
      else closeHandlers.push(handler);
    },
  };
}
