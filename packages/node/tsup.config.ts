import { defineConfig } from 'tsup';

// `dist` is emptied by the build script: the two configurations build in parallel.
export default defineConfig([
  {
    // `ws`: the ws-shaped surface (@wskit/node/ws), sharing its chunks with the main entry.
    entry: { index: 'src/index.ts', ws: 'src/ws/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
  },
  {
    // What require('@wskit/node/ws') returns: the WebSocket class itself, as require('ws')
    // does (its types say `export =`).
    entry: { 'ws-commonjs': 'src/ws/commonjs.ts' },
    format: ['cjs'],
    dts: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    footer: { js: 'module.exports = module.exports.default;' },
  },
]);
