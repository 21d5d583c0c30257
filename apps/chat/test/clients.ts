/** A `ws` client that speaks the chat protocol and waits for typed replies. */
import { once } from 'node:events';
import WebSocket from 'ws';
import {
  type ClientMessage,
  encode,
  parseServerMessage,
  type ServerMessage,
} from '../shared/protocol.js';

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

export class ChatClient {
  readonly socket: WebSocket;
  readonly received: ServerMessage[] = [];
  readonly #used = new Set<number>();
  #waiters: Array<() => void> = [];

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data, isBinary) => {
      if (isBinary) throw new Error('the server sent a binary message');
      const parsed = parseServerMessage(data.toString());
      if (!parsed.ok)
        throw new Error(`invalid server message: ${parsed.message}: ${data.toString()}`);
      this.received.push(parsed.value);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async connect(url: string, options: WebSocket.ClientOptions = {}): Promise<ChatClient> {
    const socket = new WebSocket(url, options);
    const client = new ChatClient(socket);
    await once(socket, 'open');
    await client.next('welcome');
    return client;
  }

  send(message: ClientMessage): void {
    this.socket.send(encode(message));
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** The first message of `type` not yet returned that matches, waiting for it if needed. */
  async next<T extends ServerMessage['type']>(
    type: T,
    match: (message: Of<T>) => boolean = () => true,
    timeout = 5_000,
  ): Promise<Of<T>> {
    const deadline = Date.now() + timeout;
    for (;;) {
      for (let index = 0; index < this.received.length; index++) {
        const message = this.received[index] as ServerMessage;
        if (!this.#used.has(index) && message.type === type && match(message as Of<T>)) {
          this.#used.add(index);
          return message as Of<T>;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `no ${type} message within ${timeout} ms; got ${JSON.stringify(this.received.filter((_, index) => !this.#used.has(index)))}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async join(room: string, nick: string, userId: string, lastSeen?: number): Promise<Of<'joined'>> {
    const message: ClientMessage = { v: 1, type: 'join', room, nick, userId };
    if (lastSeen !== undefined) message.lastSeen = lastSeen;
    this.send(message);
    return this.next('joined', (joined) => joined.room === room);
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = once(this.socket, 'close');
    this.socket.close();
    await closed;
  }
}
