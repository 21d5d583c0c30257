// Bundles a test entry with esbuild's JS API: for Chromium pages (platform browser, one ESM
// file with no Node code) and for child Node processes (one CommonJS file, `ws` included, so
// it runs from a temporary folder without node_modules).
import { build } from 'esbuild';

export async function bundle(entry: string, platform: 'browser' | 'node'): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform,
    format: platform === 'browser' ? 'esm' : 'cjs',
    target: platform === 'browser' ? 'es2022' : 'node20',
    // ws loads these optional native helpers inside try/catch.
    external: platform === 'node' ? ['bufferutil', 'utf-8-validate'] : [],
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error(`esbuild produced nothing for ${entry}`);
  return output.text;
}
