// The suite against @wskit/deno-bun's serve() on Bun: test/servers/wskit-echo.ts under the real
// `bun` binary, permessage-deflate on. test/expected-failures.ts lists what it cannot do, and why.
import { describeServerConformance } from '../src/index.js';
import { EXPECTED_FAILURES } from './expected-failures.js';
import { startEchoProcess } from './runtime-servers.js';

describeServerConformance(
  '@wskit/deno-bun on Bun',
  () => startEchoProcess('bun', 'wskit-echo.ts', ['--deflate']),
  { deflate: true, expectedFailures: Object.keys(EXPECTED_FAILURES.bunWskit) },
);
