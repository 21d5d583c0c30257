import { consoleReporter, HookDispatcher } from '@wskit/server';
import { describe, expect, test, vi } from 'vitest';
import { PREFIX } from './errors.js';
import { type ResolvedOptions, resolveOptions } from './options.js';
import {
  decideWebSocketUpgrade,
  isWebSocketRequest,
  SnapshotUpgradeRequest,
  upgradePolicy,
  upgradeRequired,
} from './upgrade.js';

/** The adapters' path: the shared decision behind a WHATWG Request. */
function decideUpgrade<Data>(
  request: Request,
  remoteAddress: string | undefined,
  options: ResolvedOptions<Data>,
  accepting: () => boolean,
) {
  const dispatcher = new HookDispatcher(options.hooks, consoleReporter(PREFIX));
  return decideWebSocketUpgrade(
    request,
    remoteAddress,
    upgradePolicy(options, dispatcher),
    accepting,
  );
}

function upgradeRequest(
  headers: Record<string, string> = {},
  url = 'http://127.0.0.1:8080/chat?room=1',
) {
  return new Request(url, {
    headers: {
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
      ...headers,
    },
  });
}

describe('decideUpgrade: the runtime-neutral half of RFC 6455 §4.2', () => {
  test('a plain HTTP request is not a WebSocket request and gets 426', async () => {
    expect(isWebSocketRequest(new Request('http://x/'))).toBe(false);
    expect(isWebSocketRequest(upgradeRequest({ upgrade: 'h2c, WebSocket' }))).toBe(true);
    const response = upgradeRequired();
    expect(response.status).toBe(426);
    expect(response.headers.get('upgrade')).toBe('websocket');
  });

  test('the Upgrade header: one token in any case, or one of a comma-separated list', () => {
    const asks = (upgrade: string) => isWebSocketRequest(upgradeRequest({ upgrade }));
    expect(asks('websocket')).toBe(true);
    expect(asks('WebSocket')).toBe(true);
    expect(asks('h2c,websocket')).toBe(true);
    expect(asks('websocket , h2c')).toBe(true);
    // The same length as "websocket", or containing it, is not enough.
    expect(asks('websockex')).toBe(false);
    expect(asks('websockets')).toBe(false);
    expect(asks('h2c')).toBe(false);
    expect(asks('h2c, web socket')).toBe(false);
  });

  test('accepts with data, a chosen subprotocol and headers; the request is snapshotted as ws:', async () => {
    const options = resolveOptions(
      {
        hooks: {
          upgrade: (request) => ({
            data: { room: new URL(request.url).searchParams.get('room') },
            protocol: 'b',
            headers: [['set-cookie', 'a=1']],
          }),
        },
      },
      { runtime: 'Deno' },
    );
    const decision = await decideUpgrade(
      upgradeRequest({ 'sec-websocket-protocol': 'a,b , c', origin: 'https://site.example' }),
      '127.0.0.1',
      options,
      () => true,
    );
    expect(decision.accepted).toBe(true);
    if (!decision.accepted) return;
    expect(decision.data).toEqual({ room: '1' });
    expect(decision.protocol).toBe('b');
    expect(decision.headers?.get('set-cookie')).toBe('a=1');
    expect(decision.request).toMatchObject({
      url: 'ws://127.0.0.1:8080/chat?room=1',
      protocols: ['a', 'b', 'c'],
      origin: 'https://site.example',
      remoteAddress: '127.0.0.1',
    });
  });

  test('RFC 6455 §4.2.2: no subprotocol by default; one the client did not offer is a 500', async () => {
    const none = await decideUpgrade(
      upgradeRequest({ 'sec-websocket-protocol': 'a' }),
      undefined,
      resolveOptions({}, { runtime: 'Bun' }),
      () => true,
    );
    expect(none.accepted && none.protocol).toBe('');
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const bad = await decideUpgrade(
      upgradeRequest({ 'sec-websocket-protocol': 'a' }),
      undefined,
      resolveOptions({ selectProtocol: () => 'z' }, { runtime: 'Bun' }),
      () => true,
    );
    expect(!bad.accepted && bad.response.status).toBe(500);
    expect(errors).toHaveBeenCalledOnce();
    errors.mockRestore();
  });

  test('rejections: { status } object with headers and body, a returned or thrown Response, a throwing hook 500', async () => {
    const reject = await decideUpgrade(
      upgradeRequest(),
      undefined,
      resolveOptions(
        {
          hooks: {
            upgrade: () => ({ status: 401, headers: { 'www-authenticate': 'Bearer' }, body: 'no' }),
          },
        },
        { runtime: 'Bun' },
      ),
      () => true,
    );
    expect(reject.accepted).toBe(false);
    if (reject.accepted) return;
    expect(reject.response.status).toBe(401);
    expect(reject.response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await reject.response.text()).toBe('no');

    // A returned Response and a thrown one (crossws style) are both sent as they are.
    for (const upgrade of [
      () => new Response('teapot', { status: 418, headers: { 'x-kind': 'pot' } }),
      () => {
        throw new Response('teapot', { status: 418, headers: { 'x-kind': 'pot' } });
      },
    ]) {
      const passed = await decideUpgrade(
        upgradeRequest(),
        undefined,
        resolveOptions({ hooks: { upgrade } }, { runtime: 'Bun' }),
        () => true,
      );
      expect(passed.accepted).toBe(false);
      if (passed.accepted) return;
      expect(passed.response.status).toBe(418);
      expect(passed.response.headers.get('x-kind')).toBe('pot');
      expect(await passed.response.text()).toBe('teapot');
    }

    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const thrown = await decideUpgrade(
      upgradeRequest(),
      undefined,
      resolveOptions(
        { hooks: { upgrade: () => Promise.reject(new Error('db down')) } },
        { runtime: 'Bun' },
      ),
      () => true,
    );
    expect(!thrown.accepted && thrown.response.status).toBe(500);
    expect(!thrown.accepted && (await thrown.response.text())).not.toMatch(/db down/);
    errors.mockRestore();
  });

  test('RFC 6455 §10.2: allowedOrigins refuses other origins with 403; shutting down is 503', async () => {
    const options = resolveOptions(
      { allowedOrigins: ['https://good.example'] },
      { runtime: 'Bun' },
    );
    const evil = await decideUpgrade(
      upgradeRequest({ origin: 'https://evil.example' }),
      undefined,
      options,
      () => true,
    );
    expect(!evil.accepted && evil.response.status).toBe(403);
    const missing = await decideUpgrade(upgradeRequest(), undefined, options, () => true);
    expect(!missing.accepted && missing.response.status).toBe(403);
    const closing = await decideUpgrade(
      upgradeRequest({ origin: 'https://good.example' }),
      undefined,
      options,
      () => false,
    );
    expect(!closing.accepted && closing.response.status).toBe(503);
  });
});

