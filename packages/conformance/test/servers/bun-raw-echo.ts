// The echo server on Bun WITHOUT wskit: Bun.serve with its native `websocket` handler and its
// default limits, permessage-deflate on. The baseline the wskit table compares against.
// Prints one JSON line `{"port": N}` once listening. Started by test/runtime-servers.ts.

interface BunSocket {
  send(data: string | Uint8Array): number;
}
declare const Bun: {
  serve(options: {
    hostname: string;
    port: number;
    fetch(request: Request, server: { upgrade(request: Request): boolean }): Response | undefined;
    websocket: {
      perMessageDeflate: boolean;
      message(socket: BunSocket, message: string | Uint8Array): void;
    };
  }): { port: number };
};

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch(request, server) {
    if (server.upgrade(request)) return undefined;
    return new Response('WebSocket only', { status: 426 });
  },
  websocket: {
    perMessageDeflate: true,
    // Bun hands text over as a string and binary as a Buffer: sending it back keeps the type.
    message(socket, message) {
      socket.send(message);
    },
  },
});
console.log(JSON.stringify({ port: server.port }));
