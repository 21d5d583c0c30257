import { describe, expect, test } from 'vitest';
import {
  defaultLivenessScheduler,
  LivenessMonitor,
  type LivenessScheduler,
  type LivenessSettings,
  type Monitored,
} from './liveness.js';

function member() {
  const events: string[] = [];
  const monitored: Monitored & { events: string[] } = {
    events,
    received: false,
    // Stale on purpose: the monitor stamps the time when it adds the member.
    lastReceivedAt: -1_000_000,
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

/** A monitor on a manual scheduler (its clock at `now`) watching one fresh member. */
function watchOne(settings: LivenessSettings, now = 0) {
  const { scheduler, state } = manualScheduler();
  state.now = now;
  const monitor = new LivenessMonitor(settings, scheduler);
  const peer = member();
  return { monitor, peer, state };
}

const HEARTBEAT_100_50 = { heartbeat: { interval: 100, timeout: 50 }, idleTimeout: 0 };

describe('LivenessMonitor: heartbeat and idle timeout on one injected timer', () => {
  test('pings after an interval of silence and drops the peer after the timeout', () => {
    const { monitor, peer } = watchOne(HEARTBEAT_100_50);
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
    const { monitor, peer } = watchOne(HEARTBEAT_100_50);
    monitor.add(peer);
    monitor.sweep(100);
    peer.received = true;
    monitor.sweep(160);
    expect(peer.events).toEqual(['ping']);
    expect(peer.pingSentAt).toBe(0);
    expect(peer.received).toBe(false);
    expect(peer.lastReceivedAt).toBe(160);
  });

  test('a frame counts at the next sweep: a peer that keeps talking is never pinged or dropped', () => {
    const { monitor, peer } = watchOne({
      heartbeat: { interval: 100, timeout: 50 },
      idleTimeout: 150,
    });
    monitor.add(peer);
    for (let now = 60; now <= 1_000; now += 60) {
      peer.received = true;
      monitor.sweep(now);
    }
    expect(peer.events).toEqual([]);
    expect(peer.lastReceivedAt).toBe(960);
    // Then silence: pinged one interval after the last sweep that saw a frame, dropped for
    // idleness one idle timeout after it.
    monitor.sweep(1_059);
    expect(peer.events).toEqual([]);
    monitor.sweep(1_060);
    expect(peer.events).toEqual(['ping']);
    monitor.sweep(1_110);
    expect(peer.events).toEqual(['ping', 'idle']);
  });

  test("a member's silence is counted from when it was added, on the scheduler's clock", () => {
    const { monitor, peer } = watchOne(HEARTBEAT_100_50, 5_000);
    peer.received = true;
    monitor.add(peer);
    expect(peer.lastReceivedAt).toBe(5_000);
    expect(peer.received).toBe(false);
    monitor.sweep(5_099);
    expect(peer.events).toEqual([]);
    monitor.sweep(5_100);
    expect(peer.events).toEqual(['ping']);
  });

  test('idleTimeout fires once; a disabled monitor keeps nobody and starts no timer', () => {
    const { scheduler, state } = manualScheduler();
    const monitor = new LivenessMonitor({ heartbeat: undefined, idleTimeout: 300 }, scheduler);
    const peer = member();
    monitor.add(peer);
    monitor.sweep(300);
    monitor.sweep(600);
    expect(peer.events).toEqual(['idle']);
    const disabled = new LivenessMonitor({ heartbeat: undefined, idleTimeout: 0 }, scheduler);
    disabled.add(member());
    expect(disabled.size).toBe(0);
    expect(state.running).toBe(0);
  });

  test('one timer while anyone is watched, at a quarter of the shortest period, read from the injected clock', () => {
    const { scheduler, state } = manualScheduler();
    const monitor = new LivenessMonitor(
      { heartbeat: { interval: 400, timeout: 200 }, idleTimeout: 0 },
      scheduler,
    );
    const a = member();
    const b = member();
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

describe('defaultLivenessScheduler: a monotonic clock', () => {
  test("whole milliseconds on performance.now()'s clock, not the wall clock", () => {
    // performance.now() counts from the process's start and is never stepped; the wall clock
    // (Date.now(), about 1.7e12 today) is, by NTP or a resumed VM, and a jump would time
    // every connection out at once.
    const before = performance.now();
    const now = defaultLivenessScheduler.now();
    const after = performance.now();
    expect(Number.isInteger(now)).toBe(true);
    expect(now).toBeGreaterThanOrEqual(Math.floor(before));
    expect(now).toBeLessThanOrEqual(after);
    expect(Math.abs(now - Date.now())).toBeGreaterThan(1_000_000);
  });
});
