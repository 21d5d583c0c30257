/**
 * Write batching: messages sent outside input handling (a timer, a publish, a broadcast from
 * another peer's message) are held in the socket until the current callback ends, then leave
 * in one writev. What a batch must keep: the order, the bytes handed to the kernel before a
 * terminate, backpressure that only counts old data, and large messages going out at once.
 * `bufferedAmount` right after the sends shows whether they were held.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test, vi } from 'vitest';
import WsClient, { WebSocketServer as WsServer } from 'ws';
import { connect, type Peer, type WebSocket } from '../src/index.js';
import { closeOf, deferred, TestScope, wsUrl } from './helpers/server.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

/** Frame bytes of an unmasked text message of fewer than 126 bytes (RFC 6455 §5.2). */
const frameBytes = (text: string) => 2 + Buffer.byteLength(text);

/** A server whose open hook hands the peer over, and a `ws` client collecting messages. */
async function peerAndClient(options: { maxBufferedAmount?: number } = {}) {
  // Server peers are both faces: the hooks Peer and the ws-style WebSocket (with callbacks).
  const opened = deferred<Peer & WebSocket>();
  const server = await scope.server({
    ...options,
    hooks: { open: (p) => opened.resolve(p as Peer & WebSocket) },
  });
  const client = await scope.client(wsUrl(server.port));
  const received: string[] = [];
  client.on('message', (data) => received.push(String(data)));
  return { server, peer: await opened.promise, client, received };
}

/** Runs `work` in a timer callback of its own: outside any input handling. */
function inTimer<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(work()), 1));
}

/** How long `vi.waitFor` waits for messages on loopback before the test fails. */
const ARRIVAL = { timeout: 5_000 };

const messages = Array.from({ length: 10 }, (_, i) => `message ${i}`);

describe('write batching', () => {
  test('sends in one callback are held until it ends, then all arrive in order', async () => {
    const { peer, received } = await peerAndClient();
    const { held, afterTick } = await inTimer(() => {
      for (const message of messages) peer.send(message);
      const held = peer.bufferedAmount;
      return {
        held,
        afterTick: new Promise((r) => process.nextTick(() => r(peer.bufferedAmount))),
      };
    });
    expect(held).toBe(messages.reduce((sum, message) => sum + frameBytes(message), 0));
    // Handed to the kernel once the callback is over.
    expect(await afterTick).toBe(0);
    await vi.waitFor(() => expect(received).toHaveLength(messages.length), ARRIVAL);
    expect(received).toEqual(messages);
  });

  test('a publish burst reaches every subscriber in order, held per subscriber', async () => {
    const peers: Peer[] = [];
    const server = await scope.server({ hooks: { open: (p) => void peers.push(p) } });
    const clients = await Promise.all([0, 1, 2].map(() => scope.client(wsUrl(server.port))));
    await vi.waitFor(() => expect(peers).toHaveLength(3), ARRIVAL);
    for (const p of peers) p.subscribe('news');
    const got = clients.map((client) => {
      const list: string[] = [];
      client.on('message', (data) => list.push(String(data)));
      return list;
    });
    const held = await inTimer(() => {
      for (const message of messages) server.publish('news', message);
      return peers.map((p) => p.bufferedAmount);
    });
    const total = messages.reduce((sum, message) => sum + frameBytes(message), 0);
    expect(held).toEqual([total, total, total]);
    await vi.waitFor(() => {
      for (const list of got) expect(list).toHaveLength(messages.length);
    }, ARRIVAL);
    for (const list of got) expect(list).toEqual(messages);
  });

  test('a large message is not held, and what was held goes out ahead of it', async () => {
    const { peer, received } = await peerAndClient();
    const large = 'L'.repeat(64 * 1024);
    const heldBeforeLarge = await inTimer(() => {
      peer.send('small 1');
      peer.send('small 2');
      const held = peer.bufferedAmount;
      peer.send(large);
      peer.send('small 3');
      return held;
    });
    expect(heldBeforeLarge).toBe(frameBytes('small 1') + frameBytes('small 2'));
    await vi.waitFor(() => expect(received).toHaveLength(4), ARRIVAL);
    expect(received).toEqual(['small 1', 'small 2', large, 'small 3']);
  });

  test('terminate right after sends still hands them to the kernel', async () => {
    const { peer, client, received } = await peerAndClient();
    const closed = closeOf(client);
    await inTimer(() => {
      for (const message of messages) peer.send(message);
      peer.terminate();
    });
    await closed;
    expect(received).toEqual(messages);
  });

  test('close right after sends: the messages, then a clean close', async () => {
    const { peer, client, received } = await peerAndClient();
    const closed = closeOf(client);
    await inTimer(() => {
      for (const message of messages) peer.send(message);
      peer.close(1000, 'done');
    });
    expect(await closed).toEqual({ code: 1000, reason: 'done' });
    expect(received).toEqual(messages);
  });

  test('a batch is not backpressure: a burst past maxBufferedAmount to a reading peer', async () => {
    // 300 messages of 100 B in one callback: about 30 KB, past the socket's 16 KiB high-water
    // mark and this 1 KiB limit. A batch is written out before it reaches the mark, so the
    // reading peer is never taken for one that is not reading, and nothing is lost.
    const { peer, client, received } = await peerAndClient({ maxBufferedAmount: 1024 });
    const burst = Array.from({ length: 300 }, (_, i) => `${i}`.padEnd(100, '.'));
    const held = await inTimer(() => {
      for (const message of burst) peer.send(message);
      return peer.bufferedAmount;
    });
    expect(held).toBeGreaterThan(1024);
    await vi.waitFor(() => expect(received).toHaveLength(burst.length), ARRIVAL);
    expect(received).toEqual(burst);
    expect(client.readyState).toBe(WsClient.OPEN);
  });

  test('send callbacks run once the batch is written', async () => {
    const { peer, received } = await peerAndClient();
    const results = await inTimer(() =>
      Promise.all(
        messages.map(
          (message) =>
            new Promise((resolve) => peer.send(message, (error) => resolve(error ?? 'sent'))),
        ),
      ),
    );
    expect(results).toEqual(messages.map(() => 'sent'));
    await vi.waitFor(() => expect(received).toHaveLength(messages.length), ARRIVAL);
  });

  test('the client batches too: a send loop reaches a ws server in order', async () => {
    const server = new WsServer({ port: 0, host: '127.0.0.1' });
    scope.defer(() => new Promise((resolve) => server.close(resolve)));
    await once(server, 'listening');
    const got: string[] = [];
    server.on('connection', (socket) => socket.on('message', (data) => got.push(String(data))));
    const client = await connect(wsUrl((server.address() as AddressInfo).port));
    scope.defer(() => client.terminate());
    const held = await inTimer(() => {
      for (const message of messages) client.send(message);
      return client.bufferedAmount;
    });
    // A client masks its frames: 4 bytes of key more per frame (RFC 6455 §5.3).
    expect(held).toBe(messages.reduce((sum, message) => sum + frameBytes(message) + 4, 0));
    await vi.waitFor(() => expect(got).toHaveLength(messages.length), ARRIVAL);
    expect(got).toEqual(messages);
  });
});
