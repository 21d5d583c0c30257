#!/usr/bin/env node
/**
 * Measures how parsing time of hostile Sec-WebSocket-Extensions / Sec-WebSocket-Protocol
 * values grows from 1 KiB to 1 MiB. Linear parsing gives a ratio near 1024; a quadratic
 * parser gives ~1,000,000. A measurement printed for people, never asserted in a test.
 *
 *   node packages/core/scripts/header-scaling.mjs        (needs the built dist: pnpm build)
 */
import { performance } from 'node:perf_hooks';
import { parseExtensions, parseSubprotocols } from '../dist/index.js';

const shapes = {
  // Valid-looking but long: many parameters, quoted values, separators.
  'extensions, many params': [
    'Sec-WebSocket-Extensions',
    'permessage-deflate; a=1; b="x", ',
    parseExtensions,
  ],
  'extensions, unterminated quote': [
    'Sec-WebSocket-Extensions',
    'permessage-deflate; a="',
    parseExtensions,
    'x',
  ],
  'protocols, many tokens': ['Sec-WebSocket-Protocol', 'chat, ', parseSubprotocols],
  'protocols, empty elements': ['Sec-WebSocket-Protocol', ',', parseSubprotocols],
};

function build(unit, size, fill) {
  if (fill !== undefined) return unit + fill.repeat(size - unit.length);
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

/** Median time of `runs` parses, in ms; a throw (400) is a valid, timed outcome. */
function time(parse, value, runs) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    try {
      parse(value);
    } catch {}
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const results = [];
for (const [name, [header, unit, parse, fill]] of Object.entries(shapes)) {
  const small = build(unit, 1024, fill);
  const large = build(unit, 1024 * 1024, fill);
  time(parse, small, 200); // warm up the JIT
  time(parse, large, 3);
  // Repeat the small input so its time is well above the timer's resolution.
  const smallMs =
    time(
      () => {
        for (let i = 0; i < 100; i++) {
          try {
            parse(small);
          } catch {}
        }
      },
      undefined,
      21,
    ) / 100;
  const largeMs = time(parse, large, 7);
  results.push({
    case: name,
    header,
    '1KiB_ms': +smallMs.toFixed(5),
    '1MiB_ms': +largeMs.toFixed(2),
    ratio: Math.round(largeMs / smallMs),
  });
}
console.table(results);
console.log(
  'linear parsing: ratio ≈ 1024 (a few hundred to a few thousand with GC and cache effects); quadratic: ≈ 1,000,000',
);
