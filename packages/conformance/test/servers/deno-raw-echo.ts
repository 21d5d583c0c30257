// The echo server on Deno WITHOUT wskit: Deno.serve + Deno.upgradeWebSocket, the WHATWG
// WebSocket events, default limits. The baseline the wskit table compares against.
// Prints one JSON line `{"port": N}` once listening. Started by test/runtime-servers.ts.

declare const Deno: {
  serve(
    options: { hostname: string; port: number; onListen(address: { port: number }): void },
    handler: (request: Request) => Response,
  ): unknown;
  upgradeWebSocket(request: Request): { socket: WebSocket; response: Response };
};

Deno.serve(
  {
    hostname: '127.0.0.1',
    port: 0,
    onListen: ({ port }) => console.log(JSON.stringify({ port })),
  },
  (request) => {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('WebSocket only', { status: 426 });
    }
    const { socket, response } = Deno.upgradeWebSocket(request);
    // ArrayBuffer rather than the default Blob, so the echo is synchronous and stays in order.
    socket.binaryType = 'arraybuffer';
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  },
);