describe('decideWebSocketUpgrade answers at once when there is no upgrade hook', () => {
  test('no hook: the decision itself, accepted or refused, not a promise', () => {
    const accepted = decideUpgrade(
      upgradeRequest({ 'sec-websocket-protocol': 'a, b' }),
      undefined,
      resolveOptions({ selectProtocol: (offered) => offered[1] }, { runtime: 'Deno' }),
      () => true,
    );
    expect(accepted).not.toBeInstanceOf(Promise);
    expect(accepted).toMatchObject({ accepted: true, protocol: 'b' });
    const options = resolveOptions(
      { allowedOrigins: ['https://good.example'] },
      { runtime: 'Bun' },
    );
    const refused = decideUpgrade(upgradeRequest(), undefined, options, () => true);
    expect(refused).not.toBeInstanceOf(Promise);
    expect(!('then' in refused) && !refused.accepted && refused.response.status).toBe(403);
    const closing = decideUpgrade(
      upgradeRequest({ origin: 'https://good.example' }),
      undefined,
      options,
      () => false,
    );
    expect(!('then' in closing) && !closing.accepted && closing.response.status).toBe(503);
  });

  test('with a hook: a promise, even when the hook itself is synchronous', async () => {
    const decision = decideUpgrade(
      upgradeRequest(),
      undefined,
      resolveOptions({ hooks: { upgrade: () => ({ data: 7 }) } }, { runtime: 'Bun' }),
      () => true,
    );
    expect(decision).toBeInstanceOf(Promise);
    expect(await decision).toMatchObject({ accepted: true, data: 7 });
  });
});

describe('SnapshotUpgradeRequest: the request as the peer keeps it', () => {
  test('headers: the same names and values as the request, built once, independent of it', () => {
    const request = upgradeRequest({
      'sec-websocket-protocol': 'a, b',
      origin: 'https://site.example',
      cookie: 'a=1; b=2',
      'x-empty': '',
      'x-colon': 'one: two',
    });
    request.headers.append('x-twice', 'first');
    request.headers.append('x-twice', 'second');
    const snapshot = new SnapshotUpgradeRequest(request, '10.0.0.1');
    expect(snapshot).toMatchObject({
      method: 'GET',
      url: 'ws://127.0.0.1:8080/chat?room=1',
      protocols: ['a', 'b'],
      origin: 'https://site.example',
      remoteAddress: '10.0.0.1',
    });
    // What the request had before: the runtime may invalidate or change it afterwards.
    const before = [...request.headers];
    request.headers.set('cookie', 'changed');
    expect(snapshot.headers).toBeInstanceOf(Headers);
    expect([...snapshot.headers]).toEqual(before);
    expect(snapshot.headers.get('x-twice')).toBe('first, second');
    expect(snapshot.headers.get('x-colon')).toBe('one: two');
    expect(snapshot.headers.get('x-empty')).toBe('');
    // One object, so a hook's change to it stays, as with any Headers.
    snapshot.headers.set('x-added', 'yes');
    expect(snapshot.headers.get('x-added')).toBe('yes');
  });

  test('a request without headers has empty headers', () => {
    const snapshot = new SnapshotUpgradeRequest(new Request('http://x/'), undefined);
    expect([...snapshot.headers]).toEqual([]);
    expect(snapshot.protocols).toEqual([]);
    expect(snapshot.origin).toBeUndefined();
  });
});
