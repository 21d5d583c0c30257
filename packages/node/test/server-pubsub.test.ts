/** Pub/sub on the Node server: subscribe, unsubscribe, server.publish, peer.publish. */
import type { BrokerAttachment, BrokerDeliver, BrokerErrorSink, TopicBroker } from '@wskit/server';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { Peer, ServerOptions, WebSocketServer } from '../src/index.js';
import { closeOf, deferred, TestScope, type WsClient, wsUrl } from './helpers/server.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

interface Received {
  readonly data: string;
  readonly isBinary: boolean;
}

/**
 * A server whose clients control their subscriptions with text commands:
 * 'sub:topic', 'unsub:topic', 'pub:topic:text' (peer.publish). Every command is acknowledged
 * with 'ok', so the test knows the server has applied it.
 */
async function pubsubServer(
  options: ServerOptions = {},
): Promise<{ server: WebSocketServer; peers: Peer[] }> {
  const peers: Peer[] = [];
  const server = await scope.server({
    ...options,
    heartbeat: false,
    hooks: {
      open: (peer) => {
        peers.push(peer);
      },
      message(peer, message) {
        const [command, topic = '', ...rest] = message.text().split(':');
        if (command === 'sub') peer.subscribe(topic);
        else if (command === 'unsub') peer.unsubscribe(topic);
        else if (command === 'pub') peer.publish(topic, rest.join(':'));
        peer.send('ok');
      },
    },
  });
  return { server, peers };
}

/** A client that records every message except the 'ok' acknowledgements. */
async function subscriber(
  server: WebSocketServer,
): Promise<{ client: WsClient; received: Received[]; command: (text: string) => Promise<void> }> {
  const client = await scope.client(wsUrl(server.port));
  const received: Received[] = [];
  let ack: (() => void) | undefined;
  client.on('message', (data: Buffer, isBinary: boolean) => {
    const text = data.toString();
    if (!isBinary && text === 'ok') ack?.();
    else received.push({ data: isBinary ? data.toString('hex') : text, isBinary });
  });
  const command = (text: string) => {
    const acknowledged = new Promise<void>((resolve) => {
      ack = resolve;
    });
    client.send(text);
    return acknowledged;
  };
  return { client, received, command };
}

/** A round trip through every client proves earlier messages to them were delivered. */
async function settle(...clients: Array<{ command: (text: string) => Promise<void> }>) {
  for (const client of clients) await client.command('noop');
}

