// One raw WebSocket connection after the opening handshake, shared by the raw client (which
// masks what it sends) and the raw server (which does not). It sends whatever bytes a case
// crafts and records, in order, every frame the peer sends and when the TCP connection closed.

import type { Socket } from 'node:net';
import { concatBytes, delay, toBytes } from './bytes.js';
import type { DeflateSession } from './deflate.js';
import {
  closePayload,
  encodeFrame,
  FrameParser,
  type FrameSpec,
  Opcode,
  type ReceivedFrame,
} from './frame.js';

export type Role = 'client' | 'server';

/** Write `size`-byte pieces, pausing `delayMs` between them (0: yield to the event loop). */
export interface Chop {
  size: number;
  delayMs?: number;
}

export type ConnectionEvent =
  | { type: 'frame'; frame: ReceivedFrame; at: number }
  /** The peer half-closed its side (TCP FIN). */
  | { type: 'end'; at: number }
  /** The socket is fully closed; `byPeer` is false when this side destroyed it first. */
  | { type: 'closed'; at: number; byPeer: boolean; error?: string }
  /** The peer's byte stream could not be delimited into frames any further. */
  | { type: 'unparsable'; at: number; reason: string };

export interface RawConnectionOptions {
  /** Negotiated permessage-deflate state, when the handshake agreed on it. */
  deflate?: DeflateSession;
  /** Answer the peer's pings (default true): a testee may send heartbeat pings at any time. */
  autoPong?: boolean;
  /**
   * Answer the peer's close frame with a close frame carrying the same code, unless this side
   * already sent one (default true). The raw server then also closes TCP (RFC 6455 §7.1.1).
   */
  autoCloseReply?: boolean;
}

export class RawConnection {
  /** Every frame the peer sent, in order. */
  readonly frames: ReceivedFrame[] = [];
  /** Frames and TCP events, in order, with `performance.now()` times. */
  readonly events: ConnectionEvent[] = [];
  readonly deflate: DeflateSession | undefined;
  /** Set once this side has written a close frame. */
  closeSentAt: number | undefined;
  /** The status code of that close frame (undefined when it had none). */
  closeSentCode: number | undefined;
  /** The peer's first close frame, and when it arrived. */
  closeReceived: ReceivedFrame | undefined;
  closeReceivedAt: number | undefined;
  /** When the peer closed TCP (FIN or reset), if it did. */
  peerClosedAt: number | undefined;
  /** When this side half-closed or destroyed the socket, if it did. */
  localClosedAt: number | undefined;
  /** Whether the socket is fully closed. */
  socketClosed = false;

  readonly #parser = new FrameParser();
  readonly #waiters = new Set<() => void>();
  readonly #autoPong: boolean;
  readonly #autoCloseReply: boolean;

