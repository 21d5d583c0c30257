// Baseline: a plain Deno.serve + Deno.upgradeWebSocket echo server, no adapter.
declare const Deno: {
  serve(
    options: Record<string, unknown>,
    handler: (request: Request) => Response,
  ): { addr: { port: number } };
  upgradeWebSocket(request: Request): { socket: WebSocket; response: Response };
};
const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, (request) => {
  const { socket, response } = Deno.upgradeWebSocket(request);
  socket.binaryType = 'arraybuffer';
  socket.onmessage = (event) => socket.send(event.data);
  return response;
});
console.log(`listening on ${server.addr.port}`);

export {};
