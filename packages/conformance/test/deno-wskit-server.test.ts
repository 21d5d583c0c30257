// The suite against @wskit/deno-bun's serve() on Deno: test/servers/wskit-echo.ts under the real
// `deno` binary. It is offered permessage-deflate like every target; Deno's native WebSocket
// declines, so the cases that require it are expected failures (test/expected-failures.ts).
import { describeServerConformance } from '../src/index.js';
import { EXPECTED_FAILURES } from './expected-failures.js';
import { startEchoProcess } from './runtime-servers.js';

describeServerConformance(
  '@wskit/deno-bun on Deno',
  () => startEchoProcess('deno', 'wskit-echo.ts'),
  { deflate: true, expectedFailures: Object.keys(EXPECTED_FAILURES.denoWskit) },
);
