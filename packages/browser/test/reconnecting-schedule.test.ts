// ReconnectingWebSocket's schedule and state machine under fake timers, over a scripted
// WebSocket (test/rs-helpers/fake-websocket.ts): backoff sequence, retry limit, stop codes,
// online/offline, heartbeat timing, the send queue, and that close() leaves no timer behind.
// The same behaviours over real sockets are in reconnecting-websocket.test.ts.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { backoffDelay, resolveBackoff } from '../src/reconnect-backoff.js';
import type { ReconnectingCloseEvent, ReconnectingEvent } from '../src/reconnect-events.js';
import { SendQueue, utf8Length } from '../src/reconnect-queue.js';
import {
  type ReconnectCloseInfo,
  ReconnectingWebSocket,
  type ReconnectingWebSocketOptions,
} from '../src/reconnecting-websocket.js';
import {
  FakeConnectivity,
  FakeWebSocket,
  FakeWebSocketClass,
} from './rs-helpers/fake-websocket.js';

const URL_ = 'ws://example.test/socket';

function make(options: ReconnectingWebSocketOptions = {}) {
  const socket = new ReconnectingWebSocket(URL_, {
    WebSocket: FakeWebSocketClass,
    connectivity: null,
    random: () => 0,
    ...options,
  });
  const log: string[] = [];
  const closes: ReconnectingCloseEvent[] = [];
  const reconnecting: Array<[attempt: number, delay: number]> = [];
  socket.addEventListener('open', () => log.push('open'));
  socket.addEventListener('close', (event) => {
    closes.push(event);
    log.push(`close ${event.code} ${event.willReconnect ? 'retry' : 'final'}`);
  });
  socket.addEventListener('reconnecting', (event) => {
    reconnecting.push([event.attempt, event.delay]);
    log.push(`reconnecting ${event.attempt} ${event.delay}`);
  });
  socket.addEventListener('reconnected', (event) => log.push(`reconnected ${event.attempt}`));
  socket.addEventListener('message', (event) => log.push(`message ${String(event.data)}`));
  socket.addEventListener('error', () => log.push('error'));
  return { socket, log, closes, reconnecting };
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('backoff: min(maxDelay, initialDelay × factor^(n−1)) × (1 − jitter × random)', () => {
  test('the default schedule doubles from 1 s up to 30 s', () => {
    const backoff = resolveBackoff({});
    const delays = [1, 2, 3, 4, 5, 6, 7, 50].map((attempt) =>
      backoffDelay(attempt, backoff, () => 0),
    );
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  test('jitter only shortens, by at most the jitter share', () => {
    const backoff = resolveBackoff({ initialDelay: 1000, jitter: 0.5 });
    expect(backoffDelay(1, backoff, () => 0)).toBe(1000);
    expect(backoffDelay(1, backoff, () => 0.5)).toBe(750);
    expect(backoffDelay(1, backoff, () => 0.999_999)).toBe(500);
    expect(backoffDelay(10, backoff, () => 0.5)).toBe(22_500);
  });

  test('no overflow or NaN: huge attempts stay at maxDelay, a zero initialDelay stays 0', () => {
    expect(backoffDelay(100_000, resolveBackoff({}), () => 0)).toBe(30_000);
    expect(backoffDelay(100_000, resolveBackoff({ initialDelay: 0 }), () => 0)).toBe(0);
  });

  test('invalid options throw RangeError', () => {
    expect(() => resolveBackoff({ factor: 0.5 })).toThrow(RangeError);
    expect(() => resolveBackoff({ jitter: 2 })).toThrow(RangeError);
    expect(() => resolveBackoff({ initialDelay: -1 })).toThrow(RangeError);
  });

  test('the errors name the option and its bounds', () => {
    expect(() => resolveBackoff({ jitter: 2 })).toThrow(
      new RangeError('ReconnectingWebSocket: jitter must be a number in [0, 1], got 2'),
    );
    expect(() => resolveBackoff({ factor: 0.5 })).toThrow(
      'ReconnectingWebSocket: factor must be a number in [1, Infinity], got 0.5',
    );
    expect(() => make({ maxRetries: Number.NaN })).toThrow(
      'ReconnectingWebSocket: maxRetries must be a number in [0, Infinity], got NaN',
    );
    expect(() => make({ minUptime: '5' as never })).toThrow(RangeError);
  });

  test('each retry happens exactly after the announced delay (injected random)', () => {
    const { socket, reconnecting } = make({
      initialDelay: 100,
      factor: 3,
      maxDelay: 2000,
      jitter: 0.2,
      random: () => 0.5,
    });
    const expected = [90, 270, 810, 1800, 1800];
    for (const [index, delay] of expected.entries()) {
      FakeWebSocket.last.fail();
      expect(reconnecting.at(-1)).toEqual([index + 1, delay]);
      expect(socket.readyState).toBe(ReconnectingWebSocket.CONNECTING);
      vi.advanceTimersByTime(delay - 1);
      expect(FakeWebSocket.instances).toHaveLength(index + 1);
      vi.advanceTimersByTime(1);
      expect(FakeWebSocket.instances).toHaveLength(index + 2);
    }
    socket.close();
  });

  test('no delay is longer than a timer can wait: an endless backoff is not a retry storm', () => {
    // A timer asked for more than 2^31 − 1 ms fires at once (the fake timers do the same).
    const backoff = resolveBackoff({ maxDelay: Infinity });
    expect(backoffDelay(40, backoff, () => 0)).toBe(2 ** 31 - 1);
    const { socket, reconnecting } = make({ maxDelay: Infinity, initialDelay: 2 ** 32 });
    FakeWebSocket.last.fail();
    expect(reconnecting).toEqual([[1, 2 ** 31 - 1]]);
    vi.advanceTimersByTime(1000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(2 ** 31 - 1 - 1000);
    expect(FakeWebSocket.instances).toHaveLength(2);
    socket.close();
  });
});

describe('connect timeout', () => {
  test('Infinity turns it off: a hanging handshake is left to the socket', () => {
    const { socket, log } = make({ connectTimeout: Infinity });
    vi.advanceTimersByTime(60_000);
    expect(log).toEqual([]);
    expect(FakeWebSocket.last.closeCalls).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    FakeWebSocket.last.open();
    expect(log).toEqual(['open']);
    socket.close();
  });

  test('a finite timeout beyond what a timer can wait does not fire at once', () => {
    const { socket, log } = make({ connectTimeout: 2 ** 33 });
    vi.advanceTimersByTime(60_000);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(2 ** 31);
    expect(log).toEqual(['close 1006 retry', 'reconnecting 1 1000']);
    socket.close();
  });
});

describe('retry limit', () => {
  test('maxRetries: 3 makes 3 retries, then a final close; no timer is left', () => {
    const { socket, reconnecting, closes } = make({ maxRetries: 3, initialDelay: 10 });
    for (let i = 0; i < 4; i++) {
      FakeWebSocket.last.fail();
      vi.runOnlyPendingTimers();
    }
    expect(FakeWebSocket.instances).toHaveLength(4);
    expect(reconnecting.map(([attempt]) => attempt)).toEqual([1, 2, 3]);
    expect(closes.map((event) => event.willReconnect)).toEqual([true, true, true, false]);
    expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('maxRetries: 0 never reconnects', () => {
    const { socket, closes } = make({ maxRetries: 0 });
    FakeWebSocket.last.open();
    FakeWebSocket.last.closed(1001);
    expect(closes.map((event) => [event.code, event.willReconnect])).toEqual([[1001, false]]);
    expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('a connection that stays up minUptime resets the count; a shorter one does not', () => {
    const { socket, reconnecting } = make({ initialDelay: 10, minUptime: 1000, maxRetries: 2 });
    FakeWebSocket.last.open();
    FakeWebSocket.last.closed(1001);
    vi.runOnlyPendingTimers();
    FakeWebSocket.last.open();
    vi.advanceTimersByTime(999);
    FakeWebSocket.last.closed(1001); // up 999 ms: counts as a failed retry
    vi.runOnlyPendingTimers();
    FakeWebSocket.last.open();
    vi.advanceTimersByTime(1000);
    FakeWebSocket.last.closed(1001); // up 1000 ms: a fresh start
    expect(reconnecting.map(([attempt]) => attempt)).toEqual([1, 2, 1]);
    socket.close();
  });
});

describe('stop codes and shouldReconnect', () => {
  test.each([1008, 4001, 4002, 4003])('close code %i from the server stops by default', (code) => {
    const { socket, closes } = make();
    FakeWebSocket.last.open();
    FakeWebSocket.last.closed(code, 'go away');
    expect(closes.map((event) => [event.code, event.reason, event.willReconnect])).toEqual([
      [code, 'go away', false],
    ]);
    expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('1000, 1001, 1006 and 1011 from the server reconnect', () => {
    const { socket, reconnecting } = make({ initialDelay: 10 });
    for (const code of [1000, 1001, 1006, 1011]) {
      FakeWebSocket.last.open();
      FakeWebSocket.last.closed(code);
      vi.runOnlyPendingTimers();
    }
    expect(reconnecting).toHaveLength(4);
    socket.close();
  });

  test('stopCodes replaces the default list', () => {
    const { socket, closes } = make({ stopCodes: [4999], initialDelay: 10 });
    FakeWebSocket.last.open();
    FakeWebSocket.last.closed(4001);
    vi.runOnlyPendingTimers();
    FakeWebSocket.last.open();
    FakeWebSocket.last.closed(4999);
    expect(closes.map((event) => [event.code, event.willReconnect])).toEqual([
      [4001, true],
      [4999, false],
    ]);
    expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
  });

  test('shouldReconnect sees the close, whether it ever opened, and the retry number', () => {
    const calls: Array<[Omit<ReconnectCloseInfo, 'error'>, number]> = [];
    const { socket, closes } = make({
      initialDelay: 10,
      shouldReconnect: ({ code, reason, wasClean, opened }, attempt) => {
        calls.push([{ code, reason, wasClean, opened }, attempt]);
        return attempt < 3;
      },
    });
    FakeWebSocket.last.open();
    FakeWebSocket.last.closed(1011, 'oops');
    vi.runOnlyPendingTimers();
    FakeWebSocket.last.fail();
    vi.runOnlyPendingTimers();
    FakeWebSocket.last.fail();
    expect(calls).toEqual([
      [{ code: 1011, reason: 'oops', wasClean: true, opened: true }, 1],
      [{ code: 1006, reason: '', wasClean: false, opened: false }, 2],
      [{ code: 1006, reason: '', wasClean: false, opened: false }, 3],
    ]);
    expect(closes.at(-1)?.willReconnect).toBe(false);
    expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('a throwing shouldReconnect stops and is reported as an error event', () => {
    const { socket, log } = make({
      shouldReconnect: () => {
        throw new Error('bug');
      },
    });
    const errors: unknown[] = [];
    socket.addEventListener('error', (event) => errors.push(event.error));
    FakeWebSocket.last.fail();
    expect(errors.at(-1)).toEqual(new Error('bug'));
    expect(log.at(-1)).toBe('close 1006 final');
  });
});

describe('events', () => {
  test("order: 'open' per connection, 'reconnected' after a reconnect's 'open'", () => {
    const { socket, log } = make({ initialDelay: 10 });
    FakeWebSocket.last.open();
    FakeWebSocket.last.receive('a');
    FakeWebSocket.last.closed(1001);
    vi.runOnlyPendingTimers();
    FakeWebSocket.last.fail();
    vi.runOnlyPendingTimers();
    FakeWebSocket.last.open();
    FakeWebSocket.last.receive('b');
    expect(log).toEqual([
      'open',
      'message a',
      'close 1001 retry',
      'reconnecting 1 10',
      'error',
      'close 1006 retry',
      'reconnecting 2 20',
      'open',
      'reconnected 2',
      'message b',
    ]);
    socket.close();
  });

  test('on* attributes: one listener each, replaceable, removable, called with this', () => {
    const { socket } = make();
    const seen: string[] = [];
    socket.onopen = function (this: ReconnectingWebSocket) {
      seen.push(this === socket ? 'first' : 'wrong this');
    };
    socket.onopen = () => seen.push('second');
    socket.onmessage = (event) => seen.push(`message ${String(event.data)}`);
    socket.onreconnecting = (event: ReconnectingEvent) =>
      seen.push(`reconnecting ${event.attempt}`);
    expect(typeof socket.onopen).toBe('function');
    FakeWebSocket.last.open();
    FakeWebSocket.last.receive('x');
    socket.onmessage = null;
    expect(socket.onmessage).toBeNull();
    FakeWebSocket.last.receive('y');
    FakeWebSocket.last.closed(1001);
    expect(seen).toEqual(['second', 'message x', 'reconnecting 1']);
    socket.close();
  });

  test('events of an abandoned socket are ignored', () => {
    const { socket, log } = make({ connectTimeout: 100, initialDelay: 10 });
    const stale = FakeWebSocket.last;
    vi.advanceTimersByTime(100);
    expect(stale.closeCalls).toEqual([[undefined, undefined]]);
    expect(log).toEqual(['close 1006 retry', 'reconnecting 1 10']);
    stale.open();
    stale.receive('late');
    stale.closed(1000);
    expect(log).toHaveLength(2);
    socket.close();
  });
});

describe('attributes', () => {
  test('readyState follows the socket, CONNECTING between attempts, CLOSED at the end', () => {
    const { socket } = make({ initialDelay: 10 });
    expect(socket.readyState).toBe(0);
    FakeWebSocket.last.open();
    expect(socket.readyState).toBe(1);
    FakeWebSocket.last.closed(1001);
    expect(socket.readyState).toBe(0);
    vi.runOnlyPendingTimers();
    FakeWebSocket.last.open();
    socket.close(1000);
    expect(socket.readyState).toBe(2);
    FakeWebSocket.last.closed(1000);
    expect(socket.readyState).toBe(3);
  });

  test('url, protocols, protocol, extensions and binaryType are forwarded', () => {
    const socket = new ReconnectingWebSocket(URL_, ['chat', 'superchat'], {
      WebSocket: FakeWebSocketClass,
      connectivity: null,
      initialDelay: 10,
    });
    expect(socket.url).toBe(URL_);
    expect(FakeWebSocket.last.protocols).toEqual(['chat', 'superchat']);
    expect(socket.binaryType).toBe('blob');
    socket.binaryType = 'arraybuffer';
    expect(FakeWebSocket.last.binaryType).toBe('arraybuffer');
    socket.binaryType = 'nodebuffer' as 'blob';
    expect(socket.binaryType).toBe('arraybuffer');
    FakeWebSocket.last.open('chat', 'permessage-deflate');
    expect([socket.protocol, socket.extensions]).toEqual(['chat', 'permessage-deflate']);
    FakeWebSocket.last.closed(1001);
    vi.runOnlyPendingTimers();
    expect(FakeWebSocket.last.binaryType).toBe('arraybuffer');
    expect(FakeWebSocket.instances).toHaveLength(2);
    socket.close();
  });

  test('constants on the class and the instance', () => {
    const { socket } = make();
    expect([socket.CONNECTING, socket.OPEN, socket.CLOSING, socket.CLOSED]).toEqual([0, 1, 2, 3]);
    expect(ReconnectingWebSocket.OPEN).toBe(1);
    socket.close();
  });

  test('a subclass binds its default class with static defaultWebSocket (what the entries do)', () => {
    class Bound extends ReconnectingWebSocket {
      static override defaultWebSocket = FakeWebSocketClass;
    }
    const socket = new Bound(URL_, { connectivity: null });
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(socket).toBeInstanceOf(ReconnectingWebSocket);
    socket.close();
  });

  test('without a WebSocket class in the runtime the constructor says what to pass', () => {
    vi.stubGlobal('WebSocket', undefined);
    expect(() => new ReconnectingWebSocket(URL_, { connectivity: null })).toThrow(
      /pass one as options.WebSocket/,
    );
    vi.unstubAllGlobals();
  });
});

describe('send queue', () => {
  test('sends while down are queued, counted in bufferedAmount, and flushed in order before open listeners run', () => {
    const { socket } = make({ initialDelay: 10 });
    socket.addEventListener('open', () => socket.send('from open'));
    socket.send('one');
    socket.send(new Uint8Array([1, 2, 3]));
    expect(socket.queuedMessages).toBe(2);
    expect(socket.bufferedAmount).toBe(6);
    FakeWebSocket.last.open();
    expect(FakeWebSocket.last.sent).toEqual(['one', new Uint8Array([1, 2, 3]), 'from open']);
    FakeWebSocket.last.closed(1001);
    socket.send('two');
    socket.send('three');
    vi.runOnlyPendingTimers();
    FakeWebSocket.last.open();
    expect(FakeWebSocket.last.sent).toEqual(['two', 'three', 'from open']);
    expect(socket.bufferedAmount).toBe(0);
    socket.close();
  });

  test('a queued message is a snapshot: reusing the buffer after send changes nothing', () => {
    const { socket } = make();
    const buffer = new Uint8Array([1, 2, 3]);
    socket.send(buffer);
    buffer.fill(9);
    FakeWebSocket.last.open();
    expect(FakeWebSocket.last.sent).toEqual([new Uint8Array([1, 2, 3])]);
    socket.close();
  });

  test("'drop-oldest' (default) keeps the newest maxMessages", () => {
    const { socket } = make({ queue: { maxMessages: 3 } });
    for (const message of ['1', '2', '3', '4', '5']) socket.send(message);
    FakeWebSocket.last.open();
    expect(FakeWebSocket.last.sent).toEqual(['3', '4', '5']);
    socket.close();
  });

  test("'drop-newest' keeps the first maxMessages", () => {
    const { socket } = make({ queue: { maxMessages: 3, overflow: 'drop-newest' } });
    for (const message of ['1', '2', '3', '4', '5']) socket.send(message);
    FakeWebSocket.last.open();
    expect(FakeWebSocket.last.sent).toEqual(['1', '2', '3']);
    socket.close();
  });

  test("'throw' throws QuotaExceededError and queues nothing more", () => {
    const { socket } = make({ queue: { maxMessages: 2, overflow: 'throw' } });
    socket.send('1');
    socket.send('2');
    expect(() => socket.send('3')).toThrow(expect.objectContaining({ name: 'QuotaExceededError' }));
    FakeWebSocket.last.open();
    expect(FakeWebSocket.last.sent).toEqual(['1', '2']);
    socket.close();
  });

  test('the byte bound counts UTF-8 bytes; drop-oldest frees just enough', () => {
    const queue = new SendQueue({ maxBytes: 10 });
    queue.push('aaaa'); // 4
    queue.push('ééé'); // 6
    expect(queue.bytes).toBe(10);
    queue.push('bb'); // needs 2: drops 'aaaa'
    expect([queue.length, queue.bytes]).toEqual([2, 8]);
    expect(queue.push('x'.repeat(11))).toBe(false); // never fits: dropped
    expect(() => new SendQueue({ maxBytes: 10, overflow: 'throw' }).push('x'.repeat(11))).toThrow(
      expect.objectContaining({ name: 'QuotaExceededError' }),
    );
    expect([queue.shift(), queue.shift(), queue.shift()]).toEqual(['ééé', 'bb', undefined]);
  });

  test('flush sends oldest first while open; a send that throws keeps it and the rest queued', () => {
    const queue = new SendQueue();
    for (const message of ['1', '2', '3']) queue.push(message);
    const sent: unknown[] = [];
    const socket = {
      readyState: 1,
      send(data: unknown) {
        if (data === '2') throw new Error('socket gone');
        sent.push(data);
      },
    };
    expect(() => queue.flush(socket)).toThrow('socket gone');
    expect([sent, queue.length, queue.bytes]).toEqual([['1'], 2, 2]);
    socket.send = (data: unknown) => {
      sent.push(data);
      if (data === '2') socket.readyState = 2; // closing: the rest waits
    };
    queue.flush(socket);
    expect([sent, queue.length]).toEqual([['1', '2'], 1]);
  });

  test('binary data is queued as a copy of its bytes; a Blob is queued as is', async () => {
    const queue = new SendQueue();
    const buffer = new Uint8Array([1, 2, 3, 4]);
    queue.push(new DataView(buffer.buffer, 1, 2));
    queue.push(buffer.buffer);
    queue.push(new Blob(['blob']));
    buffer.fill(9);
    expect(queue.bytes).toBe(2 + 4 + 4);
    expect([...(queue.shift() as Uint8Array)]).toEqual([2, 3]);
    expect([...new Uint8Array(queue.shift() as ArrayBuffer)]).toEqual([1, 2, 3, 4]);
    expect(await (queue.shift() as Blob).text()).toBe('blob');
  });

  test('an unknown overflow policy throws, naming it', () => {
    expect(() => new SendQueue({ overflow: 'drop-all' as never })).toThrow(
      new TypeError("ReconnectingWebSocket: unknown queue.overflow 'drop-all'"),
    );
  });

  test('defaults are bounded: 100 messages, 1 MiB', () => {
    const queue = new SendQueue();
    expect([queue.maxMessages, queue.maxBytes, queue.overflow]).toEqual([
      100,
      1024 * 1024,
      'drop-oldest',
    ]);
    for (let i = 0; i < 150; i++) queue.push(String(i));
    expect(queue.length).toBe(100);
    expect(queue.shift()).toBe('50');
  });

  test('utf8Length counts 1- to 4-byte sequences and lone surrogates as U+FFFD', () => {
    for (const text of ['', 'abc', 'é', '✓', '𝄞', 'héllo wörld · ✓ 日本語 · 𝄞 🎉']) {
      expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
    }
    expect(utf8Length('\ud800')).toBe(3);
    expect(utf8Length('a\udc00b')).toBe(5);
  });
});

describe('online / offline', () => {
  test('a drop while offline waits for online, then retries at once', () => {
    const connectivity = new FakeConnectivity();
    const { socket, reconnecting } = make({ connectivity, initialDelay: 1000 });
    FakeWebSocket.last.open();
    connectivity.goOffline();
    FakeWebSocket.last.closed(1006);
    expect(reconnecting).toEqual([[1, 1000]]);
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
    connectivity.goOnline();
    expect(FakeWebSocket.instances).toHaveLength(2);
    socket.close();
  });

  test('going offline holds a scheduled retry; online brings it forward', () => {
    const connectivity = new FakeConnectivity();
    const { socket } = make({ connectivity, initialDelay: 5000 });
    FakeWebSocket.last.fail();
    expect(vi.getTimerCount()).toBe(1);
    connectivity.goOffline();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    connectivity.goOnline();
    expect(FakeWebSocket.instances).toHaveLength(2);
    socket.close();
  });

  test('online while connected does nothing; close() removes the listeners', () => {
    const connectivity = new FakeConnectivity();
    const { socket } = make({ connectivity });
    expect(connectivity.listeners).toBe(2);
    FakeWebSocket.last.open();
    connectivity.goOnline();
    expect(FakeWebSocket.instances).toHaveLength(1);
    socket.close();
    expect(connectivity.listeners).toBe(0);
  });
});

describe('heartbeat', () => {
  test('pings every interval; pongs are consumed; silence for timeout closes with 4000 and reconnects', () => {
    let count = 0;
    const { socket, log } = make({
      initialDelay: 10,
      heartbeat: {
        interval: 1000,
        timeout: 2500,
        message: () => `ping ${++count}`,
        isPong: (event) => event.data === 'pong',
      },
    });
    const first = FakeWebSocket.last;
    first.open();
    vi.advanceTimersByTime(1000);
    expect(first.sent).toEqual(['ping 1']);
    first.receive('pong');
    vi.advanceTimersByTime(1000);
    first.receive('data');
    expect(log).toEqual(['open', 'message data']);
    // Last traffic at 2000 ms: dead at 4500 ms, not before.
    vi.advanceTimersByTime(2499);
    expect(first.closeCalls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(first.closeCalls).toEqual([[4000, 'heartbeat timeout']]);
    expect(log.slice(2)).toEqual(['close 4000 retry', 'reconnecting 1 10']);
    expect(first.sent).toEqual(['ping 1', 'ping 2', 'ping 3', 'ping 4']);
    vi.advanceTimersByTime(10);
    expect(FakeWebSocket.instances).toHaveLength(2);
    socket.close();
  });

  test('the wall clock jumping does not move the heartbeat or minUptime', () => {
    // Both read a monotonic clock (performance.now()): NTP or a manual change that steps
    // Date.now() forward would otherwise time a live socket out, and a step back would keep a
    // long-lived connection from resetting the retry count.
    const { socket, log } = make({
      initialDelay: 10,
      minUptime: 1000,
      heartbeat: { interval: 400, timeout: 1000, message: 'ping' },
    });
    const first = FakeWebSocket.last;
    first.open();
    vi.advanceTimersByTime(500);
    first.receive('data');
    vi.setSystemTime(Date.now() + 3_600_000);
    vi.advanceTimersByTime(500);
    expect(first.closeCalls).toEqual([]);
    vi.advanceTimersByTime(999);
    expect(first.closeCalls).toEqual([[4000, 'heartbeat timeout']]);
    // The next connection is silent for its whole timeout while the wall clock goes back 2 h:
    // it still times out, and having been up minUptime it resets the retry count.
    vi.advanceTimersByTime(10);
    const second = FakeWebSocket.last;
    second.open();
    vi.setSystemTime(Date.now() - 7_200_000);
    vi.advanceTimersByTime(1000);
    expect(second.closeCalls).toEqual([[4000, 'heartbeat timeout']]);
    expect(log.filter((line) => line.startsWith('reconnecting'))).toEqual([
      'reconnecting 1 10',
      'reconnecting 1 10',
    ]);
    socket.close();
  });

  test('a constant message is sent as is', () => {
    const { socket } = make({
      heartbeat: { interval: 100, timeout: 1000, message: '{"type":"ping"}' },
    });
    FakeWebSocket.last.open();
    vi.advanceTimersByTime(250);
    expect(FakeWebSocket.last.sent).toEqual(['{"type":"ping"}', '{"type":"ping"}']);
    socket.close();
  });

  test('invalid heartbeat options throw', () => {
    expect(() => make({ heartbeat: { interval: 0, timeout: 10, message: 'p' } })).toThrow(
      RangeError,
    );
    // Timers count whole milliseconds up to 2^31 - 1: beyond, they would fire at once.
    expect(() => make({ heartbeat: { interval: 10, timeout: 2 ** 31, message: 'p' } })).toThrow(
      'ReconnectingWebSocket: heartbeat: timeout must be a number in [1, 2147483647], got 2147483648',
    );
    expect(() => make({ heartbeat: { interval: Infinity, timeout: 10, message: 'p' } })).toThrow(
      RangeError,
    );
    expect(() => make({ heartbeat: { timeout: 10, message: 'p' } as never })).toThrow(
      'heartbeat: interval must be a number in [1, 2147483647], got undefined',
    );
  });
});

describe('close()', () => {
  test('while waiting to retry: final close event, CLOSED, no timers', async () => {
    const { socket, closes } = make({ initialDelay: 1000 });
    FakeWebSocket.last.fail();
    socket.send('never sent');
    socket.close(4321, 'bye');
    expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
    expect(vi.getTimerCount()).toBe(0);
    await Promise.resolve();
    expect(closes.map((event) => [event.code, event.reason, event.willReconnect])).toEqual([
      [1006, '', true],
      [4321, 'bye', false],
    ]);
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(() => socket.send('x')).toThrow(expect.objectContaining({ name: 'InvalidStateError' }));
  });

  test('while open: closes the socket with the code and reason; its close is the last event', () => {
    const { socket, log } = make({ heartbeat: { interval: 100, timeout: 300, message: 'p' } });
    FakeWebSocket.last.open();
    socket.close(1000, 'done');
    expect(FakeWebSocket.last.closeCalls).toEqual([[1000, 'done']]);
    expect(vi.getTimerCount()).toBe(0);
    FakeWebSocket.last.closed(1000, 'done');
    expect(log).toEqual(['open', 'close 1000 final']);
    expect(vi.getTimerCount()).toBe(0);
  });

  test("from a 'close' listener that was about to retry", () => {
    const { socket, log } = make();
    socket.addEventListener('close', (event) => {
      if (event.willReconnect) socket.close();
    });
    FakeWebSocket.last.open();
    FakeWebSocket.last.closed(1001);
    expect(log).toEqual(['open', 'close 1001 retry']);
    expect(vi.getTimerCount()).toBe(0);
    expect(socket.readyState).toBe(ReconnectingWebSocket.CLOSED);
  });

  test('arguments are checked as WebSocket.close checks them', () => {
    const { socket } = make();
    expect(() => socket.close(1001)).toThrow(
      expect.objectContaining({ name: 'InvalidAccessError' }),
    );
    expect(() => socket.close(1000, 'x'.repeat(124))).toThrow(
      expect.objectContaining({ name: 'SyntaxError' }),
    );
    socket.close();
    socket.close();
  });

  test('connect timeout abandons a handshake that hangs', () => {
    const { socket, closes } = make({ connectTimeout: 500, initialDelay: 10 });
    vi.advanceTimersByTime(499);
    expect(closes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(closes.map((event) => [event.code, event.reason, event.willReconnect])).toEqual([
      [1006, 'connect timeout', true],
    ]);
    vi.advanceTimersByTime(10);
    expect(FakeWebSocket.instances).toHaveLength(2);
    socket.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
