// The floor of idle memory on Bun for any adapter that keeps a JavaScript peer per connection:
// raw Bun (raw-bun.mjs) plus one small peer object, reached from ws.data and held in a Set,
// and nothing else (no request, no hooks, no heartbeat). It stands in for @wskit/deno-bun's
// dist as a candidate:
//
//   node runtimes.mjs --only memory --runtime bun --candidate runtimes/floor-bun.mjs
//
// adapter.mjs imports it and calls serve({ port, hostname, hooks }); the hooks are ignored
// (it echoes, which is all the memory scenario needs) and `peers` counts the connections.
export function serve({ port, hostname }) {
  const peers = new Set();
  const server = Bun.serve({
    port,
    hostname,
    fetch(request, server) {
      if (server.upgrade(request, { data: { peer: undefined } })) return undefined;
      return new Response('websocket only', { status: 426 });
    },
    websocket: {
      open(ws) {
        // As few fields as a peer could have: the socket, an id, user data, the request,
        // the negotiated protocol and extensions, a ready state.
        const peer = {
          ws,
          id: '',
          data: undefined,
          request: undefined,
          protocol: '',
          extensions: '',
          readyState: 1,
        };
        ws.data.peer = peer;
        peers.add(peer);
      },
      message(ws, message) {
        ws.send(message);
      },
      close(ws) {
        peers.delete(ws.data.peer);
      },
    },
  });
  return { port: server.port, peers };
}
