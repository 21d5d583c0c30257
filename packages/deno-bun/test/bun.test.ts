// The behavioural suite on Bun: test/fixtures/bun-server.ts runs under the real `bun` binary
// and imports the BUILT package (dist/), so this also proves the published files load on Bun.
import { afterAll, beforeAll } from 'vitest';
import { fixtureTarget, type RunningFixture, startFixture } from './runtimes.js';
import { defineSuite } from './suite/scenarios.js';

let fixture: RunningFixture;
beforeAll(async () => {
  fixture = await startFixture('bun');
});
afterAll(() => {
  fixture?.child.kill();
});

defineSuite(() => fixtureTarget(fixture), {
  runtime: 'bun',
  deflate: true,
  ping: true,
  idleTimeout: true,
  deadPeerCode: 1006,
  refusals: [
    /^\[@wskit\/deno-bun\] option perMessageDeflate\.serverMaxWindowBits is not supported on Bun/,
    /^\[@wskit\/deno-bun\] option maxFrameSize is not supported on Bun/,
    /^\[@wskit\/deno-bun\] unknown option bogus$/,
    /^\[@wskit\/deno-bun\] @wskit\/deno-bun\/deno serve\(\) needs Deno, but this is Bun/,
  ],
});
