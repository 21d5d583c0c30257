// `describeServerConformance`: every applicable case against one echo server.

import { afterAll, beforeAll, describe } from 'vitest';
import { runServerCase } from './runner.js';
import { type ConformanceOptions, registerCases } from './suite.js';

/** A running echo server: text is echoed as text, binary as binary, until the client closes. */
export interface ServerUnderTest {
  /** `ws://host:port/path` of the echo endpoint. */
  url: string;
  stop(): Promise<void>;
}

export interface ServerConformanceOptions extends ConformanceOptions {
  /** The server negotiates permessage-deflate: also run groups 12 and 13. */
  deflate?: boolean;
}

/**
 * Registers the server conformance suite: `start` is called once before the cases, `stop` after
 * them; each case opens its own connection from a raw TCP client.
 *
 * ```ts
 * describeServerConformance('my server', async () => {
 *   const server = await startEchoServer({ port: 0 });
 *   return { url: `ws://127.0.0.1:${server.port}/`, stop: () => server.close() };
 * }, { deflate: true });
 * ```
 */
export function describeServerConformance(
  name: string,
  start: () => Promise<ServerUnderTest>,
  options: ServerConformanceOptions = {},
): void {
  describe(`${name}: server conformance (RFC 6455${options.deflate ? ', RFC 7692' : ''})`, () => {
    let server: ServerUnderTest | undefined;
    beforeAll(async () => {
      server = await start();
    });
    afterAll(async () => {
      await server?.stop();
    });
    registerCases('server', options, (testCase) => {
      if (!server) throw new Error('the server under test did not start');
      return runServerCase(server.url, testCase);
    });
  });
}
