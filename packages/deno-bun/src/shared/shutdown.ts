import { PeerState } from '@wskit/core';
import type { BasePeer } from './peer.js';

export interface CloseServerOptions {
  /** Close code sent to every peer. Default 1001 (going away). */
  code?: number;
  reason?: string;
  /** How long to wait for closing handshakes before dropping peers. Default `closeTimeout`. */
  timeout?: number;
}

/**
 * Graceful shutdown of a set of peers, as @wskit/node does it: a close frame (1001 by
 * default) to each, a wait for the closing handshakes up to `timeout`, then `terminate` for
 * whoever is left. Resolves when every close hook has run.
 */
export async function closeAllPeers(
  peers: Iterable<BasePeer<unknown>>,
  options: CloseServerOptions,
  defaultTimeout: number,
): Promise<void> {
  const code = options.code ?? 1001;
  const reason = options.reason ?? 'server shutting down';
  const timeout = options.timeout ?? defaultTimeout;
  const closing = [...peers];
  for (const peer of closing) {
    if (peer.readyState !== PeerState.OPEN) continue;
    try {
      peer.close(code, reason);
    } catch {
      peer.terminate();
    }
  }
  const all = Promise.all(closing.map((peer) => peer.closed));
  if (await settlesWithin(all, timeout)) return;
  for (const peer of closing) if (peer.readyState !== PeerState.CLOSED) peer.terminate();
  // A runtime that cannot drop a socket (Deno) gets one more grace period, then we move on.
  await settlesWithin(all, timeout);
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
