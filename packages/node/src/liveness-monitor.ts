import { LivenessMonitor, type LivenessScheduler, type LivenessSettings } from '@wskit/core';

export type { Monitored } from '@wskit/core';
export { LivenessMonitor };

/** Node's timer for the core's LivenessMonitor: unref'd, it never keeps a process alive. */
const nodeScheduler: LivenessScheduler = {
  every(milliseconds, tick) {
    const timer = setInterval(tick, milliseconds);
    timer.unref();
    return () => clearInterval(timer);
  },
  now: Date.now,
};

export function createLivenessMonitor(settings: LivenessSettings): LivenessMonitor {
  return new LivenessMonitor(settings, nodeScheduler);
}
