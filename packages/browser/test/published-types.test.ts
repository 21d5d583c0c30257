// Members marked `@internal` are not part of the API: TypeScript's `stripInternal` (set in
// this package's and @wskit/core's tsconfig, which tsup's declaration build honours) keeps
// them out of the published .d.ts files. Checked on the built files.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

function declarationFiles(distUrl: URL): Array<[string, string]> {
  const dir = fileURLToPath(distUrl);
  const names = readdirSync(dir).filter((name) => /\.d\.c?ts$/.test(name));
  if (names.length === 0) throw new Error(`no .d.ts files in ${dir}: build the package first`);
  return names.map((name) => [name, readFileSync(`${dir}/${name}`, 'utf8')]);
}

test('no @internal member in the declarations of @wskit/browser and @wskit/core', () => {
  const files = [
    ...declarationFiles(new URL('../dist/', import.meta.url)),
    ...declarationFiles(new URL('../../core/dist/', import.meta.url)),
  ];
  for (const [name, text] of files) expect(text, name).not.toContain('@internal');
  const core = files.filter(([name]) => name.startsWith('index.')).map(([, text]) => text);
  expect(core).toHaveLength(2);
  for (const text of core) {
    // PreparedMessage's constructor is @internal (use prepareServerMessage); the class stays.
    const prepared = text.slice(text.indexOf('declare class PreparedMessage'));
    expect(prepared).toMatch(/^declare class PreparedMessage/);
    expect(prepared.slice(0, prepared.indexOf('\n}'))).not.toContain('constructor(');
    expect(text).toMatch(/\bclass WebSocketError\b/);
  }
});
