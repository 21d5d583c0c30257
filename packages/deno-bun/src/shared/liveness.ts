import { LivenessMonitor, type LivenessScheduler, type LivenessSettings } from '@wskit/core';

export type { Monitored } from '@wskit/core';
export { LivenessMonitor };

/** The runtime's timer for the core's LivenessMonitor; unref'd where the runtime allows it. */
const runtimeScheduler: LivenessScheduler = {
  every(milliseconds, tick) {
    const timer = setInterval(tick, milliseconds);
    // Never keep the process alive on its own (Bun's and Deno's timers have unref too).
    (timer as { unref?: () => void }).unref?.();
    return () => clearInterval(timer);
  },
  now: Date.now,
};

export function createLivenessMonitor(settings: LivenessSettings): LivenessMonitor {
  return new LivenessMonitor(settings, runtimeScheduler);
}
