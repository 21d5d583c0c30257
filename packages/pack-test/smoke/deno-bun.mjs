// Runs with `node` in a fresh npm project where the packed @wskit/deno-bun and @wskit/core
// tarballs are installed. Importing works on Node; serving needs Bun or Deno and says so.
import assert from 'node:assert/strict';
import { createAdapter, defineHooks, detectRuntime, PREFIX, serve } from '@wskit/deno-bun';
import * as bun from '@wskit/deno-bun/bun';
import * as deno from '@wskit/deno-bun/deno';

assert.equal(PREFIX, '[@wskit/deno-bun]');
assert.equal(detectRuntime(), undefined);
const hooks = defineHooks({ message: (peer, message) => peer.send(message.text()) });
assert.throws(
  () => serve({ port: 0, hooks }),
  /^WebSocketError: \[@wskit\/deno-bun\] serve\(\) runs on Bun or Deno, but this is Node\.js .*@wskit\/node/,
);
assert.throws(
  () => createAdapter({ hooks }),
  /\[@wskit\/deno-bun\] createAdapter\(\) runs on Bun or Deno/,
);
assert.throws(
  () => bun.serve({ port: 0 }),
  /\[@wskit\/deno-bun\] @wskit\/deno-bun\/bun serve\(\) needs Bun, but this is Node\.js/,
);
assert.throws(
  () => deno.createAdapter(),
  /\[@wskit\/deno-bun\] .*needs Deno, but this is Node\.js/,
);
