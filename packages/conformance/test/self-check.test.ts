// The suite must fail broken peers, not only pass good ones. Each broken endpoint has a single
// defect; the cases aimed at it must fail for that reason, and a case it handles must pass.

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import {
  type ConformanceCase,
  caseGroups,
  RawServer,
  runClientCase,
  runServerCase,
} from '../src/index.js';
import {
  brokenClient,
  type ClientDefect,
  type ServerDefect,
  startBrokenServer,
} from './broken-peers.js';

const cases = new Map<string, ConformanceCase>(
  caseGroups.flatMap((group) => group.cases.map((c) => [c.id, c])),
);
const byId = (id: string) => cases.get(id) as ConformanceCase;

const SERVER_DEFECTS: Array<[ServerDefect, Array<[id: string, failure: RegExp | 'passes']>]> = [
  [
    'none',
    [
      ['1.1.2', 'passes'],
      ['5.6', 'passes'],
      ['7.1.1', 'passes'],
      ['13.3', 'passes'],
      ['13.6.1', 'passes'],
    ],
  ],
  ['echoes-text-as-binary', [['1.1.2', /expected a text message, got a binary message/]]],
  [
    'no-pongs',
    [
      ['2.2', /expected pong/],
      ['5.6', /no pong .* before the message ends/],
    ],
  ],
  ['keeps-tcp-open', [['7.1.1', /did not close TCP/]]],
  [
    'deflate-ignores-parameters',
    [
      ['13.1', 'passes'],
      ['13.3', /too far back/],
      ['13.6.1', /too far back/],
      ['13.6.7', 'passes'],
    ],
  ],
];

const CLIENT_DEFECTS: Array<[ClientDefect, Array<[id: string, failure: RegExp | 'passes']>]> = [
  [
    'none',
    [
      ['1.1.2', 'passes'],
      ['7.7.1', 'passes'],
    ],
  ],
  ['unmasked', [['1.1.2', /not masked/]]],
  ['drops-tcp-on-close', [['7.7.1', /closed TCP without a close frame/]]],
  // RFC 6455 §7.1.1 prefers the server to close first, but a client closing right after its
  // close echo is accepted.
  ['closes-tcp-after-close-echo', [['7.7.1', 'passes']]],
];

function expectOutcome(
  report: { passed: boolean; failures: string[] },
  outcome: RegExp | 'passes',
) {
  if (outcome === 'passes') expect(report.failures).toEqual([]);
  else expect(report.failures.join('\n')).toMatch(outcome);
}

describe('the server suite fails broken servers', () => {
  for (const [defect, checks] of SERVER_DEFECTS) {
    test(defect, { timeout: 30_000 }, async () => {
      const server = await startBrokenServer(defect);
      try {
        for (const [id, outcome] of checks)
          expectOutcome(await runServerCase(server.url, byId(id)), outcome);
      } finally {
        await server.stop();
      }
    });
  }

  test('ws without UTF-8 validation', { timeout: 30_000 }, async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, skipUTF8Validation: true });
    await once(server, 'listening');
    server.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary }));
      socket.on('error', () => {});
    });
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      expectOutcome(await runServerCase(url, byId('6.3.1')), /not valid UTF-8/);
      expectOutcome(await runServerCase(url, byId('7.5.1')), /close 1000, expected 1007/);
    } finally {
      for (const client of server.clients) client.terminate();
      server.close();
    }
  });
});

describe('the client suite fails broken clients', () => {
  for (const [defect, checks] of CLIENT_DEFECTS) {
    test(defect, { timeout: 30_000 }, async () => {
      const server = await RawServer.listen();
      try {
        for (const [id, outcome] of checks) {
          expectOutcome(await runClientCase(server, byId(id), brokenClient(defect)), outcome);
        }
      } finally {
        await server.close();
      }
    });
  }
});
