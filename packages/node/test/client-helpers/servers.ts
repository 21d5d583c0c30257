/**
 * Loopback servers for the client tests: a `ws` WebSocketServer (the reference peer), a raw TCP
 * server for crafted responses, an HTTP CONNECT proxy, and a port nobody listens on. Every
 * server listens on port 0 of a loopback address and is closed by `closeAll()`.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { type ServerOptions, WebSocketServer, type WebSocket as WsPeer } from 'ws';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
/** The self-signed certificate for CN=localhost, SAN DNS:localhost and IP:127.0.0.1. */
export const CERT = readFileSync(`${fixtures}cert.pem`);
export const KEY = readFileSync(`${fixtures}key.pem`);
const clientFixtures = fileURLToPath(new URL('../client-fixtures/', import.meta.url));
/** Self-signed, SAN IP:127.0.0.1 only: no DNS name, not even localhost. */
export const IP_ONLY_CERT = readFileSync(`${clientFixtures}ip-only-cert.pem`);
export const IP_ONLY_KEY = readFileSync(`${clientFixtures}ip-only-key.pem`);

export const LOOPBACK = '127.0.0.1';

const closers: Array<() => Promise<void>> = [];

/** Closes every server and socket opened through these helpers (call it in afterEach). */
export async function closeAll(): Promise<void> {
  const pending = closers.splice(0);
  await Promise.all(pending.map((close) => close().catch(() => {})));
}

/** Listens on port 0 of `host` and registers the server for `closeAll`. */
async function listen(server: net.Server, host: string): Promise<number> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, host);
  await once(server, 'listening');
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as net.AddressInfo).port;
}

