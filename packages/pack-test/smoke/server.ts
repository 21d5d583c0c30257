// Type-checked in a fresh npm project as ESM (.mts) and CommonJS (.cts) under
// `moduleResolution: node16`, and as .ts under `moduleResolution: bundler`.
import {
  DEFAULTS,
  HookDispatcher,
  type ResolvedServerOptions,
  resolveServerOptions,
  type ServerOptions,
} from '@wskit/server';

const options: ServerOptions<{ user: string }> = {
  hooks: { open: (peer) => void peer.data.user },
  heartbeat: { interval: DEFAULTS.heartbeat.interval },
};
export const resolved: ResolvedServerOptions<{ user: string }> = resolveServerOptions(options, {
  prefix: '[smoke]',
  runtime: 'Node',
});
export const dispatcher = new HookDispatcher(resolved.hooks, () => {});
