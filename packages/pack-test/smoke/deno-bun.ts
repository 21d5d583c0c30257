// Type-checked in a fresh npm project as ESM (.mts) and CommonJS (.cts) under
// `moduleResolution: node16`, and as .ts under `moduleResolution: bundler`, with no bun-types
// and no Deno lib: the declarations carry the few runtime shapes they use.
import {
  defineHooks,
  type Hooks,
  type ServeOptions,
  type ServerHandle,
  serve,
} from '@wskit/deno-bun';
import {
  type BunAdapter,
  type BunServer,
  createAdapter as createBunAdapter,
} from '@wskit/deno-bun/bun';
import {
  type DenoAdapter,
  type DenoServeHandlerInfo,
  serve as denoServe,
} from '@wskit/deno-bun/deno';

const hooks: Hooks<{ user: string }> = defineHooks<{ user: string }>({
  upgrade: (request) =>
    request.headers.get('authorization') ? { data: { user: 'ada' } } : { status: 401 },
  message(peer, message) {
    peer.send(`${peer.data.user}: ${message.text()}`);
    peer.publish('room', message.bytes());
  },
});
const options: ServeOptions<{ user: string }> = { port: 0, hooks, heartbeat: { interval: 10_000 } };
export const start = (): ServerHandle<{ user: string }> => serve(options);
// Answered in the same call without an upgrade hook, a promise with one (what Bun's fetch takes).
export const mount = (
  request: Request,
  server: BunServer,
): Response | undefined | Promise<Response | undefined> => {
  const adapter: BunAdapter<{ user: string }> = createBunAdapter({ hooks });
  return adapter.handleUpgrade(request, server);
};
export const onDeno = (info: DenoServeHandlerInfo): number => info.remoteAddr.port;
export type Deno = DenoAdapter<{ user: string }>;
export const startDeno = () => denoServe({ port: 0, hooks });
