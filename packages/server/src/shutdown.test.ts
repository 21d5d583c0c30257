import { PeerState } from '@wskit/core';
import { describe, expect, test } from 'vitest';
import { type ClosablePeer, closeAllPeers } from './shutdown.js';

class FakePeer implements ClosablePeer {
  readyState: number = PeerState.OPEN;
  readonly calls: string[] = [];
  readonly closed: Promise<void>;
  #resolve!: () => void;
  constructor(readonly answersClose: boolean) {
    this.closed = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }
  close(code?: number, reason?: string): void {
    this.calls.push(`close ${code} ${reason}`);
    this.readyState = PeerState.CLOSING;
    if (this.answersClose) setTimeout(() => this.finish(), 1);
  }
  terminate(): void {
    this.calls.push('terminate');
    this.finish();
  }
  finish(): void {
    this.readyState = PeerState.CLOSED;
    this.#resolve();
  }
}

describe('closeAllPeers: graceful shutdown', () => {
  test('1001 to every open peer; those that answer are not terminated', async () => {
    const peers = [new FakePeer(true), new FakePeer(true)];
    await closeAllPeers(peers, {}, 1_000, (peer) => peer.closed);
    for (const peer of peers) expect(peer.calls).toEqual(['close 1001 server shutting down']);
  });

  test('a peer that never answers is terminated after the timeout; custom code and reason', async () => {
    const quiet = new FakePeer(false);
    const polite = new FakePeer(true);
    await closeAllPeers(
      [quiet, polite],
      { code: 1012, reason: 'restart', timeout: 20 },
      1_000,
      (peer) => peer.closed,
    );
    expect(quiet.calls).toEqual(['close 1012 restart', 'terminate']);
    expect(polite.calls).toEqual(['close 1012 restart']);
  });

  test('a peer whose close throws is terminated at once', async () => {
    const broken = new FakePeer(false);
    broken.close = () => {
      throw new Error('socket gone');
    };
    await closeAllPeers([broken], {}, 1_000, (peer) => peer.closed);
    expect(broken.calls).toEqual(['terminate']);
  });
});
