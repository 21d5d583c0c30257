import { describe, expect, test } from 'vitest';
import { LivenessMonitor, type LivenessScheduler, type Monitored } from './liveness.js';

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

/** A scheduler driven by hand: records the interval it was asked for and whether it runs. */
function manualScheduler() {
  const state = { tick: 0, running: 0, now: 0, callback: undefined as (() => void) | undefined };
  const scheduler: LivenessScheduler = {
    every(milliseconds, tick) {
      state.tick = milliseconds;
      state.running++;
      state.callback = tick;
      return () => {
        state.running--;
      };
    },
    now: () => state.now,
  };
  return { scheduler, state };
}

describe('LivenessMonitor: heartbeat and idle timeout on one injected timer', () => {
  test('pings after an interval of silence and drops the peer after the timeout', () => {
    const { scheduler } = manualScheduler();
    const monitor = new LivenessMonitor(
      { heartbeat: { interval: 100, timeout: 50 }, idleTimeout: 0 },
      scheduler,
    );
    const peer = member(0);
    monitor.add(peer);
    monitor.sweep(99);
    expect(peer.events).toEqual([]);
    monitor.sweep(100);
    expect(peer.events).toEqual(['ping']);
    monitor.sweep(149);
    monitor.sweep(150);
    expect(peer.events).toEqual(['ping', 'pong timeout']);
    expect(monitor.size).toBe(0);
  });

  test('any frame after the ping counts as the answer', () => {
    const { scheduler } = manualScheduler();
    const monitor = new LivenessMonitor(
      { heartbeat: { interval: 100, timeout: 50 }, idleTimeout: 0 },
      scheduler,
    );
    const peer = member(0);
    monitor.add(peer);
    monitor.sweep(100);
    peer.lastReceivedAt = 120;
    monitor.sweep(160);
    expect(peer.events).toEqual(['ping']);
    expect(peer.pingSentAt).toBe(0);
  });

  test('idleTimeout fires once; a disabled monitor keeps nobody and starts no timer', () => {
    const { scheduler, state } = manualScheduler();
    const monitor = new LivenessMonitor({ heartbeat: undefined, idleTimeout: 300 }, scheduler);
    const peer = member(0);
    monitor.add(peer);
    monitor.sweep(300);
    monitor.sweep(600);
    expect(peer.events).toEqual(['idle']);
    const disabled = new LivenessMonitor({ heartbeat: undefined, idleTimeout: 0 }, scheduler);
    disabled.add(member(0));
    expect(disabled.size).toBe(0);
    expect(state.running).toBe(0);
  });

  test('one timer while anyone is watched, at a quarter of the shortest period, read from the injected clock', () => {
    const { scheduler, state } = manualScheduler();
    const monitor = new LivenessMonitor(
      { heartbeat: { interval: 400, timeout: 200 }, idleTimeout: 0 },
      scheduler,
    );
    const a = member(0);
    const b = member(0);
    monitor.add(a);
    monitor.add(b);
    expect(state.running).toBe(1);
    expect(state.tick).toBe(50);
    state.now = 400;
    state.callback?.();
    expect(a.events).toEqual(['ping']);
    monitor.delete(a);
    monitor.delete(b);
    expect(state.running).toBe(0);
  });
});
