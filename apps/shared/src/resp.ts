/**
 * A tiny Redis client over node:net (RESP2), shared by the chat and push apps: pipelined
 * commands answered in order, and a subscriber mode for pub/sub (SUBSCRIBE and PSUBSCRIBE).
 *
 * Reconnection: when the connection is lost the client reconnects by itself with exponential
 * backoff (100 ms doubling to 5 s, with jitter), re-sends AUTH/SELECT and re-issues every
 * SUBSCRIBE/PSUBSCRIBE it had made. Commands are never queued across an outage: a command in
 * flight when the connection drops, or issued while it is down, is rejected at once with a clear
 * "Redis unavailable" error (the caller reports it; queueing would only replay stale writes
 * later). In-flight commands are bounded (MAX_PENDING); past that a command is rejected.
 * Socket errors never escape as unhandled 'error' events: losses and recoveries are reported
 * through `onError` / `onReconnect`.
 */
import * as net from 'node:net';

/** An error reply from Redis (`-ERR ...`), as a value in a reply or as a command's rejection. */
export class RespError extends Error {}

export type RespValue = string | number | null | RespValue[] | RespError;

/** Parses one RESP value at `offset`; undefined when the buffer does not hold all of it yet. */
export function parseResp(buffer: Buffer, offset = 0): [RespValue, number] | undefined {
  if (offset >= buffer.length) return undefined;
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd === -1) return undefined;
  const kind = String.fromCharCode(buffer[offset] as number);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (kind) {
    case '+':
      return [line, next];
    case '-':
      return [new RespError(line), next];
    case ':':
      return [Number(line), next];
    case '$': {
      const length = Number(line);
      if (length < 0) return [null, next];
      if (buffer.length < next + length + 2) return undefined;
      return [buffer.toString('utf8', next, next + length), next + length + 2];
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: RespValue[] = [];
      let position = next;
      for (let index = 0; index < count; index++) {
        const item = parseResp(buffer, position);
        if (item === undefined) return undefined;
        items.push(item[0]);
        position = item[1];
      }
      return [items, position];
    }
    default:
      throw new Error(`RESP: unexpected type byte ${JSON.stringify(kind)}`);
  }
}

