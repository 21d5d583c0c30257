import { PeerState } from '@wskit/core';
import { describe, expect, test } from 'vitest';
import {
  type BrokerAttachment,
  type BrokerDeliver,
  type BrokerErrorSink,
  inProcessBroker,
  isTopicBroker,
  type TopicBroker,
} from './broker.js';
import { TopicRegistry, type TopicSubscriber } from './topics.js';

class FakePeer implements TopicSubscriber<string> {
  readyState: number = PeerState.OPEN;
  readonly received: string[] = [];
  deliverPublished(message: string): void {
    this.received.push(message);
  }
}

/**
 * A broker in memory that connects every attachment to every other one, as a real one
 * connects processes: what a Postgres or NATS broker would do over the wire.
 */
class MemoryBroker implements TopicBroker {
  readonly attachments = new Set<{ deliver: BrokerDeliver; report: BrokerErrorSink }>();
  readonly calls: string[] = [];
  failNext: 'throw' | 'reject' | undefined;

  attach(deliver: BrokerDeliver, report: BrokerErrorSink): BrokerAttachment {
    const self = { deliver, report };
    this.attachments.add(self);
    const fail = () => {
      const mode = this.failNext;
      this.failNext = undefined;
      if (mode === 'throw') throw new Error('broker threw');
      if (mode === 'reject') return Promise.reject(new Error('broker rejected'));
      return undefined;
    };
    return {
      publish: (topic, payload) => {
        this.calls.push(`publish ${topic}`);
        const failure = fail();
        if (failure !== undefined) return failure;
        for (const other of this.attachments) if (other !== self) other.deliver(topic, payload);
      },
      topicOpened: (topic) => {
        this.calls.push(`opened ${topic}`);
        return fail();
      },
      topicClosed: (topic) => {
        this.calls.push(`closed ${topic}`);
      },
      detach: () => {
        this.calls.push('detach');
        this.attachments.delete(self);
      },
    };
  }
}

function server(broker: TopicBroker) {
  const prepared: Array<string | Uint8Array> = [];
  const errors: Error[] = [];
  const topics = new TopicRegistry<FakePeer, string>(
    (payload) => {
      prepared.push(payload);
      return typeof payload === 'string' ? payload : `bytes ${[...payload].join(',')}`;
    },
    { broker, reportError: (error) => errors.push(error) },
  );
  return { topics, prepared, errors };
}

