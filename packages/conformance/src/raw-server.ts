// A WebSocket server made of a bare TCP listener: it completes the opening handshake itself
// (optionally accepting permessage-deflate), then sends whatever frames a case crafts (unmasked)
// and records what the client under test sends back.

import { createServer, type Server, type Socket } from 'node:net';
import { RawConnection, type RawConnectionOptions } from './connection.js';
import {
  DEFLATE,
  type DeflateParams,
  DeflateSession,
  formatDeflateParams,
  type NegotiatedDeflate,
  negotiated,
  parseExtensions,
  readDeflateParams,
} from './deflate.js';
import { acceptKey, type HttpHead, headerHasToken, readHead } from './handshake.js';
import { HandshakeError } from './raw-client.js';

export interface RawServerAcceptOptions {
  /** Only a request for this path is taken (default: any path). */
  path?: string;
  /**
   * Accept the client's first permessage-deflate offer, asking for these parameters where the
   * offer allows it (`clientMaxWindowBits` only if the client offered `client_max_window_bits`);
   * omitted: decline every extension.
   */
  deflate?: DeflateParams;
  /** Milliseconds to wait for the client to connect and send its request (default 5000). */
  timeoutMs?: number;
  autoPong?: boolean;
  autoCloseReply?: boolean;
}

export class RawServerConnection extends RawConnection {
  constructor(
    socket: Socket,
    head: Uint8Array,
    /** The client's opening handshake. */
    readonly request: HttpHead,
    /** The client's permessage-deflate offers (RFC 7692 §5), parsed. */
    readonly offers: readonly DeflateParams[],
    /** The parameters in force, if permessage-deflate was negotiated. */
    readonly negotiatedDeflate: NegotiatedDeflate | undefined,
    /** How the response had to deviate from what the case asked for, for the report. */
    readonly notes: readonly string[],
    options: RawConnectionOptions,
  ) {
    super(socket, 'server', head, options);
  }

  get path(): string {
    return this.request.startLine.split(' ')[1] ?? '';
  }
}

interface Waiter {
  options: RawServerAcceptOptions;
  resolve(connection: RawServerConnection): void;
  reject(error: Error): void;
}

/** The response parameters for `offer`, given what a case asks for (RFC 7692 §7.1). */
export function answerDeflateOffer(
  offer: DeflateParams,
  wanted: DeflateParams,
): { response: DeflateParams; notes: string[] } {
  const response: DeflateParams = {};
  const notes: string[] = [];
  // §7.1.1.1: an offered server_no_context_takeover must be accepted by including it.
  if (wanted.serverNoContextTakeover || offer.serverNoContextTakeover)
    response.serverNoContextTakeover = true;
  // §7.1.1.2: the server may ask the client not to take over context, offered or not.
  if (wanted.clientNoContextTakeover) response.clientNoContextTakeover = true;
  // §7.1.2.1: the server's window may be limited by the server, and must respect the offer.
  const serverBits = [wanted.serverMaxWindowBits, offer.serverMaxWindowBits].filter(
    (bits): bits is number => bits !== undefined,
  );
  if (serverBits.length > 0) response.serverMaxWindowBits = Math.min(...serverBits);
  // §7.1.2.2: client_max_window_bits only when the client offered it, not above its value.
  if (typeof wanted.clientMaxWindowBits === 'number') {
    if (offer.clientMaxWindowBits === undefined) {
      notes.push(`the client did not offer client_max_window_bits, so its window stays 15 bits`);
    } else {
      response.clientMaxWindowBits =
        offer.clientMaxWindowBits === true
          ? wanted.clientMaxWindowBits
          : Math.min(wanted.clientMaxWindowBits, offer.clientMaxWindowBits);
    }
  }
  return { response, notes };
}

/** RFC 6455 §4.2.1: the server's checks on the client's opening handshake. */
function requestProblems(head: HttpHead): string[] {
  const problems: string[] = [];
  const [method, , version] = head.startLine.split(' ');
  if (method !== 'GET') problems.push(`method ${method}, expected GET`);
  if (version !== 'HTTP/1.1') problems.push(`${version}, expected HTTP/1.1`);
  if (!head.headers.has('host')) problems.push('missing Host');
  if (head.headers.get('upgrade')?.toLowerCase() !== 'websocket')
    problems.push('missing "Upgrade: websocket"');
  if (!headerHasToken(head.headers.get('connection'), 'upgrade'))
    problems.push('missing "Connection: Upgrade"');
  const key = head.headers.get('sec-websocket-key') ?? '';
  if (!/^[A-Za-z0-9+/]{22}==$/.test(key))
    problems.push(`Sec-WebSocket-Key ${JSON.stringify(key)} is not 16 bytes in base64`);
  if (head.headers.get('sec-websocket-version') !== '13')
    problems.push('Sec-WebSocket-Version is not 13');
  return problems;
}

