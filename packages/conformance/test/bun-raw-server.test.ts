// The suite against Bun without wskit (Bun.serve's native `websocket` handler,
// test/servers/bun-raw-echo.ts): the baseline for the table in packages/deno-bun/README.md.
import { describeServerConformance } from '../src/index.js';
import { EXPECTED_FAILURES } from './expected-failures.js';
import { startEchoProcess } from './runtime-servers.js';

describeServerConformance(
  'Bun.serve without wskit',
  () => startEchoProcess('bun', 'bun-raw-echo.ts'),
  { deflate: true, expectedFailures: Object.keys(EXPECTED_FAILURES.bunRaw) },
);
