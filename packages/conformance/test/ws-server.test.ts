// The suite validated against the reference implementation: a `ws` WebSocketServer echo server
// with its default options plus permessage-deflate. Every case passes except the listed ones,
// where ws 8.23 with default options behaves differently from what the suite demands
// (test/expected-failures.ts says why).

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { describeServerConformance } from '../src/index.js';
import { EXPECTED_FAILURES } from './expected-failures.js';

describeServerConformance(
  'ws',
  async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true });
    await once(server, 'listening');
    server.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary }));
      socket.on('error', () => {});
    });
    const { port } = server.address() as AddressInfo;
    return {
      url: `ws://127.0.0.1:${port}/`,
      stop: async () => {
        for (const client of server.clients) client.terminate();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  },
  { deflate: true, expectedFailures: Object.keys(EXPECTED_FAILURES.ws) },
);
