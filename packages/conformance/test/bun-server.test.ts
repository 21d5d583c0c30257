// The suite against Bun: the echo server built with @wskit/deno-bun, and Bun.serve's native
// WebSocket without wskit, each under the real `bun` binary. test/expected-failures.ts lists
// what each cannot do, with the reasons.
import { describeServerConformance } from '../src/index.js';
import { EXPECTED_FAILURES } from './expected-failures.js';
import { startEchoProcess } from './runtime-servers.js';

describeServerConformance(
  '@wskit/deno-bun on Bun',
  () => startEchoProcess('bun', 'wskit-echo.ts', ['--deflate']),
  { deflate: true, expectedFailures: Object.keys(EXPECTED_FAILURES.bunWskit) },
);

describeServerConformance(
  'Bun.serve without wskit',
  () => startEchoProcess('bun', 'bun-raw-echo.ts'),
  {
    deflate: true,
    expectedFailures: Object.keys(EXPECTED_FAILURES.bunRaw),
  },
);
