import { CloseCode, PeerState } from '@wskit/core';
import { MAX_TIMER_DELAY } from './options.js';

/** How a server shuts down: the close code and reason sent, and how long to wait. */
export interface CloseServerOptions {
  /** Close code sent to every peer. Default 1001 (going away). */
  code?: number;
  reason?: string;
  /** How long to wait for closing handshakes before dropping peers. Default `closeTimeout`. */
  timeout?: number;
}

/** A peer as the shutdown sees it, on any runtime. */
export interface ClosablePeer {
  readonly readyState: number;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Drops the connection without one. */
  terminate(): void;
}

/**
 * Graceful shutdown of a set of peers, the same on every runtime: a close frame (1001 by
 * default) to each open peer, a wait for the closing handshakes up to `timeout`, `terminate`
 * for whoever is left, and one more grace period for runtimes that cannot drop a socket at
 * once (Deno's terminate is a close frame). Resolves when every peer reported its close, or
 * after the grace period.
 */
export async function closeAllPeers<Peer extends ClosablePeer>(
  peers: Iterable<Peer>,
  options: CloseServerOptions,
  defaultTimeout: number,
  closed: (peer: Peer) => Promise<void>,
): Promise<void> {
  const code = options.code ?? CloseCode.GOING_AWAY;
  const reason = options.reason ?? 'server shutting down';
  const timeout = options.timeout ?? defaultTimeout;
  const closing = [...peers];
  const all = Promise.all(closing.map(closed));
  for (const peer of closing) {
    if (peer.readyState !== PeerState.OPEN) continue;
    try {
      peer.close(code, reason);
    } catch {
      peer.terminate();
    }
  }
  if (await settlesWithin(all, timeout)) return;
  for (const peer of closing) if (peer.readyState !== PeerState.CLOSED) peer.terminate();
  await settlesWithin(all, timeout);
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<false>((resolve) => {
    // A timeout of Infinity (or past what a timer can count) waits instead of firing at once.
    timer = setTimeout(() => resolve(false), Math.min(ms, MAX_TIMER_DELAY));
  });
  try {
    return await Promise.race([promise.then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
