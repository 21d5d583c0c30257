// CloseEvent (https://websockets.spec.whatwg.org/#the-closeevent-interface): ours on Node 20,
// which has no global one.
import { describe, expect, test } from 'vitest';
import { CloseEvent } from './close-event.js';

describe('CloseEvent (Node 20 has none: ours)', () => {
  test('dictionary defaults and conversions', () => {
    const plain = new CloseEvent('close');
    expect([plain.type, plain.code, plain.reason, plain.wasClean]).toEqual(['close', 0, '', false]);
    const event = new CloseEvent('close', {
      code: 65_536 + 1000,
      reason: '\uD800x',
      wasClean: 1 as never,
    });
    expect([event.code, event.reason, event.wasClean]).toEqual([1000, '\uFFFDx', true]);
    expect(event).toBeInstanceOf(Event);
    expect(Object.prototype.toString.call(event)).toBe('[object CloseEvent]');
    expect(CloseEvent.name).toBe('CloseEvent');
    expect(() => new (CloseEvent as unknown as new () => CloseEvent)()).toThrow(TypeError);
    const getter = Object.getOwnPropertyDescriptor(CloseEvent.prototype, 'code')?.get;
    expect(() => getter?.call(new Event('close'))).toThrow(TypeError);
  });
});
