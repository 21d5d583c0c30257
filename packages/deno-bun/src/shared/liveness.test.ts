import { describe, expect, test } from 'vitest';
import { LivenessMonitor, type Monitored } from './liveness.js';
import { byteLengthOver } from './peer.js';
import { TopicRegistry } from './topics.js';

function member(lastReceivedAt: number) {
  const events: string[] = [];
  const monitored: Monitored & { events: string[]; lastReceivedAt: number } = {
    events,
    lastReceivedAt,
    pingSentAt: 0,
    sendHeartbeatPing: () => events.push('ping'),
    onPongTimeout: () => events.push('pong timeout'),
    onIdleTimeout: () => events.push('idle'),
  };
  return monitored;
}

describe('LivenessMonitor (Bun heartbeat and idle timeout)', () => {
  test('pings after interval of silence, drops after timeout without an answer', () => {
    const monitor = new LivenessMonitor({
      heartbeat: { interval: 100, timeout: 50 },
      idleTimeout: 0,
    });
    const peer = member(0);
    monitor.add(peer);
    monitor.sweep(99);
    expect(peer.events).toEqual([]);
    monitor.sweep(100);
    expect(peer.events).toEqual(['ping']);
    monitor.sweep(149);
    monitor.sweep(150);
    expect(peer.events).toEqual(['ping', 'pong timeout']);
    monitor.delete(peer);
  });

  test('any frame after the ping counts as the answer', () => {
    const monitor = new LivenessMonitor({
      heartbeat: { interval: 100, timeout: 50 },
      idleTimeout: 0,
    });
    const peer = member(0);
    monitor.add(peer);
    monitor.sweep(100);
    peer.lastReceivedAt = 120;
    monitor.sweep(160);
    expect(peer.events).toEqual(['ping']);
    expect(peer.pingSentAt).toBe(0);
    monitor.delete(peer);
  });

  test('idleTimeout fires once after silence; a disabled monitor keeps nobody', () => {
    const monitor = new LivenessMonitor({ heartbeat: undefined, idleTimeout: 300 });
    const peer = member(0);
    monitor.add(peer);
    monitor.sweep(300);
    monitor.sweep(600);
    expect(peer.events).toEqual(['idle']);
    expect(new LivenessMonitor({ heartbeat: undefined, idleTimeout: 0 }).enabled).toBe(false);
  });
});

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
