// Echo server for the client benchmark, in its own process. permessage-deflate off, so every
// client runs uncompressed whatever it offers. Prints `listening on <port>`.
//   node bench/echo-server.mjs [--port 0] [--impl wskit|ws]
// wskit (default): @wskit/node's server. ws: the `ws` server, to show that the clients' order
// does not depend on whose server they talk to.
const flag = (name, fallback) => {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : process.argv[index + 1];
};
const port = Number(flag('--port', '0'));
const impl = flag('--impl', 'wskit');

let close;
if (impl === 'ws') {
  const { WebSocketServer } = await import('ws');
  const server = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false }, () =>
    console.log(`listening on ${server.address().port}`),
  );
  server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  close = () => new Promise((resolve) => server.close(resolve));
} else {
  const { WebSocketServer } = await import('@wskit/node');
  const server = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false }, () =>
    console.log(`listening on ${server.port}`),
  );
  // Text back as text, binary as binary; a closing socket's send error goes to the callback.
  server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) =>
      socket.send(isBinary ? data : data.toString('utf8'), () => {}),
    );
  });
  close = () => server.close({ timeout: 1000 });
}
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => close().then(() => process.exit(0)));
}
