import { describe, expect, test } from 'vitest';
import { byteLengthOver } from './peer.js';
import { TopicRegistry } from './topics.js';

describe('TopicRegistry (Deno pub/sub) and size checks', () => {
  test('publish reaches open subscribers except the sender and counts them', () => {
    const registry = new TopicRegistry<
      { readyState: number; got: string[]; sendNative(p: string): void },
      string
    >();
    const make = (readyState = 1) => {
      const got: string[] = [];
      return { readyState, got, sendNative: (payload: string) => got.push(payload) };
    };
    const [a, b, closing] = [make(), make(), make(2)];
    for (const peer of [a, b, closing]) registry.add('room', peer);
    expect(registry.publish('room', 'hi', a)).toBe(1);
    expect([a.got, b.got, closing.got]).toEqual([[], ['hi'], []]);
    registry.remove('room', b);
    expect(registry.subscriberCount('room')).toBe(2);
    expect(registry.publish('nobody', 'x')).toBe(0);
    expect(() => registry.publish(42 as never, 'x')).toThrow(/topic string/);
  });

  test('byteLengthOver measures UTF-8 only when the UTF-16 length cannot decide', () => {
    expect(byteLengthOver('abc', 3)).toBe(false);
    expect(byteLengthOver('abcd', 3)).toBe(true);
    expect(byteLengthOver('é', 1)).toBe(true);
    expect(byteLengthOver('é', 2)).toBe(false);
    expect(byteLengthOver(new Uint8Array(4), 3)).toBe(true);
    expect(byteLengthOver(new ArrayBuffer(3), 3)).toBe(false);
  });
});
