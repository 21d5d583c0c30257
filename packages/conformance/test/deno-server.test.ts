// The suite against Deno: the echo server built with @wskit/deno-bun, and Deno.serve +
// Deno.upgradeWebSocket without wskit, each under the real `deno` binary. Both are offered
// permessage-deflate like every other target; Deno's native WebSocket declines it, so the cases
// that require it are expected failures (test/expected-failures.ts).
import { describeServerConformance } from '../src/index.js';
import { EXPECTED_FAILURES } from './expected-failures.js';
import { startEchoProcess } from './runtime-servers.js';

describeServerConformance(
  '@wskit/deno-bun on Deno',
  () => startEchoProcess('deno', 'wskit-echo.ts'),
  { deflate: true, expectedFailures: Object.keys(EXPECTED_FAILURES.denoWskit) },
);

describeServerConformance(
  'Deno.serve without wskit',
  () => startEchoProcess('deno', 'deno-raw-echo.ts'),
  { deflate: true, expectedFailures: Object.keys(EXPECTED_FAILURES.denoRaw) },
);
