import { connect, type Socket } from 'node:net';

/**
 * A small RESP2 client: enough for the Redis Streams store (commands in, replies in order).
 * One socket, pipelined; replies are matched to commands by order, as Redis guarantees.
 *
 * Reconnection: a lost connection is re-opened by the client itself with exponential backoff
 * (100 ms doubling to 5 s, with jitter); AUTH/SELECT are re-sent and a subscriber re-issues its
 * SUBSCRIBE. Commands are not queued across an outage: one in flight when the connection drops,
 * or issued while it is down, is rejected at once with a clear "Redis unavailable" error (a
 * notify then answers 500 and the publisher retries; nothing is accepted that is not stored).
 * In-flight commands are bounded by MAX_PENDING. Socket errors never become unhandled 'error'
 * events; losses and recoveries are reported through `onError` / `onReconnect`.
 */
export type RespValue = string | number | null | RespValue[] | RespError;

export class RespError extends Error {}

interface Pending {
  resolve(value: RespValue): void;
  reject(error: Error): void;
}

export const MAX_PENDING = 10_000;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;

export class RespClient {
  readonly #url: URL;
  #socket: Socket | undefined;
  #ready = false;
  readonly #pending: Pending[] = [];
  #buffer: Buffer = Buffer.alloc(0);
  #closed = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Set once the connection is in subscriber mode: receives pub/sub `message` pushes. */
  #onMessage: ((channel: string, payload: string) => void) | undefined;
  readonly #channels = new Set<string>();
  onError: ((error: Error) => void) | undefined = (error) =>
    console.error(`push: redis: ${error.message}`);
  onReconnect: (() => void) | undefined = () =>
    console.error('push: redis: connection re-established');

  private constructor(url: URL) {
    this.#url = url;
  }

  /** Connects to `redis://host:port[/db]`; the first connection must succeed. */
  static async connect(url: string): Promise<RespClient> {
    const client = new RespClient(new URL(url));
    await client.#open();
    return client;
  }

  get connected(): boolean {
    return this.#ready;
  }

  command(args: ReadonlyArray<string | number>): Promise<RespValue> {
    if (this.#closed) return Promise.reject(new Error('redis connection closed'));
    if (!this.#ready) {
      return Promise.reject(
        new Error(`Redis unavailable (reconnecting): ${String(args[0])} not sent`),
      );
    }
    return this.#send(args);
  }

  /**
   * Puts this connection in subscriber mode (it can then run no other command) and calls
   * `onMessage` for every message published to `channel`. Re-subscribed after a reconnect.
   */
  async subscribe(channel: string, onMessage: (channel: string, payload: string) => void) {
    this.#onMessage = onMessage;
    this.#channels.add(channel);
    await this.command(['SUBSCRIBE', channel]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    const socket = this.#socket;
    const wasReady = this.#ready;
    this.#ready = false;
    if (socket === undefined || socket.destroyed) return;
    const closed = new Promise((resolve) => socket.once('close', resolve));
    if (wasReady) this.#send(['QUIT']).catch(() => undefined);
    socket.end();
    await closed;
  }

  #send(args: ReadonlyArray<string | number>): Promise<RespValue> {
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed) {
      return Promise.reject(new Error('Redis unavailable (no connection)'));
    }
    if (this.#pending.length >= MAX_PENDING) {
      return Promise.reject(new Error(`Redis: more than ${MAX_PENDING} commands in flight`));
    }
    let out = `*${args.length}\r\n`;
    for (const arg of args) {
      const text = String(arg);
      out += `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
    }
    return new Promise<RespValue>((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      socket.write(out);
    });
  }

  /** One attempt: socket, AUTH, SELECT, re-subscribe; rejects if any step fails. */
  async #open(): Promise<void> {
    const url = this.#url;
    const socket = connect({ host: url.hostname || '127.0.0.1', port: Number(url.port || 6379) });
    this.#socket = socket;
    this.#buffer = Buffer.alloc(0);
    let lastError: Error | undefined;
    socket.on('data', (chunk: Buffer) => {
      if (this.#socket !== socket) return;
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#drain();
    });
    socket.on('error', (error) => {
      lastError = error;
    });
    socket.on('close', () => {
      if (this.#socket === socket) this.#lost(lastError ?? new Error('redis connection closed'));
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('close', () => reject(lastError ?? new Error('redis connection closed')));
    });
    try {
      if (url.password) {
        await this.#send(
          url.username
            ? ['AUTH', decodeURIComponent(url.username), decodeURIComponent(url.password)]
            : ['AUTH', decodeURIComponent(url.password)],
        );
      }
      const db = url.pathname.slice(1);
      if (db !== '') await this.#send(['SELECT', db]);
      for (const channel of this.#channels) await this.#send(['SUBSCRIBE', channel]);
    } catch (error) {
      socket.destroy();
      throw error;
    }
    if (this.#closed) {
      socket.destroy();
      throw new Error('redis connection closed');
    }
    this.#ready = true;
    this.#attempt = 0;
  }

  #lost(error: Error): void {
    const wasReady = this.#ready;
    this.#ready = false;
    this.#socket = undefined;
    const lost = new Error(`Redis unavailable (connection lost: ${error.message})`);
    for (const pending of this.#pending.splice(0)) pending.reject(lost);
    if (this.#closed || !wasReady) return;
    this.onError?.(lost);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#timer !== undefined) return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.#attempt);
    this.#attempt += 1;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        if (this.#closed) return;
        this.#open().then(
          () => this.onReconnect?.(),
          () => {
            this.#socket?.destroy();
            this.#socket = undefined;
            this.#scheduleReconnect();
          },
        );
      },
      base / 2 + Math.random() * (base / 2),
    );
    this.#timer.unref?.();
  }

  #drain(): void {
    for (;;) {
      let result: { value: RespValue; end: number } | undefined;
      try {
        result = parseReply(this.#buffer, 0);
      } catch (error) {
        // A corrupt stream: drop the connection; the reconnect starts clean.
        this.#socket?.destroy(error as Error);
        return;
      }
      if (result === undefined) return;
      this.#buffer = this.#buffer.subarray(result.end);
      const value = result.value;
      if (this.#onMessage && Array.isArray(value) && value[0] === 'message') {
        this.#onMessage(String(value[1]), String(value[2]));
        continue;
      }
      if (this.#pending.length === 0) continue;
      const pending = this.#pending.shift() as Pending;
      if (result.value instanceof RespError) pending.reject(result.value);
      else pending.resolve(result.value);
    }
  }
}

/** Parses one reply at `offset`; undefined if the buffer does not hold all of it yet. */
function parseReply(buffer: Buffer, offset: number): { value: RespValue; end: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd === -1) return undefined;
  const kind = String.fromCharCode(buffer[offset] as number);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (kind) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new RespError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let position = next;
      for (let index = 0; index < count; index++) {
        const item = parseReply(buffer, position);
        if (item === undefined) return undefined;
        items.push(item.value);
        position = item.end;
      }
      return { value: items, end: position };
    }
    default:
      throw new Error(`unexpected RESP reply type ${JSON.stringify(kind)}`);
  }
}
