// Echo server for interop and Autobahn runs:
//   pnpm --filter @wskit/node echo-server --port 9001 [--host 127.0.0.1]
// Echoes every message (text as text, binary as binary) with permessage-deflate enabled and
// default limits, prints `listening on <port>`, and stops cleanly on SIGTERM/SIGINT.
import { WebSocketServer } from '../dist/index.js';
import { flag } from './args.mjs';

const port = Number(flag('port', '9001'));
const host = flag('host', '127.0.0.1');

const server = new WebSocketServer({ port, host, perMessageDeflate: true }, () => {
  console.log(`listening on ${server.port}`);
});
server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => {
    // Closing or closed sockets cannot send; the callback absorbs that instead of throwing.
    socket.send(isBinary ? data : data.toString('utf8'), () => {});
  });
});
server.on('error', (error) => {
  console.error(`echo-server: ${error.message}`);
  process.exit(1);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close({ timeout: 2000 }).then(() => process.exit(0));
  });
}
