import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  tsconfig: 'tsconfig.build.json',
  target: 'es2022',
  // ioredis runs on node:net and node:tls, which Bun and Deno provide too.
  platform: 'node',
});
