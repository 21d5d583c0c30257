// The suite against our own server: @wskit/node's echo server exactly as the runnable
// `echo-server` script configures it (default options plus permessage-deflate). No case may fail.

import { WebSocketServer } from '@wskit/node';
import { describeServerConformance } from '../src/index.js';
import { EXPECTED_FAILURES } from './expected-failures.js';

describeServerConformance(
  '@wskit/node',
  async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => {
        socket.send(isBinary ? data : data.toString('utf8'), () => {});
      });
    });
    return {
      url: `ws://127.0.0.1:${server.port}/`,
      stop: () => server.close({ timeout: 200 }),
    };
  },
  { deflate: true, expectedFailures: Object.keys(EXPECTED_FAILURES.nodeWskit) },
);
