// Baseline: a plain Bun.serve echo server, no adapter. Same defaults the adapter gives Bun
// except what it sets on purpose (limits); prints "listening on <port>".
declare const Bun: { serve(options: Record<string, unknown>): { port: number } };
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch(request: Request, server: { upgrade(request: Request): boolean }) {
    return server.upgrade(request) ? undefined : new Response('websocket only', { status: 426 });
  },
  websocket: {
    message(ws: { send(data: string | Uint8Array): number }, message: string | Uint8Array) {
      ws.send(message);
    },
  },
});
console.log(`listening on ${server.port}`);

export {};
