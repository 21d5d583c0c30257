// A WebSocket client made of a bare TCP socket: it performs the opening handshake itself, then
// sends whatever frames a case crafts (masked, RFC 6455 §5.3) and records what the server sends.

import { randomBytes } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';
import { RawConnection, type RawConnectionOptions } from './connection.js';
import {
  checkDeflateResponse,
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

export interface RawClientOptions {
  /** permessage-deflate offers in preference order (RFC 7692 §5); none when omitted. */
  deflate?: readonly DeflateParams[];
  /** A literal `Sec-WebSocket-Extensions` value, sent instead of the `deflate` offers. */
  extensions?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Milliseconds allowed for connecting and the opening handshake (default 5000). */
  handshakeTimeoutMs?: number;
  /** See {@link RawConnectionOptions}. */
  autoPong?: boolean;
  autoCloseReply?: boolean;
}

/** The handshake was refused or does not follow RFC 6455 §4.1 / RFC 7692. */
export class HandshakeError extends Error {
  override name = 'HandshakeError';
  constructor(
    message: string,
    readonly response?: HttpHead,
  ) {
    super(message);
  }
}

export class RawClient extends RawConnection {
  constructor(
    socket: Socket,
    head: Uint8Array,
    /** The server's 101 response. */
    readonly response: HttpHead,
    /** The permessage-deflate parameters in force, if the server accepted an offer. */
    readonly negotiatedDeflate: NegotiatedDeflate | undefined,
    options: RawConnectionOptions,
  ) {
    super(socket, 'client', head, options);
  }
}

function openSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host, port, allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`could not connect to ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
    socket.once('error', onError);
  });
}

/**
 * Connects to `ws://host:port/path`, performs and checks the opening handshake, and returns the
 * open connection. Throws {@link HandshakeError} when the server refuses or answers wrongly.
 */
export async function connectRaw(url: string, options: RawClientOptions = {}): Promise<RawClient> {
  const target = new URL(url);
  if (target.protocol !== 'ws:') throw new Error(`only ws: URLs are supported, got ${url}`);
  const timeoutMs = options.handshakeTimeoutMs ?? 5000;
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const port = Number(target.port || 80);
  const socket = await openSocket(host, port, timeoutMs);

  const key = randomBytes(16).toString('base64');
  const offers = options.deflate ?? [];
  const extensions = options.extensions ?? offers.map(formatDeflateParams).join(', ');
  const lines = [
    `GET ${target.pathname}${target.search} HTTP/1.1`,
    `Host: ${target.host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
    ...(extensions ? [`Sec-WebSocket-Extensions: ${extensions}`] : []),
    ...Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);

  let head: HttpHead;
  let rest: Uint8Array;
  try {
    ({ head, rest } = await readHead(socket, timeoutMs));
  } catch (error) {
    socket.destroy();
    throw new HandshakeError((error as Error).message);
  }
  const fail = (message: string): never => {
    socket.destroy();
    throw new HandshakeError(message, head);
  };

  // RFC 6455 §4.1: the client's checks on the server's handshake, in the RFC's order.
  const status = /^HTTP\/1\.1 (\d{3})/.exec(head.startLine);
  if (status?.[1] !== '101') fail(`expected "HTTP/1.1 101", got ${JSON.stringify(head.startLine)}`);
  if (head.headers.get('upgrade')?.toLowerCase() !== 'websocket')
    fail('missing "Upgrade: websocket"');
  if (!headerHasToken(head.headers.get('connection'), 'upgrade'))
    fail('missing "Connection: Upgrade"');
  if (head.headers.get('sec-websocket-accept') !== acceptKey(key)) {
    fail(`wrong Sec-WebSocket-Accept ${JSON.stringify(head.headers.get('sec-websocket-accept'))}`);
  }

  let negotiatedDeflate: NegotiatedDeflate | undefined;
  const extensionHeader = head.headers.get('sec-websocket-extensions');
  if (extensionHeader !== undefined && options.extensions === undefined) {
    let parsed: ReturnType<typeof parseExtensions> = [];
    try {
      parsed = parseExtensions(extensionHeader);
    } catch (error) {
      fail(`malformed Sec-WebSocket-Extensions: ${(error as Error).message}`);
    }
    for (const extension of parsed) {
      if (extension.name !== DEFLATE || offers.length === 0) {
        fail(
          `the server accepted extension ${extension.name}, which was not offered (RFC 6455 §9.1)`,
        );
      }
    }
    if (parsed.length > 1) fail('the server accepted permessage-deflate more than once');
    const [accepted] = parsed;
    if (accepted) {
      const params = readDeflateParams(accepted, 'response');
      if (typeof params === 'string') fail(`invalid permessage-deflate response: ${params}`);
      const problems = checkDeflateResponse(offers, params as DeflateParams);
      if (problems.length > 0)
        fail(
          `permessage-deflate response ${JSON.stringify(extensionHeader)}: ${problems.join('; ')}`,
        );
      negotiatedDeflate = negotiated(params as DeflateParams);
    }
  }

  const connectionOptions: RawConnectionOptions = {
    ...(negotiatedDeflate ? { deflate: new DeflateSession(negotiatedDeflate, 'client') } : {}),
    ...(options.autoPong !== undefined ? { autoPong: options.autoPong } : {}),
    ...(options.autoCloseReply !== undefined ? { autoCloseReply: options.autoCloseReply } : {}),
  };
  return new RawClient(socket, rest, head, negotiatedDeflate, connectionOptions);
}
