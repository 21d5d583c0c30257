// A loopback server for the ReconnectingWebSocket and WebSocketStream tests, on @wskit/node's
// WebSocketServer: echoes by default, counts handshakes, can refuse them with an HTTP status,
// go mute (stop reading and answering: a half-open connection as the client sees it), and be
// stopped and started again on the same port (a server restart).
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { type ServerOptions, type WebSocket as ServerPeer, WebSocketServer } from '@wskit/node';
import { Inbox } from './inbox.js';

export type { ServerPeer };

export interface Connection {
  readonly peer: ServerPeer;
  readonly socket: Socket;
  readonly request: IncomingMessage;
  /** Messages received on this connection, text as strings. */
  readonly messages: Inbox<string | Buffer>;
  readonly closes: Inbox<[code: number, reason: string]>;
}

export interface TestServerOptions {
  /** Answer each message with the same message (default true). */
  echo?: boolean;
  /** Extra server options (heartbeat is off unless given). */
  server?: Omit<ServerOptions, 'port' | 'host' | 'hooks'>;
}

export class TestServer {
  port = 0;
  /** Opening handshakes received, accepted or not. */
  handshakes = 0;
  /** Refuse handshakes with this HTTP status (e.g. 401) while set. */
  rejectStatus: number | undefined;
  /** Delay each handshake by this many ms (a slow server, for abort tests). */
  handshakeDelay = 0;
  /** Connections accepted since the last `forget()`. */
  connections: Inbox<Connection>;
  readonly #options: TestServerOptions;
  #server: WebSocketServer | undefined;

  private constructor(options: TestServerOptions) {
    this.#options = options;
    this.connections = new Inbox('server connection');
  }

  static async start(options: TestServerOptions = {}, port = 0): Promise<TestServer> {
    const server = new TestServer(options);
    await server.listen(port);
    return server;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/`;
  }

  get running(): boolean {
    return this.#server !== undefined;
  }

  /** Starts listening (again), on the same port once one was picked. */
  async listen(port = this.port): Promise<void> {
    if (this.#server !== undefined) throw new Error('TestServer: already listening');
    const server = new WebSocketServer({
      port,
      host: '127.0.0.1',
      heartbeat: false,
      ...this.#options.server,
      hooks: {
        upgrade: async () => {
          this.handshakes++;
          if (this.handshakeDelay > 0) {
            await new Promise((resolve) => setTimeout(resolve, this.handshakeDelay));
          }
          if (this.rejectStatus !== undefined) {
            return new Response('refused by the test server', { status: this.rejectStatus });
          }
          return undefined;
        },
      },
    });
    server.on('connection', (peer: ServerPeer, request: IncomingMessage) => {
      const messages = new Inbox<string | Buffer>('server message');
      const closes = new Inbox<[number, string]>('server close');
      peer.on('message', (data: Buffer, isBinary: boolean) => {
        const message = isBinary ? Buffer.from(data) : data.toString('utf8');
        messages.push(message);
        if (this.#options.echo !== false && peer.readyState === 1) peer.send(message, () => {});
      });
      peer.on('close', (code: number, reason: Buffer) => closes.push([code, reason.toString()]));
      peer.on('error', () => {});
      this.connections.push({ peer, socket: request.socket as Socket, request, messages, closes });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', () => resolve());
      server.once('error', reject);
    });
    this.port = server.port;
    this.#server = server;
  }

  /** Starts a fresh connections inbox (between tests). */
  forget(): void {
    this.connections = new Inbox('server connection');
  }

  /** Every peer still connected. */
  get peers(): ServerPeer[] {
    return [...(this.#server?.clients ?? [])];
  }

  /** Graceful stop: every peer gets `code`, then the port is released. */
  async stop(code = 1001, timeout = 500): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await server?.close({ code, timeout });
  }

  /** Drops every connection at once (no closing handshake) and stops listening. */
  async crash(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    for (const peer of server.clients) peer.terminate();
    await this.stop(1001, 0);
  }
}
