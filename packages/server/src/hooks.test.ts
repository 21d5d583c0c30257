import type { Hooks, Peer } from '@wskit/core';
import { WebSocketMessage } from '@wskit/core';
import { describe, expect, test, vi } from 'vitest';
import { consoleReporter, HookDispatcher } from './hooks.js';

const peer = { id: 'p1' } as unknown as Peer<unknown>;
const message = new WebSocketMessage(new TextEncoder().encode('hi'), false);

function dispatcherWith(hooks: Hooks<unknown>) {
  const reported: Array<[string, string]> = [];
  const dispatcher = new HookDispatcher(hooks, (error, source) =>
    reported.push([source, error.message]),
  );
  return { dispatcher, reported };
}

/** Lets rejected hook promises settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('HookDispatcher: one error rule for every adapter', () => {
  test('calls each hook with the peer (and the message or close details)', () => {
    const calls: string[] = [];
    const { dispatcher } = dispatcherWith({
      open: (p) => void calls.push(`open ${p.id}`),
      message: (p, m) => void calls.push(`message ${p.id} ${m.text()}`),
      close: (p, d) => void calls.push(`close ${p.id} ${d.code}`),
      drain: (p) => void calls.push(`drain ${p.id}`),
    });
    dispatcher.open(peer);
    dispatcher.message(peer, message);
    dispatcher.drain(peer);
    dispatcher.close(peer, { code: 1000, reason: '', wasClean: true });
    expect(calls).toEqual(['open p1', 'message p1 hi', 'drain p1', 'close p1 1000']);
    expect(dispatcher.wantsMessages).toBe(true);
    expect(dispatcherWith({}).dispatcher.wantsMessages).toBe(false);
  });

  test('a hook that throws or rejects goes to the error hook, not up the stack', async () => {
    const errors: string[] = [];
    const { dispatcher, reported } = dispatcherWith({
      message: () => {
        throw new Error('sync');
      },
      open: async () => {
        throw new Error('async');
      },
      close: () => {
        // biome-ignore lint/style/useThrowOnlyError: a hook may throw anything.
        throw 'a string';
      },
      error: (_peer, error) => void errors.push(error.message),
    });
    expect(() => dispatcher.message(peer, message)).not.toThrow();
    dispatcher.open(peer);
    dispatcher.close(peer, { code: 1006, reason: '', wasClean: false });
    await settle();
    expect(errors).toEqual(['sync', 'a string', 'async']);
    expect(reported).toEqual([]);
  });

  test('without an error hook, or when the error hook throws, the reporter gets it', async () => {
    const { dispatcher, reported } = dispatcherWith({
      message: () => {
        throw new Error('no one listens');
      },
      drain: async () => {
        throw new Error('late');
      },
    });
    dispatcher.message(peer, message);
    dispatcher.drain(peer);
    await settle();
    expect(reported).toEqual([
      ['message', 'no one listens'],
      ['drain', 'late'],
    ]);

    const failing = dispatcherWith({
      message: () => {
        throw new Error('first');
      },
      error: () => {
        throw new Error('the error hook broke too');
      },
    });
    failing.dispatcher.message(peer, message);
    expect(failing.reported).toEqual([['error', 'the error hook broke too']]);
  });

  test('protocol errors of a peer reach the error hook only: no log a client could flood', () => {
    const { dispatcher, reported } = dispatcherWith({});
    dispatcher.error(peer, new Error('bad frame'));
    expect(reported).toEqual([]);
  });

  test('the console reporter prints one line with the prefix and what to do', () => {
    const print = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      consoleReporter('[@wskit/x]')(new Error('boom'), 'message');
      consoleReporter('[@wskit/x]')(new Error('boom'), 'upgrade');
      expect(print.mock.calls.map((call) => call[0])).toEqual([
        '[@wskit/x] the message hook failed (add an error hook to handle this):',
        '[@wskit/x] the upgrade hook failed (the client got 500 Internal Server Error):',
      ]);
    } finally {
      print.mockRestore();
    }
  });
});
