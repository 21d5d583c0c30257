import { connect, type Socket } from 'node:net';

/**
 * A small RESP2 client: enough for the Redis Streams store (commands in, replies in order).
 * One socket, pipelined; replies are matched to commands by order, as Redis guarantees.
 */
export type RespValue = string | number | null | RespValue[] | RespError;

export class RespError extends Error {}

interface Pending {
  resolve(value: RespValue): void;
  reject(error: Error): void;
}

export class RespClient {
  readonly #socket: Socket;
  readonly #pending: Pending[] = [];
  #buffer: Buffer = Buffer.alloc(0);
  #error: Error | undefined;
  /** Set once the connection is in subscriber mode: receives pub/sub `message` pushes. */
  #onMessage: ((channel: string, payload: string) => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#drain();
    });
    const fail = (error: Error) => {
      this.#error ??= error;
      for (const pending of this.#pending.splice(0)) pending.reject(this.#error);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('redis connection closed')));
  }

  /** Connects to `redis://host:port[/db]`. */
  static async connect(url: string): Promise<RespClient> {
    const parsed = new URL(url);
    const socket = connect({
      host: parsed.hostname || '127.0.0.1',
      port: Number(parsed.port || 6379),
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RespClient(socket);
    if (parsed.password) {
      await client.command(
        parsed.username
          ? ['AUTH', decodeURIComponent(parsed.username), decodeURIComponent(parsed.password)]
          : ['AUTH', decodeURIComponent(parsed.password)],
      );
    }
    const db = parsed.pathname.slice(1);
    if (db !== '') await client.command(['SELECT', db]);
    return client;
  }

  command(args: ReadonlyArray<string | number>): Promise<RespValue> {
    if (this.#error) return Promise.reject(this.#error);
    let out = `*${args.length}\r\n`;
    for (const arg of args) {
      const text = String(arg);
      out += `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
    }
    return new Promise<RespValue>((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      this.#socket.write(out);
    });
  }

  /**
   * Puts this connection in subscriber mode (it can then run no other command) and calls
   * `onMessage` for every message published to `channel`.
   */
  async subscribe(channel: string, onMessage: (channel: string, payload: string) => void) {
    this.#onMessage = onMessage;
    await this.command(['SUBSCRIBE', channel]);
  }

  async close(): Promise<void> {
    if (this.#socket.destroyed) return;
    const closed = new Promise((resolve) => this.#socket.once('close', resolve));
    this.command(['QUIT']).catch(() => undefined);
    this.#socket.end();
    await closed;
  }

  #drain(): void {
    for (;;) {
      const result = parseReply(this.#buffer, 0);
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
