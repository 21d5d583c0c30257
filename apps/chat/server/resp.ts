/**
 * A tiny Redis client over node:net (RESP2): pipelined commands answered in order, and a
 * subscriber mode for pub/sub. Only what the chat's broker needs; no reconnection (a lost
 * connection rejects pending commands and reports through `onError`).
 */
import * as net from 'node:net';

export type RespValue = string | number | null | RespValue[] | Error;

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
      return [new Error(line), next];
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

export class RespConnection {
  readonly #socket: net.Socket;
  readonly #pending: Pending[] = [];
  #buffer: Buffer = Buffer.alloc(0);
  #closed = false;
  /** Pub/sub pushes: `message` arrays that no command waits for. */
  onPush: ((channel: string, payload: string) => void) | undefined;
  onError: ((error: Error) => void) | undefined;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on('data', (chunk) => this.#receive(chunk));
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new Error('Redis connection closed')));
  }

  static connect(url: string): Promise<RespConnection> {
    const parsed = new URL(url);
    if (parsed.protocol !== 'redis:') throw new Error(`REDIS_URL must be redis://, got ${url}`);
    return new Promise((resolve, reject) => {
      const socket = net.connect({
        host: parsed.hostname || '127.0.0.1',
        port: Number(parsed.port || 6379),
      });
      socket.once('error', reject);
      socket.once('connect', async () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        const connection = new RespConnection(socket);
        try {
          if (parsed.password) {
            const user = decodeURIComponent(parsed.username);
            const password = decodeURIComponent(parsed.password);
            await connection.command(...(user ? ['AUTH', user, password] : ['AUTH', password]));
          }
          const database = parsed.pathname.slice(1);
          if (database) await connection.command('SELECT', database);
          resolve(connection);
        } catch (error) {
          socket.destroy();
          reject(error);
        }
      });
    });
  }

  command(...args: (string | number)[]): Promise<RespValue> {
    if (this.#closed) return Promise.reject(new Error('Redis connection closed'));
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      this.#socket.write(encodeCommand(args));
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await new Promise<void>((resolve) => this.#socket.end(resolve));
    this.#socket.destroy();
  }

  #receive(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    let offset = 0;
    for (;;) {
      const parsed = parseResp(this.#buffer, offset);
      if (parsed === undefined) break;
      offset = parsed[1];
      this.#dispatch(parsed[0]);
    }
    this.#buffer = this.#buffer.subarray(offset);
  }

  #dispatch(value: RespValue): void {
    if (Array.isArray(value) && value[0] === 'message' && this.onPush !== undefined) {
      this.onPush(String(value[1]), String(value[2]));
      return;
    }
    const pending = this.#pending.shift();
    if (pending === undefined) return;
    if (value instanceof Error) pending.reject(value);
    else pending.resolve(value);
  }

  #fail(error: Error): void {
    const wasOpen = !this.#closed;
    this.#closed = true;
    for (const pending of this.#pending.splice(0)) pending.reject(error);
    if (wasOpen) this.onError?.(error);
  }
}