/** `host:port` for a URL, with IPv6 in brackets. */
export function authority(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export interface WsServer {
  readonly wss: WebSocketServer;
  readonly port: number;
  /** `ws://127.0.0.1:port` or `wss://...` */
  readonly url: string;
  /** Upgrade requests seen, in order. */
  readonly requests: http.IncomingMessage[];
  /** Resolves with the next server-side peer (and its request). */
  nextConnection(): Promise<{ peer: WsPeer; request: http.IncomingMessage }>;
}

/** A `ws` WebSocketServer over an HTTP(S) server; peers echo nothing unless told. */
export async function startWsServer(
  options: Omit<ServerOptions, 'port' | 'server' | 'noServer'> & {
    secure?: boolean;
    /** The server certificate for `secure`; default CERT/KEY. */
    certificate?: { cert: Buffer; key: Buffer };
    host?: string;
  } = {},
): Promise<WsServer> {
  const {
    secure = false,
    certificate = { cert: CERT, key: KEY },
    host = LOOPBACK,
    ...wsOptions
  } = options;
  const server = secure ? https.createServer(certificate) : http.createServer();
  const wss = new WebSocketServer({ ...wsOptions, server });
  const requests: http.IncomingMessage[] = [];
  const queue: Array<{ peer: WsPeer; request: http.IncomingMessage }> = [];
  const waiters: Array<(value: { peer: WsPeer; request: http.IncomingMessage }) => void> = [];
  server.on('upgrade', (request: http.IncomingMessage) => requests.push(request));
  wss.on('connection', (peer, request) => {
    const waiter = waiters.shift();
    if (waiter !== undefined) waiter({ peer, request });
    else queue.push({ peer, request });
  });
  const port = await listen(server, host);
  closers.push(async () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  });
  return {
    wss,
    port,
    url: `${secure ? 'wss' : 'ws'}://${authority(host, port)}`,
    requests,
    nextConnection: () => {
      const queued = queue.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

/** Starts an echo server: every message comes back with the same type. */
export async function startEchoServer(
  options: Parameters<typeof startWsServer>[0] = {},
): Promise<WsServer> {
  const server = await startWsServer(options);
  server.wss.on('connection', (peer) => {
    peer.on('message', (data, isBinary) => peer.send(data, { binary: isBinary }));
  });
  return server;
}

export interface RawServer {
  readonly port: number;
  readonly url: string;
  /** Every accepted socket, in order. */
  readonly sockets: net.Socket[];
  /** Resolves with the next accepted socket. */
  nextSocket(): Promise<net.Socket>;
}

/** A plain TCP server: `onSocket` decides what is written back. */
export async function startRawServer(
  onSocket: (socket: net.Socket) => void = () => {},
  host = LOOPBACK,
): Promise<RawServer> {
  const sockets: net.Socket[] = [];
  const waiters = new Map<number, (socket: net.Socket) => void>();
  let requested = 0;
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    onSocket(socket);
    const index = sockets.length - 1;
    waiters.get(index)?.(socket);
    waiters.delete(index);
  });
  const port = await listen(server, host);
  return {
    port,
    url: `ws://${authority(host, port)}`,
    sockets,
    // The n-th call resolves with the n-th accepted socket.
    nextSocket: () => {
      const index = requested++;
      const accepted = sockets[index];
      if (accepted !== undefined) return Promise.resolve(accepted);
      return new Promise((resolve) => waiters.set(index, resolve));
    },
  };
}

export interface RequestHead {
  readonly requestLine: string;
  /** Lowercase names; repeated headers joined with ", ". */
  readonly headers: Record<string, string>;
  /** Bytes after the head in the chunk that completed it. */
  readonly rest: Buffer;
}

/** Reads an HTTP request head from `socket` (the data listener is removed afterwards). */
export function readRequestHead(socket: net.Socket): Promise<RequestHead> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.off('error', reject);
      const lines = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      resolve({ requestLine: lines[0] as string, headers, rest: buffered.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

/** RFC 6455 §4.2.2: base64(SHA-1(key + GUID)). */
export function acceptFor(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/** A 101 response head for `key`, with extra header lines. */
export function switchingProtocols(key: string, extraLines: string[] = []): string {
  return [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptFor(key)}`,
    ...extraLines,
    '',
    '',
  ].join('\r\n');
}

/** A raw server that answers every handshake with `respond(head)` (a string or bytes). */
export function startRespondingServer(
  respond: (head: RequestHead, socket: net.Socket) => string | Buffer | undefined,
): Promise<RawServer> {
  return startRawServer((socket) => {
    readRequestHead(socket).then(
      (head) => {
        const response = respond(head, socket);
        if (response !== undefined) socket.write(response);
      },
      () => {},
    );
  });
}

/** An unmasked server frame (RFC 6455 §5.2), payload up to 64 KiB. */
export function serverFrame(opcode: number, payload: Buffer | string, fin = true): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const first = (fin ? 0x80 : 0) | opcode;
  if (body.length < 126) return Buffer.concat([Buffer.from([first, body.length]), body]);
  const header = Buffer.from([first, 126, 0, 0]);
  header.writeUInt16BE(body.length, 2);
  return Buffer.concat([header, body]);
}

/** A close frame payload: the code, then the UTF-8 reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return payload;
}

export interface ParsedFrame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  /** Unmasked. */
  readonly payload: Buffer;
}

/** Collects the frames a client writes to a raw server socket, unmasking them. */
export class FrameReader {
  readonly frames: ParsedFrame[] = [];
  #buffered = Buffer.alloc(0);
  readonly #waiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(socket: net.Socket, initial: Buffer = Buffer.alloc(0)) {
    socket.on('data', (chunk: Buffer) => this.push(chunk));
    if (initial.length > 0) this.push(initial);
  }

  push(chunk: Buffer): void {
    this.#buffered = Buffer.concat([this.#buffered, chunk]);
    for (;;) {
      const frame = this.#parseOne();
      if (frame === undefined) break;
      this.frames.push(frame);
    }
    for (const waiter of [...this.#waiters]) {
      if (this.frames.length >= waiter.count) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  /** Resolves with the frame at `index` once it has arrived. */
  async frame(index: number): Promise<ParsedFrame> {
    if (this.frames.length <= index) {
      await new Promise<void>((resolve) => this.#waiters.push({ count: index + 1, resolve }));
    }
    return this.frames[index] as ParsedFrame;
  }

  #parseOne(): ParsedFrame | undefined {
    const data = this.#buffered;
    if (data.length < 2) return undefined;
    const first = data[0] as number;
    const second = data[1] as number;
    let length = second & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (data.length < 4) return undefined;
      length = data.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (data.length < 10) return undefined;
      length = Number(data.readBigUInt64BE(2));
      offset = 10;
    }
    const masked = (second & 0x80) !== 0;
    const maskOffset = offset;
    if (masked) offset += 4;
    if (data.length < offset + length) return undefined;
    const payload = Buffer.from(data.subarray(offset, offset + length));
    if (masked) {
      for (let i = 0; i < payload.length; i++) {
        payload[i] = (payload[i] as number) ^ (data[maskOffset + (i % 4)] as number);
      }
    }
    this.#buffered = data.subarray(offset + length);
    return {
      fin: (first & 0x80) !== 0,
      rsv1: (first & 0x40) !== 0,
      opcode: first & 0x0f,
      masked,
      payload,
    };
  }
}

export interface ProxyRequest {
  /** `host:port` from the CONNECT line. */
  readonly authority: string;
  readonly headers: Record<string, string>;
}

export interface ConnectProxy {
  readonly port: number;
  /** `http://127.0.0.1:port` */
  readonly url: string;
  readonly requests: ProxyRequest[];
}

/**
 * An HTTP proxy that only knows CONNECT (RFC 9110 §9.3.6): it records each request, then either
 * answers `refuse` (e.g. `407 Proxy Authentication Required`) or opens the tunnel and pipes both
 * ways. Only loopback targets are allowed.
 */
export async function startConnectProxy(
  options: { refuse?: string; host?: string } = {},
): Promise<ConnectProxy> {
  const requests: ProxyRequest[] = [];
  const host = options.host ?? LOOPBACK;
  const server = await startRawServer((socket) => {
    readRequestHead(socket).then(
      (head) => {
        const [method, target] = head.requestLine.split(' ');
        requests.push({ authority: target ?? '', headers: head.headers });
        if (options.refuse !== undefined) {
          socket.end(`HTTP/1.1 ${options.refuse}\r\nContent-Length: 0\r\n\r\n`);
          return;
        }
        const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target ?? '');
        const targetHost = match?.[1];
        // Names under .test (RFC 6761 §6.2, never real) stand for this machine: the client
        // sends them to the proxy unresolved, as it would a remote host.
        const isTestName = targetHost?.endsWith('.test') === true;
        if (
          method !== 'CONNECT' ||
          match === null ||
          (targetHost !== LOOPBACK && targetHost !== '::1' && !isTestName)
        ) {
          socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        const upstream = net.connect({
          host: isTestName ? LOOPBACK : targetHost,
          port: Number(match[2]),
        });
        upstream.on('error', () => socket.destroy());
        socket.on('close', () => upstream.destroy());
        upstream.on('close', () => socket.destroy());
        upstream.once('connect', () => {
          socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          if (head.rest.length > 0) upstream.write(head.rest);
          socket.pipe(upstream);
          upstream.pipe(socket);
        });
      },
      () => {},
    );
  }, host);
  return { port: server.port, url: `http://${authority(host, server.port)}`, requests };
}

/** A loopback port with nothing listening on it (bound, then released). */
export async function closedPort(host = LOOPBACK): Promise<number> {
  const server = net.createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether ::1 can be bound on this machine (IPv6 loopback tests skip otherwise). */
export async function ipv6LoopbackAvailable(): Promise<boolean> {
  const server = net.createServer();
  try {
    server.listen(0, '::1');
    await once(server, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const PROXY_VARIABLES = [
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'ALL_PROXY',
  'all_proxy',
  'NO_PROXY',
  'no_proxy',
];

/**
 * Removes the proxy variables from process.env (so an ambient proxy cannot reroute loopback
 * tests) and returns a function that restores them exactly.
 */
export function clearProxyEnvironment(): () => void {
  const saved = new Map<string, string | undefined>();
  for (const name of PROXY_VARIABLES) {
    saved.set(name, process.env[name]);
    delete process.env[name];
  }
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
