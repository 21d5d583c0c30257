import { PeerState } from '@wskit/core';
import { describe, expect, test } from 'vitest';
import { TopicRegistry, type TopicSubscriber } from './topics.js';

class FakePeer implements TopicSubscriber<string> {
  readyState: number = PeerState.OPEN;
  readonly received: string[] = [];
  deliverPublished(message: string): void {
    this.received.push(message);
  }
}

function registry() {
  const prepared: Array<string | Uint8Array> = [];
  const topics = new TopicRegistry<FakePeer, string>((payload) => {
    prepared.push(payload);
    return `frame(${typeof payload === 'string' ? payload : `${payload.byteLength} bytes`})`;
  });
  return { topics, prepared };
}

describe('TopicRegistry: pub/sub for one server', () => {
  test('publish prepares once and reaches open subscribers except the sender', () => {
    const { topics, prepared } = registry();
    const [a, b, c, closing] = [new FakePeer(), new FakePeer(), new FakePeer(), new FakePeer()];
    for (const peer of [a, b, c, closing]) expect(topics.subscribe(peer, 'room')).toBe(true);
    closing.readyState = PeerState.CLOSING;
    expect(topics.publish('room', 'hi', a)).toBe(2);
    expect(prepared).toEqual(['hi']);
    expect([a.received, b.received, c.received, closing.received]).toEqual([
      [],
      ['frame(hi)'],
      ['frame(hi)'],
      [],
    ]);
    expect(topics.publish('room', new Uint8Array(3).buffer)).toBe(3);
    expect(b.received.at(-1)).toBe('frame(3 bytes)');
  });

  test('subscribe is idempotent and refused when not open; unsubscribe and removePeer clean up', () => {
    const { topics } = registry();
    const peer = new FakePeer();
    expect(topics.subscribe(peer, 'a')).toBe(true);
    expect(topics.subscribe(peer, 'a')).toBe(false);
    topics.subscribe(peer, 'b');
    expect([...topics.topicsOf(peer)]).toEqual(['a', 'b']);
    expect(topics.subscriberCount('a')).toBe(1);
    expect(topics.unsubscribe(peer, 'a')).toBe(true);
    expect(topics.unsubscribe(peer, 'a')).toBe(false);
    expect(topics.subscriberCount('a')).toBe(0);
    topics.removePeer(peer);
    expect(topics.topicsOf(peer).size).toBe(0);
    expect(topics.subscriberCount('b')).toBe(0);
    const closed = new FakePeer();
    closed.readyState = PeerState.CLOSED;
    expect(topics.subscribe(closed, 'a')).toBe(false);
  });

  test('a bad topic or payload throws even with no subscriber; nothing is prepared without one', () => {
    const { topics, prepared } = registry();
    expect(() => topics.publish(42 as never, 'x')).toThrow(/publish expects a topic string/);
    expect(() => topics.publish('room', 42 as never)).toThrow(/publish expects a string/);
    expect(() => topics.subscribe(new FakePeer(), null as never)).toThrow(/subscribe expects/);
    expect(topics.publish('empty', 'x')).toBe(0);
    expect(prepared).toEqual([]);
  });
});