  constructor(
    readonly socket: Socket,
    readonly role: Role,
    head: Uint8Array,
    options: RawConnectionOptions = {},
  ) {
    this.deflate = options.deflate;
    this.#autoPong = options.autoPong ?? true;
    this.#autoCloseReply = options.autoCloseReply ?? true;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('end', () => {
      this.#markPeerClosed();
      this.#record({ type: 'end', at: performance.now() });
      // The peer will send nothing more: finish our half too, after what is already queued.
      this.#endLocal();
    });
    socket.on('error', () => {
      // Reported through 'close'; a reset or a write after the peer left is expected here.
    });
    socket.on('close', (hadError: boolean) => {
      const byPeer =
        this.localClosedAt === undefined || this.peerClosedAt !== undefined || hadError;
      if (byPeer) this.#markPeerClosed();
      this.socketClosed = true;
      this.#record({
        type: 'closed',
        at: performance.now(),
        byPeer,
        ...(hadError ? { error: 'connection reset' } : {}),
      });
    });
    // Frames that arrived in the same packet as the end of the handshake come first.
    if (head.length > 0) this.#receive(head);
    socket.resume();
  }

  /** Whether the peer has closed TCP or the socket is gone. */
  get peerGone(): boolean {
    return this.peerClosedAt !== undefined || this.socketClosed;
  }

  /** Encodes one frame for this role (clients mask, servers do not). */
  encode(spec: FrameSpec): Uint8Array {
    return encodeFrame(spec, { mask: this.role === 'client' });
  }

  /**
   * Writes raw bytes, optionally chopped; resolves once written (or once the connection is gone,
   * since a failing peer may close while a case is still sending).
   */
  async write(bytes: Uint8Array, chop?: Chop): Promise<void> {
    if (!chop || chop.size >= bytes.length) {
      await this.#writeChunk(bytes);
      return;
    }
    for (let offset = 0; offset < bytes.length; offset += chop.size) {
      if (this.peerGone) return;
      await this.#writeChunk(bytes.subarray(offset, offset + chop.size));
      if (offset + chop.size < bytes.length) await delay(chop.delayMs ?? 0);
    }
  }

  /** Sends frames back to back (one write), chopped, or one write per frame with a pause. */
  async sendFrames(
    specs: readonly FrameSpec[],
    options: { chop?: Chop; frameDelayMs?: number } = {},
  ) {
    for (const spec of specs) {
      if (spec.opcode !== Opcode.close || this.closeSentAt !== undefined) continue;
      this.closeSentAt = performance.now();
      const payload = toBytes(spec.payload ?? '');
      this.closeSentCode =
        payload.length >= 2 ? ((payload[0] as number) << 8) | (payload[1] as number) : undefined;
    }
    if (options.frameDelayMs === undefined) {
      await this.write(concatBytes(specs.map((spec) => this.encode(spec))), options.chop);
      return;
    }
    for (const [index, spec] of specs.entries()) {
      if (this.peerGone) return;
      await this.write(this.encode(spec), options.chop);
      if (index < specs.length - 1) await delay(options.frameDelayMs);
    }
  }

  sendFrame(spec: FrameSpec, chop?: Chop): Promise<void> {
    return this.sendFrames([spec], chop ? { chop } : {});
  }

  /** Sends a close frame (RFC 6455 §5.5.1). */
  sendClose(code?: number, reason?: string | Uint8Array): Promise<void> {
    return this.sendFrame({ opcode: Opcode.close, payload: closePayload(code, reason) });
  }

  /** Resolves true as soon as `predicate` holds, false after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        resolve(predicate());
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  /** Waits until the peer closed TCP (or the socket is gone). */
  waitForPeerClose(timeoutMs: number): Promise<boolean> {
    return this.waitFor(() => this.peerGone, timeoutMs);
  }

  /**
   * Closes TCP the way a server does after the closing handshake: half-close, then destroy if
   * the peer has not closed its side within `graceMs`.
   */
  async closeTcp(graceMs = 1000): Promise<void> {
    this.#endLocal();
    if (!(await this.waitFor(() => this.socketClosed, graceMs))) this.destroy();
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.localClosedAt ??= performance.now();
    this.socket.destroy();
  }

  #endLocal(): void {
    if (this.localClosedAt !== undefined || this.socket.destroyed) return;
    this.localClosedAt = performance.now();
    this.socket.end();
  }

  #markPeerClosed(): void {
    this.peerClosedAt ??= performance.now();
  }

  #writeChunk(bytes: Uint8Array): Promise<void> {
    if (this.socket.destroyed || this.socket.writableEnded) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('close', done);
        this.socket.off('drain', done);
        resolve();
      };
      // Wait for the kernel to take the bytes when the socket buffers them, or for the socket
      // to go away: a peer that failed the connection stops reading.
      if (this.socket.write(bytes)) resolve();
      else {
        this.socket.once('drain', done);
        this.socket.once('close', done);
      }
    });
  }

  #record(event: ConnectionEvent): void {
    this.events.push(event);
    for (const waiter of [...this.#waiters]) waiter();
  }

  #receive(chunk: Uint8Array): void {
    for (const frame of this.#parser.push(chunk)) {
      this.frames.push(frame);
      this.#react(frame);
      this.#record({ type: 'frame', frame, at: performance.now() });
    }
    if (this.#parser.error !== undefined) {
      this.#record({ type: 'unparsable', at: performance.now(), reason: this.#parser.error });
      this.destroy();
    }
  }

  /** The automatic answers every endpoint gives: pong for ping, close for close. */
  #react(frame: ReceivedFrame): void {
    if (frame.opcode === Opcode.ping && this.#autoPong && this.closeSentAt === undefined) {
      void this.sendFrame({ opcode: Opcode.pong, payload: frame.payload });
      return;
    }
    if (frame.opcode !== Opcode.close || this.closeReceived !== undefined) return;
    this.closeReceived = frame;
    this.closeReceivedAt = performance.now();
    if (!this.#autoCloseReply) return;
    const afterReply = () => {
      // RFC 6455 §7.1.1: once both close frames are exchanged, the server closes TCP first.
      if (this.role === 'server') void this.closeTcp();
    };
    if (this.closeSentAt !== undefined) {
      afterReply();
      return;
    }
    // Echo the status code (RFC 6455 §5.5.1); an unreadable payload gets an empty close.
    const payload = frame.payload;
    const code =
      payload.length >= 2 ? ((payload[0] as number) << 8) | (payload[1] as number) : undefined;
    void this.sendClose(code).then(afterReply);
  }
}
