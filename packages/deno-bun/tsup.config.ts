import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/bun.ts', 'src/deno.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // Sources only, with no Node types: the published code must not lean on Node globals.
  tsconfig: 'tsconfig.build.json',
  // Runs on Bun and Deno (and is imported on Node): no Node builtins, nothing platform-specific.
  target: 'es2022',
  platform: 'neutral',
});
