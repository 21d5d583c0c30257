import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { HttpHeadParser, type WebSocketError } from '@wskit/core';
import { UPGRADE_REQUIRED } from '@wskit/server';
import { HeadRequest } from './head-request.js';

/** What the acceptor hands a complete request head to: the WebSocketServer. */
export interface HeadTarget {
  /** An upgrade request (it has an Upgrade header): check it and answer it. */
  upgradeHead(request: HeadRequest, socket: net.Socket, rest: Buffer): void;
}

/** A request head being read: its parser (from the second chunk on) and its deadline. */
interface HeadState {
  parser: HttpHeadParser<'request'> | undefined;
  /** On `performance.now()`'s clock. */
  readonly deadline: number;
}

const MAX_TICK = 1_000;
const MIN_TICK = 5;

/**
 * A standalone server's HTTP/1.1 front (plain TCP): a `net.Server` that reads each request head
 * with the core's `HttpHeadParser` and hands upgrades to the WebSocketServer, with no
 * `http.Server` in between: no HTTP parser, `IncomingMessage` or `ServerResponse` per
 * connection, and nothing of them left on the socket afterwards (handshakes per second and
 * idle memory, packages/bench). Plain requests get 426 (RFC 7231 §6.5.15), malformed heads
 * 400 and oversized ones 431, as from the http front; a head that does not arrive within the
 * handshake timeout gets 408 (slowloris), checked by one sweep over the sockets still reading
 * rather than a timer per connection.
 */
export class StandaloneAcceptor {
  readonly server: net.Server;
  readonly #target: HeadTarget;
  readonly #timeout: number;
  /**
   * Sockets whose request head is still being read. A Map, not a property on the socket: one
   * property more than net.Socket's own costs a backing store kept for the connection's life.
   */
  readonly #reading = new Map<net.Socket, HeadState>();
  #sweeper: ReturnType<typeof setInterval> | undefined;
  readonly #onConnection: (socket: net.Socket) => void;
  readonly #onData: (this: net.Socket, chunk: Buffer) => void;
  readonly #onClose: (this: net.Socket) => void;

  /** `timeout`: ms for the whole head to arrive; 0 disables the limit. */
  constructor(target: HeadTarget, timeout: number) {
    this.#target = target;
    this.#timeout = timeout;
    const acceptor = this;
    // One function each per server, shared by every connection: `this` is the socket.
    this.#onConnection = (socket) => acceptor.#accept(socket);
    this.#onData = function (this: net.Socket, chunk: Buffer) {
      acceptor.#read(this, chunk);
    };
    this.#onClose = function (this: net.Socket) {
      acceptor.#forget(this);
    };
    // Not half-open: a client's FIN ends our side too (Duplex allowHalfOpen), with no listener.
    this.server = net.createServer({ allowHalfOpen: false, noDelay: true }, this.#onConnection);
  }

  /** Shutdown: drops the connections still sending their request head. */
  destroyReading(): void {
    for (const socket of this.#reading.keys()) socket.destroy();
    this.#reading.clear();
    this.#stopSweeping();
  }

  #accept(socket: net.Socket): void {
    this.#reading.set(socket, {
      parser: undefined,
      deadline: this.#timeout > 0 ? performance.now() + this.#timeout : Number.POSITIVE_INFINITY,
    });
    socket.on('data', this.#onData);
    socket.on('error', ignoreError);
    socket.on('close', this.#onClose);
    if (this.#timeout > 0) {
      this.#sweeper ??= startSweeping(
        this,
        Math.max(MIN_TICK, Math.min(MAX_TICK, this.#timeout / 4)),
      );
    }
  }

  #read(socket: net.Socket, chunk: Buffer): void {
    const state = this.#reading.get(socket);
    if (state === undefined) return;
    state.parser ??= new HttpHeadParser({ kind: 'request' });
    let parsed: ReturnType<HttpHeadParser<'request'>['feed']>;
    try {
      parsed = state.parser.feed(chunk);
    } catch (error) {
      // 400 for a malformed head, 431 for one too large (the parser's status).
      this.#forget(socket);
      rejectHead(socket, (error as WebSocketError).status ?? 400, 'Bad Request');
      return;
    }
    if (parsed === undefined) return;
    this.#forget(socket);
    // Nothing is read until the peer's driver takes over (or the refusal is written).
    socket.pause();
    const request = new HeadRequest(parsed.head, socket);
    if (request.header('upgrade') === undefined) {
      respondUpgradeRequired(socket);
      return;
    }
    const rest = parsed.rest;
    this.#target.upgradeHead(
      request,
      socket,
      Buffer.isBuffer(rest) ? rest : Buffer.from(rest.buffer, rest.byteOffset, rest.byteLength),
    );
  }

  /** The head is complete, refused or gone: the acceptor's listeners leave the socket. */
  #forget(socket: net.Socket): void {
    if (!this.#reading.delete(socket)) return;
    socket.removeListener('data', this.#onData);
    socket.removeListener('error', ignoreError);
    socket.removeListener('close', this.#onClose);
  }

  /** @internal One pass over the sockets still reading their head: 408 past the deadline. */
  sweep(now: number): void {
    for (const [socket, state] of this.#reading) {
      if (now < state.deadline) continue;
      this.#forget(socket);
      // As the http front's headersTimeout: 408, not reported (no WebSocket request yet).
      rejectHead(socket, 408, 'Request Timeout');
    }
    if (this.#reading.size === 0) this.#stopSweeping();
  }

  #stopSweeping(): void {
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }
}

function startSweeping(acceptor: StandaloneAcceptor, tick: number): ReturnType<typeof setInterval> {
  // A monotonic clock: a stepped wall clock would refuse every pending handshake at once.
  const timer = setInterval(() => acceptor.sweep(performance.now()), tick);
  timer.unref();
  return timer;
}

function ignoreError(): void {}

/** A refusal before any WebSocket logic: the status line, then the connection ends. */
function rejectHead(socket: Duplex, status: number, reason: string): void {
  if (socket.destroyed) return;
  socket.on('error', ignoreError);
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  // Never keep a refused socket around waiting for the client.
  setTimeout(destroy, 1_000, socket).unref();
}

function destroy(socket: Duplex): void {
  socket.destroy();
}

/** A plain HTTP request to a WebSocket-only server gets a clear answer, not a hang. */
function respondUpgradeRequired(socket: Duplex): void {
  const body = Buffer.from(UPGRADE_REQUIRED.body);
  const lines = [
    `HTTP/1.1 ${UPGRADE_REQUIRED.status} Upgrade Required`,
    ...UPGRADE_REQUIRED.headers.map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${body.length}`,
    'Connection: Upgrade, close',
  ];
  socket.on('error', ignoreError);
  socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]));
  setTimeout(destroy, 1_000, socket).unref();
}
