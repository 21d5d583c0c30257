// `instanceof WebSocketError` across module systems: @wskit/core's ESM and CommonJS builds
// are two modules with two classes, and an app may get errors from one while importing the
// class from the other (an ESM app using a CommonJS dependency of ours, or the reverse). The
// class is brand-checked with a registered symbol (core/src/errors.ts), so either class
// recognises errors from either build. Checked on the built packages, in a child Node that
// loads both builds: @wskit/node (which re-exports core's class) and our Node WebSocket.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, expect, test } from 'vitest';

const execFileAsync = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));

beforeAll(() => {
  if (!existsSync(new URL('../dist/node.cjs', import.meta.url))) {
    throw new Error('@wskit/browser is not built: run its build first (turbo does: test → build)');
  }
});

const SCRIPT = `
  import { createRequire } from 'node:module';
  import { createServer } from 'node:net';
  const require = createRequire(process.cwd() + '/package.json');
  const cjs = require('@wskit/node');
  const esm = await import('@wskit/node');
  const browserCjs = require('@wskit/browser/node');
  const browserEsm = await import('@wskit/browser/node');

  // A port nothing listens on: bound, then released.
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.on('listening', resolve));
  const url = 'ws://127.0.0.1:' + probe.address().port + '/';
  await new Promise((resolve) => probe.close(resolve));

  const refusedCjs = await cjs.connect(url).catch((error) => error);
  const refusedEsm = await esm.connect(url).catch((error) => error);
  const failedEvent = (WebSocket) => new Promise((resolve) => {
    new WebSocket(url).addEventListener('error', (event) => resolve(event.error));
  });
  const eventCjs = await failedEvent(browserCjs.WebSocket);
  const eventEsm = await failedEvent(browserEsm.WebSocket);
  const made = new cjs.WebSocketError('WS_ERR_INVALID_STATE', 'made by the CommonJS build');

  console.log(JSON.stringify({
    twoClasses: cjs.WebSocketError !== esm.WebSocketError,
    codes: [refusedCjs.code, refusedEsm.code, eventCjs.code, eventEsm.code],
    cjsErrorIsEsmClass: refusedCjs instanceof esm.WebSocketError,
    esmErrorIsCjsClass: refusedEsm instanceof cjs.WebSocketError,
    madeIsEsmClass: made instanceof esm.WebSocketError,
    eventErrors: [
      eventCjs instanceof esm.WebSocketError,
      eventCjs instanceof cjs.WebSocketError,
      eventEsm instanceof esm.WebSocketError,
      eventEsm instanceof cjs.WebSocketError,
    ],
    sameBuild: refusedEsm instanceof esm.WebSocketError,
    plainErrors: [new Error('x') instanceof esm.WebSocketError, null instanceof cjs.WebSocketError, { code: 'WS_ERR_INVALID_STATE' } instanceof esm.WebSocketError],
    subclassStillStrict: made instanceof esm.UnexpectedResponseError,
    brandNotOwn: Object.getOwnPropertySymbols(made).length,
  }));
`;

test('WebSocketError from either build is instanceof either build’s class', async () => {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--input-type=module', '--eval', SCRIPT],
    { cwd: packageDir },
  );
  expect(JSON.parse(stdout.trim())).toEqual({
    twoClasses: true,
    codes: [
      'WS_ERR_CONNECTION_FAILED',
      'WS_ERR_CONNECTION_FAILED',
      'WS_ERR_CONNECTION_FAILED',
      'WS_ERR_CONNECTION_FAILED',
    ],
    cjsErrorIsEsmClass: true,
    esmErrorIsCjsClass: true,
    madeIsEsmClass: true,
    eventErrors: [true, true, true, true],
    sameBuild: true,
    plainErrors: [false, false, false],
    subclassStillStrict: false,
    brandNotOwn: 0,
  });
});
