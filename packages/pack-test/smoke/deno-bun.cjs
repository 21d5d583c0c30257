// CommonJS twin of deno-bun.mjs: require works on Node; serving needs Bun or Deno.
const assert = require('node:assert/strict');
const { createAdapter, PREFIX, serve } = require('@wskit/deno-bun');
const bun = require('@wskit/deno-bun/bun');
const deno = require('@wskit/deno-bun/deno');

assert.equal(PREFIX, '[@wskit/deno-bun]');
assert.throws(
  () => serve({ port: 0 }),
  /^WebSocketError: \[@wskit\/deno-bun\] serve\(\) runs on Bun or Deno, but this is Node\.js/,
);
assert.throws(() => createAdapter(), /\[@wskit\/deno-bun\]/);
assert.throws(() => bun.createAdapter(), /needs Bun, but this is Node\.js/);
assert.throws(() => deno.serve({ port: 0 }), /needs Deno, but this is Node\.js/);