/** A command as RESP: an array of bulk strings (lengths in UTF-8 bytes). */
export function encodeCommand(args: readonly (string | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(String(arg), 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

interface Pending {
  resolve(value: RespValue): void;
  reject(error: Error): void;
}

/** A pub/sub delivery: `message` (channel) or `pmessage` (the pattern it matched, too). */
export type RespMessageHandler = (channel: string, payload: string, pattern?: string) => void;

export interface RespClientOptions {
  /** A lost connection (the client is reconnecting by itself). */
  onError?: (error: Error) => void;
  /** A lost connection is back (AUTH/SELECT re-sent, subscriptions re-issued). */
  onReconnect?: () => void;
}

/** Commands waiting for a reply on one connection; more are rejected rather than buffered. */
export const MAX_PENDING = 10_000;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;

export class RespClient {
  readonly #url: URL;
  #socket: net.Socket | undefined;
  #ready = false;
  readonly #pending: Pending[] = [];
  #buffer: Buffer = Buffer.alloc(0);
  #closed = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Channels and patterns to re-subscribe after a reconnect. */
  readonly #channels = new Set<string>();
  readonly #patterns = new Set<string>();
  /**
   * Pub/sub pushes (`message` and `pmessage` arrays that no command waits for). While unset,
   * such arrays are taken as command replies.
   */
  onMessage: RespMessageHandler | undefined;
  onError: ((error: Error) => void) | undefined;
  /** Called after a lost connection is back (subscriptions re-issued). */
  onReconnect: (() => void) | undefined;

  private constructor(url: URL, options: RespClientOptions) {
    this.#url = url;
    this.onError = options.onError;
    this.onReconnect = options.onReconnect;
  }

  /**
   * Connects to `redis://[[user]:password@]host[:port][/db]`. The first connection must
   * succeed (a bad URL fails the start); later ones are retried with backoff.
   */
  static async connect(url: string, options: RespClientOptions = {}): Promise<RespClient> {
    const parsed = new URL(url);
    if (parsed.protocol !== 'redis:') throw new Error(`Redis URL must be redis://, got ${url}`);
    const client = new RespClient(parsed, options);
    await client.#open();
    return client;
  }

  get connected(): boolean {
    return this.#ready;
  }

  /** Sends one command, `command('SET', key, value)`; resolves with its reply. */
  command(...args: (string | number)[]): Promise<RespValue> {
    if (this.#closed) return Promise.reject(new Error('Redis connection closed'));
    const verb = String(args[0]).toUpperCase();
    // Remembered even while down: the reconnect subscribes to them.
    const names = args.slice(1).map(String);
    if (verb === 'SUBSCRIBE') for (const name of names) this.#channels.add(name);
    if (verb === 'PSUBSCRIBE') for (const name of names) this.#patterns.add(name);
    if (verb === 'UNSUBSCRIBE') for (const name of names) this.#channels.delete(name);
    if (verb === 'PUNSUBSCRIBE') for (const name of names) this.#patterns.delete(name);
    if (!this.#ready) {
      return Promise.reject(new Error(`Redis unavailable (reconnecting): ${verb} not sent`));
    }
    return this.#send(args);
  }

  /**
   * Puts this connection in subscriber mode (it can then run no other command) and delivers
   * every message published to `channel` to `onMessage` (when given, it replaces the current
   * handler). Re-subscribed after a reconnect.
   */
  async subscribe(channel: string, onMessage?: RespMessageHandler): Promise<void> {
    if (onMessage !== undefined) this.onMessage = onMessage;
    await this.command('SUBSCRIBE', channel);
  }

  /** Like `subscribe`, for a glob-style pattern (`pmessage` pushes). */
  async psubscribe(pattern: string, onMessage?: RespMessageHandler): Promise<void> {
    if (onMessage !== undefined) this.onMessage = onMessage;
    await this.command('PSUBSCRIBE', pattern);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const socket = this.#socket;
    const wasReady = this.#ready;
    this.#ready = false;
    if (socket === undefined || socket.destroyed) return;
    const closed = new Promise((resolve) => socket.once('close', resolve));
    if (wasReady) this.#send(['QUIT']).catch(() => undefined);
    socket.end();
    await closed;
  }

  #send(args: readonly (string | number)[]): Promise<RespValue> {
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed) {
      return Promise.reject(new Error('Redis unavailable (no connection)'));
    }
    if (this.#pending.length >= MAX_PENDING) {
      return Promise.reject(new Error(`Redis: more than ${MAX_PENDING} commands in flight`));
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      socket.write(encodeCommand(args));
    });
  }

  /** One connection attempt: socket, AUTH, SELECT, re-subscribe. Rejects if any step fails. */
  async #open(): Promise<void> {
    const url = this.#url;
    const socket = net.connect({
      host: url.hostname || '127.0.0.1',
      port: Number(url.port || 6379),
    });
    this.#socket = socket;
    this.#buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      if (this.#socket === socket) this.#receive(chunk);
    });
    // Always listened to (no unhandled 'error'); reported once, by 'close' below.
    let lastError: Error | undefined;
    socket.on('error', (error) => {
      lastError = error;
    });
    socket.on('close', () => {
      if (this.#socket === socket) this.#lost(lastError ?? new Error('Redis connection closed'));
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('close', () => reject(lastError ?? new Error('Redis connection closed')));
    });
    socket.setNoDelay(true);
    try {
      if (url.password) {
        const user = decodeURIComponent(url.username);
        const password = decodeURIComponent(url.password);
        await this.#send(user ? ['AUTH', user, password] : ['AUTH', password]);
      }
      const database = url.pathname.slice(1);
      if (database) await this.#send(['SELECT', database]);
      for (const channel of this.#channels) await this.#send(['SUBSCRIBE', channel]);
      for (const pattern of this.#patterns) await this.#send(['PSUBSCRIBE', pattern]);
    } catch (error) {
      socket.destroy();
      throw error;
    }
    if (this.#closed) {
      socket.destroy();
      throw new Error('Redis connection closed');
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
    const delay = base / 2 + Math.random() * (base / 2);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      this.#open().then(
        () => this.onReconnect?.(),
        () => {
          // #lost ran (or the handshake failed): try again later.
          this.#socket?.destroy();
          this.#socket = undefined;
          this.#scheduleReconnect();
        },
      );
    }, delay);
    this.#timer.unref?.();
  }

  #receive(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    let offset = 0;
    for (;;) {
      let parsed: [RespValue, number] | undefined;
      try {
        parsed = parseResp(this.#buffer, offset);
      } catch (error) {
        // A corrupt stream: drop the connection, the reconnect starts clean.
        this.#socket?.destroy(error as Error);
        return;
      }
      if (parsed === undefined) break;
      offset = parsed[1];
      this.#dispatch(parsed[0]);
    }
    this.#buffer = this.#buffer.subarray(offset);
  }

  #dispatch(value: RespValue): void {
    if (Array.isArray(value) && this.onMessage !== undefined) {
      if (value[0] === 'message') {
        this.onMessage(String(value[1]), String(value[2]));
        return;
      }
      if (value[0] === 'pmessage') {
        this.onMessage(String(value[2]), String(value[3]), String(value[1]));
        return;
      }
    }
    const pending = this.#pending.shift();
    if (pending === undefined) return;
    if (value instanceof Error) pending.reject(value);
    else pending.resolve(value);
  }
}