describe('pub/sub', () => {
  test('server.publish reaches every subscriber exactly once, not others', async () => {
    const { server } = await pubsubServer();
    const a = await subscriber(server);
    const b = await subscriber(server);
    const c = await subscriber(server);
    await a.command('sub:news');
    await b.command('sub:news');
    await b.command('sub:news'); // subscribing twice is one subscription
    await c.command('sub:sport');
    expect(server.subscriberCount('news')).toBe(2);

    expect(server.publish('news', 'headline')).toBe(2);
    expect(server.publish('nobody-listens', 'void')).toBe(0);
    await settle(a, b, c);
    expect(a.received).toEqual([{ data: 'headline', isBinary: false }]);
    expect(b.received).toEqual([{ data: 'headline', isBinary: false }]);
    expect(c.received).toEqual([]);
  });

  test('unsubscribed peers get nothing more', async () => {
    const { server } = await pubsubServer();
    const a = await subscriber(server);
    const b = await subscriber(server);
    await a.command('sub:t');
    await b.command('sub:t');
    await b.command('unsub:t');
    expect(server.publish('t', 'one')).toBe(1);
    await settle(a, b);
    expect(a.received.map((message) => message.data)).toEqual(['one']);
    expect(b.received).toEqual([]);
  });

  test('peer.publish reaches the other subscribers, not the sender', async () => {
    const { server } = await pubsubServer();
    const a = await subscriber(server);
    const b = await subscriber(server);
    const c = await subscriber(server);
    for (const client of [a, b, c]) await client.command('sub:room');
    await a.command('pub:room:hello from a');
    await settle(a, b, c);
    expect(a.received).toEqual([]);
    expect(b.received).toEqual([{ data: 'hello from a', isBinary: false }]);
    expect(c.received).toEqual([{ data: 'hello from a', isBinary: false }]);
  });

  test('binary data is published as binary', async () => {
    const { server } = await pubsubServer();
    const a = await subscriber(server);
    await a.command('sub:bin');
    server.publish('bin', new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    server.publish('bin', new Uint16Array([1]).buffer);
    await settle(a);
    expect(a.received).toEqual([
      { data: 'deadbeef', isBinary: true },
      { data: '0100', isBinary: true },
    ]);
  });

  test('subscriptions are dropped when the peer closes', async () => {
    const { server, peers } = await pubsubServer();
    const a = await subscriber(server);
    const b = await subscriber(server);
    await a.command('sub:x');
    await a.command('sub:y');
    await b.command('sub:x');
    const [peerA] = peers as [Peer];
    expect([...peerA.topics].sort()).toEqual(['x', 'y']);
    const closed = deferred();
    server.clients.forEach((peer) => {
      if (peer === peerA) peer.once('close', () => closed.resolve());
    });
    a.client.close();
    await closed.promise;
    expect(server.subscriberCount('x')).toBe(1);
    expect(server.subscriberCount('y')).toBe(0);
    expect(server.publish('x', 'after close')).toBe(1);
    await settle(b);
    expect(b.received.map((message) => message.data)).toEqual(['after close']);
  });

  test('a closing peer is not counted and gets nothing more', async () => {
    const { server, peers } = await pubsubServer();
    const a = await subscriber(server);
    await a.command('sub:t');
    const [peer] = peers as [Peer];
    const closed = closeOf(a.client);
    peer.close(1000, 'leaving');
    expect(server.publish('t', 'too late')).toBe(0);
    expect((await closed).code).toBe(1000);
    expect(a.received).toEqual([]);
  });

  test('published messages keep their order with direct sends', async () => {
    const { server, peers } = await pubsubServer();
    const a = await subscriber(server);
    await a.command('sub:order');
    const [peer] = peers as [Peer];
    const all = new Promise<void>((resolve) =>
      a.client.on('message', () => {
        if (a.received.length === 4) resolve();
      }),
    );
    server.publish('order', '1');
    peer.send('2');
    server.publish('order', '3');
    peer.send('4');
    await all;
    expect(a.received.map((message) => message.data)).toEqual(['1', '2', '3', '4']);
  });
});

/**
 * Connects the servers attached to it as a real broker connects processes: a publish goes to
 * every other attachment, through a microtask as over a wire. Records what the servers call.
 */
class LoopbackBroker implements TopicBroker {
  readonly deliveries = new Set<{ deliver: BrokerDeliver; report: BrokerErrorSink }>();
  readonly calls: string[] = [];
  failPublish = false;

  attach(deliver: BrokerDeliver, report: BrokerErrorSink): BrokerAttachment {
    const self = { deliver, report };
    this.deliveries.add(self);
    return {
      publish: async (topic, payload) => {
        this.calls.push(`publish ${topic}`);
        if (this.failPublish) throw new Error('broker down');
        await Promise.resolve();
        for (const other of this.deliveries) if (other !== self) other.deliver(topic, payload);
      },
      topicOpened: (topic) => void this.calls.push(`opened ${topic}`),
      topicClosed: (topic) => void this.calls.push(`closed ${topic}`),
      detach: () => {
        this.calls.push('detach');
        this.deliveries.delete(self);
      },
    };
  }
}

describe('pub/sub across servers: the broker option', () => {
  test('peer.publish and server.publish reach the subscribers of every server once', async () => {
    const broker = new LoopbackBroker();
    const one = await pubsubServer({ broker });
    const two = await pubsubServer({ broker });
    const a = await subscriber(one.server);
    const b = await subscriber(one.server);
    const c = await subscriber(two.server);
    for (const client of [a, b, c]) await client.command('sub:room');
    expect(broker.calls).toEqual(['opened room', 'opened room']);

    await a.command('pub:room:from a');
    expect(two.server.publish('room', 'from server two')).toBe(1);
    two.server.publish('room', new Uint8Array([1, 2, 3]));
    await settle(a, b, c);
    expect(a.received.map((message) => message.data)).toEqual(['from server two', '010203']);
    expect(b.received.map((message) => message.data)).toEqual([
      'from a',
      'from server two',
      '010203',
    ]);
    expect(c.received).toEqual([
      { data: 'from a', isBinary: false },
      { data: 'from server two', isBinary: false },
      { data: '010203', isBinary: true },
    ]);
    // Each publish crossed the broker once: remote deliveries are not forwarded again.
    expect(broker.calls.filter((call) => call.startsWith('publish'))).toHaveLength(3);
  });

  test('close detaches from the broker; the last subscriber leaving closes the topic', async () => {
    const broker = new LoopbackBroker();
    const one = await pubsubServer({ broker });
    const a = await subscriber(one.server);
    await a.command('sub:room');
    await a.command('unsub:room');
    await one.server.close();
    expect(broker.calls).toEqual(['opened room', 'closed room', 'detach']);
    expect(broker.deliveries.size).toBe(0);
  });

  test('a failing broker is reported, never thrown; local delivery still happens', async () => {
    const broker = new LoopbackBroker();
    broker.failPublish = true;
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const { server } = await pubsubServer({ broker });
      const a = await subscriber(server);
      await a.command('sub:room');
      expect(server.publish('room', 'still here')).toBe(1);
      await settle(a);
      expect(a.received.map((message) => message.data)).toEqual(['still here']);
      expect(errors).toHaveBeenCalledWith(
        '[@wskit/node] the topic broker failed:',
        expect.objectContaining({ message: 'broker down' }),
      );
    } finally {
      errors.mockRestore();
    }
  });

  test('a broker that is not a TopicBroker is refused, naming the option', async () => {
    await expect(scope.server({ broker: { publish() {} } as never })).rejects.toThrow(
      /\[@wskit\/node\] option broker must be a TopicBroker/,
    );
  });
});
