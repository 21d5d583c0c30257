// The suite against Deno without wskit (Deno.serve + Deno.upgradeWebSocket,
// test/servers/deno-raw-echo.ts): the baseline for the table in packages/deno-bun/README.md.
import { describeServerConformance } from '../src/index.js';
import { EXPECTED_FAILURES } from './expected-failures.js';
import { startEchoProcess } from './runtime-servers.js';

describeServerConformance(
  'Deno.serve without wskit',
  () => startEchoProcess('deno', 'deno-raw-echo.ts'),
  { deflate: true, expectedFailures: Object.keys(EXPECTED_FAILURES.denoRaw) },
);
