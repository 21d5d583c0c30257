// The suite against our own client: @wskit/node's `connect` with default options (which offer
// permessage-deflate), echoing every message as the `autobahn-client` script does. No case may
// fail.

import { connect } from '@wskit/node';
import { describeClientConformance } from '../src/index.js';

describeClientConformance(
  '@wskit/node',
  async (url) => {
    const socket = await connect(url);
    return new Promise((resolve) => {
      socket.on('message', (data, isBinary) => {
        if (socket.readyState === socket.OPEN)
          socket.send(isBinary ? data : data.toString('utf8'), () => {});
      });
      socket.on('close', (code) => resolve({ closeCode: code }));
    });
  },
  { deflate: true },
);
