// `describeClientConformance`: every applicable case played by a raw server against a client.

import { afterAll, beforeAll, describe } from 'vitest';
import { RawServer } from './raw-server.js';
import { type EchoClient, runClientCase } from './runner.js';
import { type ConformanceOptions, registerCases } from './suite.js';

export interface ClientConformanceOptions extends ConformanceOptions {
  /** The client offers permessage-deflate: also run groups 12 and 13. */
  deflate?: boolean;
}

/**
 * Registers the client conformance suite. For each case a raw server listening on loopback
 * calls `runEchoClient(url)`; the client must connect to `url`, echo every message (text as
 * text, binary as binary) until the connection closes, and resolve, ideally with the close code
 * it saw (checked when given).
 *
 * ```ts
 * describeClientConformance('my client', (url) => new Promise((resolve) => {
 *   const socket = new MyWebSocket(url);
 *   socket.onmessage = (event) => socket.send(event.data);
 *   socket.onclose = (event) => resolve({ closeCode: event.code });
 * }));
 * ```
 */
export function describeClientConformance(
  name: string,
  runEchoClient: EchoClient,
  options: ClientConformanceOptions = {},
): void {
  describe(`${name}: client conformance (RFC 6455${options.deflate ? ', RFC 7692' : ''})`, () => {
    let server: RawServer | undefined;
    beforeAll(async () => {
      server = await RawServer.listen();
    });
    afterAll(async () => {
      await server?.close();
    });
    registerCases('client', options, (testCase) => {
      if (!server) throw new Error('the raw server did not start');
      return runClientCase(server, testCase, runEchoClient);
    });
  });
}
