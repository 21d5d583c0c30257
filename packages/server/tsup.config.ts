import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // Sources only, with no Node types: this layer runs on Node, Bun and Deno alike.
  tsconfig: 'tsconfig.build.json',
  target: 'es2022',
  platform: 'neutral',
});