describe('TopicBroker: the seam between a server and other processes', () => {
  test('a publish is delivered here first (one frame), then forwarded; the others deliver it once', () => {
    const broker = new MemoryBroker();
    const [a, b, c] = [server(broker), server(broker), server(broker)];
    const [a1, a2, b1, c1] = [new FakePeer(), new FakePeer(), new FakePeer(), new FakePeer()];
    a.topics.subscribe(a1, 'news');
    a.topics.subscribe(a2, 'news');
    b.topics.subscribe(b1, 'news');
    c.topics.subscribe(c1, 'other');
    expect(a.topics.publish('news', 'hello', a1)).toBe(1);
    expect([a1.received, a2.received, b1.received, c1.received]).toEqual([
      [],
      ['hello'],
      ['hello'],
      [],
    ]);
    // One frame per server per publish; c has no subscriber and prepares nothing.
    expect([a.prepared, b.prepared, c.prepared]).toEqual([['hello'], ['hello'], []]);
    // A remote publish is not forwarded again: three servers, one forward.
    expect(broker.calls.filter((call) => call.startsWith('publish'))).toEqual(['publish news']);
    b.topics.publish('news', new Uint8Array([1, 2]));
    expect(a2.received.at(-1)).toBe('bytes 1,2');
    expect(a1.received.at(-1)).toBe('bytes 1,2');
  });

  test('topicOpened on the first subscriber, topicClosed after the last, per server', () => {
    const broker = new MemoryBroker();
    const { topics } = server(broker);
    const [p, q] = [new FakePeer(), new FakePeer()];
    topics.subscribe(p, 'room');
    topics.subscribe(q, 'room');
    topics.subscribe(p, 'room');
    topics.unsubscribe(p, 'room');
    expect(broker.calls).toEqual(['opened room']);
    topics.subscribe(p, 'lobby');
    topics.removePeer(q);
    topics.removePeer(p);
    expect(broker.calls).toEqual(['opened room', 'opened lobby', 'closed room', 'closed lobby']);
  });

  test('a broker that throws or rejects is reported, never raised to the publisher', async () => {
    const broker = new MemoryBroker();
    const { topics, errors } = server(broker);
    const peer = new FakePeer();
    broker.failNext = 'throw';
    expect(topics.subscribe(peer, 'room')).toBe(true);
    broker.failNext = 'reject';
    expect(topics.publish('room', 'x')).toBe(1);
    await Promise.resolve();
    expect(errors.map((error) => error.message)).toEqual(['broker threw', 'broker rejected']);
  });

  test('a remote delivery with a bad topic or payload is reported; a detached server gets nothing', () => {
    const broker = new MemoryBroker();
    const { topics, errors } = server(broker);
    const peer = new FakePeer();
    topics.subscribe(peer, 'room');
    const [attachment] = broker.attachments;
    attachment?.deliver(5 as never, 'x');
    attachment?.deliver('room', { not: 'bytes' } as never);
    expect(errors.map((error) => error.message)).toEqual([
      'broker delivery expects a topic string',
      'broker delivery expects a string, an ArrayBuffer or an ArrayBufferView, got object',
    ]);
    attachment?.report(new Error('connection lost'));
    expect(errors.at(-1)?.message).toBe('connection lost');
    topics.detachBroker();
    topics.detachBroker();
    expect(broker.calls.filter((call) => call === 'detach')).toHaveLength(1);
    attachment?.deliver('room', 'late');
    expect(peer.received).toEqual([]);
    // Detached: publishes stay local.
    topics.publish('room', 'local');
    expect(broker.calls.filter((call) => call.startsWith('publish'))).toEqual([]);
  });

  test('deliverRemote replaces local delivery for remote publishes (Bun: native publish)', () => {
    const broker = new MemoryBroker();
    const native: string[] = [];
    const here = new TopicRegistry<FakePeer, string>((payload) => String(payload), {
      broker,
      deliverRemote: (topic, payload) => native.push(`${topic}:${String(payload)}`),
    });
    const other = server(broker);
    here.subscribe(new FakePeer(), 'room');
    other.topics.publish('room', 'hi');
    expect(native).toEqual(['room:hi']);
    // forward: what a native publish calls afterwards.
    const peer = new FakePeer();
    other.topics.subscribe(peer, 'room');
    here.forward('room', 'from bun');
    expect(peer.received).toEqual(['from bun']);
  });

  test('a durable broker (positions on publish and delivery) fits the same interface', async () => {
    const log: Array<{ topic: string; payload: string | Uint8Array }> = [];
    const deliveries = new Set<BrokerDeliver>();
    const durable: TopicBroker = {
      attach(deliver) {
        deliveries.add(deliver);
        return {
          publish: async (topic, payload) => {
            log.push({ topic, payload });
            const position = String(log.length);
            for (const other of deliveries) if (other !== deliver) other(topic, payload, position);
            return position;
          },
          detach: () => void deliveries.delete(deliver),
        };
      },
    };
    const [a, b] = [server(durable), server(durable)];
    const peer = new FakePeer();
    b.topics.subscribe(peer, 'log');
    a.topics.publish('log', 'first');
    await Promise.resolve();
    expect(peer.received).toEqual(['first']);
    expect([a.errors, b.errors]).toEqual([[], []]);
  });

  test('inProcessBroker forwards nothing; isTopicBroker checks the shape', () => {
    const attachment = inProcessBroker.attach(
      () => {},
      () => {},
    );
    expect(attachment.publish('t', 'x')).toBeUndefined();
    expect(isTopicBroker(inProcessBroker)).toBe(true);
    expect(isTopicBroker(new MemoryBroker())).toBe(true);
    expect(isTopicBroker({ attach: 1 })).toBe(false);
    expect(isTopicBroker({ attach() {}, close: 'x' })).toBe(false);
    expect(isTopicBroker(null)).toBe(false);
  });
});
