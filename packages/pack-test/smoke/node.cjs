// CommonJS twin of node.mjs. Runs in a fresh npm project where the packed @wskit/node and @wskit/core tarballs
// are installed: a real server and client on loopback.
const assert = require('node:assert/strict');
const { WebSocketServer, connect } = require('@wskit/node');

(async () => {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (socket) =>
    socket.on('message', (data, isBinary) => socket.send(isBinary ? data : data.toString())),
  );
  const client = await connect(`ws://127.0.0.1:${server.port}/`);
  const echoed = new Promise((resolve) =>
    client.once('message', (data, isBinary) => resolve([data.toString(), isBinary])),
  );
  client.send('hello from the tarball');
  assert.deepEqual(await echoed, ['hello from the tarball', false]);
  assert.match(client.extensions, /permessage-deflate/);
  await server.close();
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