export class RawServer {
  readonly #server: Server;
  readonly #waiters: Waiter[] = [];
  readonly #sockets = new Set<Socket>();

  private constructor(
    server: Server,
    readonly host: string,
    readonly port: number,
  ) {
    this.#server = server;
  }

  /** Listens on loopback (an ephemeral port unless `port` is given). */
  static listen(options: { host?: string; port?: number } = {}): Promise<RawServer> {
    const host = options.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      let raw: RawServer | undefined;
      const server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket) => {
        if (raw) void raw.#handle(socket);
        else socket.destroy();
      });
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        const address = server.address();
        if (address === null || typeof address === 'string')
          throw new Error('unexpected server address');
        raw = new RawServer(server, host, address.port);
        resolve(raw);
      });
    });
  }

  /** `ws://` URL of a path on this server. */
  url(path = '/'): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `ws://${host}:${this.port}${path.startsWith('/') ? path : `/${path}`}`;
  }

  /** The next client that connects (to `options.path`), after the opening handshake. */
  accept(options: RawServerAcceptOptions = {}): Promise<RawServerConnection> {
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        options,
        resolve: (connection) => {
          clearTimeout(timer);
          resolve(connection);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(
          new Error(
            `no client connected${options.path ? ` to ${options.path}` : ''} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Stops listening and drops every connection still open. */
  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(socket: Socket): Promise<void> {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {});
    let head: HttpHead;
    let rest: Uint8Array;
    try {
      ({ head, rest } = await readHead(socket, 5000));
    } catch {
      socket.destroy();
      return;
    }
    const path = head.startLine.split(' ')[1] ?? '';
    const index = this.#waiters.findIndex(
      (waiter) => waiter.options.path === undefined || waiter.options.path === path,
    );
    if (index === -1) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [waiter] = this.#waiters.splice(index, 1) as [Waiter];
    const problems = requestProblems(head);
    if (problems.length > 0) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      waiter.reject(
        new HandshakeError(
          `the client's opening handshake is invalid: ${problems.join('; ')}`,
          head,
        ),
      );
      return;
    }

    const offers: DeflateParams[] = [];
    const notes: string[] = [];
    const offerHeader = head.headers.get('sec-websocket-extensions');
    if (offerHeader !== undefined) {
      try {
        for (const extension of parseExtensions(offerHeader)) {
          if (extension.name !== DEFLATE) continue;
          const params = readDeflateParams(extension, 'offer');
          if (typeof params === 'string')
            notes.push(`ignored an invalid permessage-deflate offer: ${params}`);
          else offers.push(params);
        }
      } catch (error) {
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        waiter.reject(
          new HandshakeError(
            `malformed Sec-WebSocket-Extensions: ${(error as Error).message}`,
            head,
          ),
        );
        return;
      }
    }

    const lines = [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${acceptKey(head.headers.get('sec-websocket-key') as string)}`,
    ];
    let negotiatedDeflate: NegotiatedDeflate | undefined;
    const [offer] = offers;
    if (waiter.options.deflate && offer) {
      const answer = answerDeflateOffer(offer, waiter.options.deflate);
      notes.push(...answer.notes);
      negotiatedDeflate = negotiated(answer.response);
      lines.push(`Sec-WebSocket-Extensions: ${formatDeflateParams(answer.response)}`);
    }
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);

    const { autoPong, autoCloseReply } = waiter.options;
    const connectionOptions: RawConnectionOptions = {
      ...(negotiatedDeflate ? { deflate: new DeflateSession(negotiatedDeflate, 'server') } : {}),
      ...(autoPong !== undefined ? { autoPong } : {}),
      ...(autoCloseReply !== undefined ? { autoCloseReply } : {}),
    };
    waiter.resolve(
      new RawServerConnection(
        socket,
        rest,
        head,
        offers,
        negotiatedDeflate,
        notes,
        connectionOptions,
      ),
    );
  }
}
