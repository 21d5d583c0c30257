// On Node the package imports fine and refuses to serve, pointing at @wskit/node.
import { describe, expect, test } from 'vitest';
import * as bun from './bun.js';
import * as deno from './deno.js';
import { createAdapter, detectRuntime, serve } from './index.js';

describe('wrong runtime: fail fast with a prefixed error', () => {
  test('the neutral entry point on Node', () => {
    expect(detectRuntime()).toBeUndefined();
    expect(() => serve({ port: 0 })).toThrow(
      /^\[@wskit\/deno-bun\] serve\(\) runs on Bun or Deno, but this is Node\.js \d+.*@wskit\/node/,
    );
    expect(() => createAdapter()).toThrow(
      /^\[@wskit\/deno-bun\] createAdapter\(\) runs on Bun or Deno/,
    );
  });

  test('the runtime entry points on Node', () => {
    expect(() => bun.serve({ port: 0 })).toThrow(
      /^\[@wskit\/deno-bun\] @wskit\/deno-bun\/bun serve\(\) needs Bun, but this is Node\.js/,
    );
    expect(() => bun.createAdapter()).toThrow(/needs Bun/);
    expect(() => deno.serve({ port: 0 })).toThrow(/needs Deno, but this is Node\.js/);
    expect(() => deno.createAdapter()).toThrow(/needs Deno/);
  });
});
