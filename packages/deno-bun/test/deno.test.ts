// The behavioural suite on Deno: test/fixtures/deno-server.ts runs under the real `deno`
// binary (--allow-net=127.0.0.1 only) and imports the BUILT package (dist/).
import { afterAll, beforeAll } from 'vitest';
import { fixtureTarget, type RunningFixture, startFixture } from './runtimes.js';
import { defineSuite } from './suite/scenarios.js';

let fixture: RunningFixture;
beforeAll(async () => {
  fixture = await startFixture('deno');
});
afterAll(() => {
  fixture?.child.kill();
});

defineSuite(() => fixtureTarget(fixture), {
  runtime: 'deno',
  deflate: false,
  ping: false,
  idleTimeout: false,
  // Deno's own heartbeat closes a silent peer with 1001 "No response from ping frame.".
  deadPeerCode: 1001,
  refusals: [
    /^\[@wskit\/deno-bun\] option perMessageDeflate is not supported on Deno/,
    /^\[@wskit\/deno-bun\] option idleTimeout is not supported on Deno/,
    /^\[@wskit\/deno-bun\] option heartbeat is not supported on Deno: .*interval and timeout must be equal/,
    /^\[@wskit\/deno-bun\] option maxFrameSize is not supported on Deno/,
    /^\[@wskit\/deno-bun\] @wskit\/deno-bun\/bun serve\(\) needs Bun, but this is Deno/,
  ],
});
