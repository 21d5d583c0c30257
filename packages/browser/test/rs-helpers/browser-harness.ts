// Bundled for Chromium by reconnecting-chromium.test.ts (esbuild, platform browser): drives
// ReconnectingWebSocket and WebSocketStream over the browser's native WebSocket (the default
// `globalThis.WebSocket`) and records what happens as plain strings the test reads back through
// page.evaluate. Options arrive as JSON, so callbacks are built here from plain settings.
import { ReconnectingWebSocket } from '../../src/reconnecting-websocket.js';
import { WebSocketStream } from '../../src/websocket-stream.js';

export interface HarnessOptions {
  initialDelay?: number;
  maxDelay?: number;
  jitter?: number;
  maxRetries?: number;
  connectTimeout?: number;
  stopCodes?: number[];
  /** Stop when a connection that never opened closes (shouldReconnect). */
  stopIfNeverOpened?: boolean;
  /** Heartbeat with this ping text; the echoed ping counts as the pong. */
  heartbeat?: { interval: number; timeout: number; ping: string };
}

interface Entry {
  socket: ReconnectingWebSocket;
  log: string[];
}

const sockets = new Map<number, Entry>();
let nextId = 0;

function entry(id: number): Entry {
  const found = sockets.get(id);
  if (found === undefined) throw new Error(`no socket ${id}`);
  return found;
}

const harness = {
  open(url: string, options: HarnessOptions = {}): number {
    const { heartbeat, stopIfNeverOpened, ...rest } = options;
    const socket = new ReconnectingWebSocket(url, {
      ...rest,
      ...(heartbeat === undefined
        ? {}
        : {
            heartbeat: {
              interval: heartbeat.interval,
              timeout: heartbeat.timeout,
              message: heartbeat.ping,
              isPong: (event: MessageEvent) => event.data === heartbeat.ping,
            },
          }),
      ...(stopIfNeverOpened ? { shouldReconnect: ({ opened }) => opened } : {}),
    });
    const log: string[] = [];
    socket.addEventListener('open', () => log.push('open'));
    socket.addEventListener('message', (event) => log.push(`message ${String(event.data)}`));
    socket.addEventListener('error', () => log.push('error'));
    socket.addEventListener('close', (event) =>
      log.push(`close ${event.code} ${event.willReconnect ? 'retry' : 'final'}`),
    );
    socket.addEventListener('reconnecting', (event) =>
      log.push(`reconnecting ${event.attempt} ${event.delay}`),
    );
    socket.addEventListener('reconnected', (event) => log.push(`reconnected ${event.attempt}`));
    const id = nextId++;
    sockets.set(id, { socket, log });
    return id;
  },

  send(id: number, data: string): void {
    entry(id).socket.send(data);
  },

  close(id: number, code?: number, reason?: string): void {
    entry(id).socket.close(code, reason);
  },

  /** Closes every socket still running (between tests). */
  closeAll(): void {
    for (const { socket } of sockets.values()) socket.close();
    sockets.clear();
  },

  state(id: number): { log: string[]; readyState: number; queued: number } {
    const { socket, log } = entry(id);
    return { log: [...log], readyState: socket.readyState, queued: socket.queuedMessages };
  },

  /** Resolves with the log once an entry starts with `prefix` (the `count`-th such entry). */
  waitFor(id: number, prefix: string, count = 1, timeout = 5000): Promise<string[]> {
    const { log } = entry(id);
    const deadline = Date.now() + timeout;
    return new Promise((resolve, reject) => {
      const check = () => {
        if (log.filter((line) => line.startsWith(prefix)).length >= count) resolve([...log]);
        else if (Date.now() > deadline) {
          reject(new Error(`timed out waiting for '${prefix}' ×${count}; log: ${log.join(' | ')}`));
        } else setTimeout(check, 10);
      };
      check();
    });
  },

  onLine(): boolean {
    return (globalThis as unknown as { navigator: { onLine: boolean } }).navigator.onLine;
  },

  /** WebSocketStream over the native class: write two messages, read the echoes, close. */
  async streamRoundTrip(url: string): Promise<unknown> {
    const stream = new WebSocketStream(url);
    const { readable, writable } = await stream.opened;
    const writer = writable.getWriter();
    const reader = readable.getReader();
    await writer.write('stream text');
    await writer.write(new Uint8Array([7, 8, 9]));
    const text = (await reader.read()).value;
    const bytes = (await reader.read()).value as Uint8Array;
    stream.close({ closeCode: 4000, reason: 'done' });
    const closed = await stream.closed;
    return { text, bytes: [...bytes], isUint8Array: bytes instanceof Uint8Array, closed };
  },
};

export type Harness = typeof harness;

(globalThis as unknown as { harness: Harness }).harness = harness;
