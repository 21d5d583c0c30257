// Type-checked in a fresh npm project as ESM (.mts) and CommonJS (.cts) under
// `moduleResolution: node16`, and as .ts under `moduleResolution: bundler`.
import { connect, defineHooks, type Hooks, type Message, WebSocketServer } from '@wskit/node';

const hooks: Hooks<{ user: string }> = defineHooks<{ user: string }>({
  upgrade: () => ({ data: { user: 'ada' } }),
  message(peer, message: Message) {
    peer.send(`${peer.data.user}: ${message.text()}`);
  },
});
export const server = new WebSocketServer<{ user: string }>({ noServer: true, hooks });
export const opening: Promise<unknown> = connect('ws://127.0.0.1:1/', {
  handshakeTimeout: 1,
}).catch(() => undefined);
