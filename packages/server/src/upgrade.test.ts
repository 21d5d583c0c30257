import type { Hooks, UpgradeRequest } from '@wskit/core';
import { describe, expect, test } from 'vitest';
import { HookDispatcher } from './hooks.js';
import { decideUpgrade, decideUpgradeNow, rejectionAsResponse } from './upgrade.js';

function request(overrides: Partial<UpgradeRequest> = {}): UpgradeRequest {
  return {
    url: 'ws://127.0.0.1/chat',
    method: 'GET',
    headers: new Headers(),
    protocols: ['chat.v1', 'chat.v2'],
    origin: 'https://good.example',
    remoteAddress: '127.0.0.1',
    ...overrides,
  };
}

function policy(hooks: Hooks<{ user: string }>, extra: object = {}) {
  const reported: string[] = [];
  const dispatcher = new HookDispatcher(hooks, (error, source) =>
    reported.push(`${source}: ${error.message}`),
  );
  return {
    reported,
    policy: { dispatcher, allowedOrigins: undefined, selectProtocol: undefined, ...extra },
  };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('decideUpgrade: the runtime-neutral half of RFC 6455 §4.2.2', () => {
  test('accepts with the hook’s data, subprotocol and headers', async () => {
    const { policy: p } = policy({
      upgrade: () => ({ data: { user: 'ada' }, protocol: 'chat.v2', headers: { 'x-a': '1' } }),
    });
    const decision = await decideUpgrade(request(), p, () => true);
    expect(decision).toEqual({
      accepted: true,
      data: { user: 'ada' },
      protocol: 'chat.v2',
      headers: [['x-a', '1']],
    });
  });

  test('RFC 6455 §4.2.2: no subprotocol by default; selectProtocol picks; one not offered is 500', async () => {
    expect(await decideUpgrade(request(), policy({}).policy, () => true)).toMatchObject({
      accepted: true,
      protocol: '',
    });
    const selecting = policy({}, { selectProtocol: (offered: string[]) => offered[0] });
    expect(await decideUpgrade(request(), selecting.policy, () => true)).toMatchObject({
      protocol: 'chat.v1',
    });
    const wrong = policy({ upgrade: () => ({ protocol: 'chat.v9' }) });
    const decision = await decideUpgrade(request(), wrong.policy, () => true);
    expect(decision.accepted).toBe(false);
    if (decision.accepted) return;
    expect(decision.response.status).toBe(500);
    expect(decision.reason.code).toBe('WS_ERR_INVALID_SUBPROTOCOL');
    expect(wrong.reported).toEqual([
      'upgrade: the selected subprotocol "chat.v9" was not offered by the client',
    ]);
  });

  test('refusals: { status }, a returned Response, a thrown Response, each as the hook said', async () => {
    const hooks: Array<Hooks<{ user: string }>['upgrade']> = [
      () => ({ status: 401, headers: { 'www-authenticate': 'Bearer' }, body: 'who?' }),
      () => new Response('who?', { status: 401, headers: { 'www-authenticate': 'Bearer' } }),
      () => {
        throw new Response('who?', { status: 401, headers: { 'www-authenticate': 'Bearer' } });
      },
    ];
    for (const upgrade of hooks) {
      const { policy: p, reported } = policy({ upgrade });
      const decision = await decideUpgrade(request(), p, () => true);
      expect(decision.accepted).toBe(false);
      if (decision.accepted) return;
      expect(decision.response.status).toBe(401);
      expect(decision.response.headers).toContainEqual(['www-authenticate', 'Bearer']);
      expect(text(decision.response.body)).toBe('who?');
      expect(decision.reason.code).toBe('WS_ERR_UPGRADE_REJECTED');
      expect(reported).toEqual([]);
    }
  });

  test('a hook that throws, or refuses with a status that is no error, is a 500 and reported', async () => {
    const thrown = policy({
      upgrade: async () => {
        throw new Error('db down');
      },
    });
    const decision = await decideUpgrade(request(), thrown.policy, () => true);
    expect(decision.accepted).toBe(false);
    if (decision.accepted) return;
    expect(decision.response.status).toBe(500);
    // The details are for the log, not the client.
    expect(text(decision.response.body)).not.toMatch(/db down/);
    expect(decision.reason.code).toBe('WS_ERR_UPGRADE_FAILED');
    expect(thrown.reported).toEqual(['upgrade: db down']);

    const ok = policy({ upgrade: () => ({ status: 200 }) });
    const refused = await decideUpgrade(request(), ok.policy, () => true);
    expect(!refused.accepted && refused.response.status).toBe(500);
    expect(ok.reported[0]).toMatch(/status from 300 to 599, got 200/);
  });

  test('RFC 6455 §10.2: allowedOrigins refuses other origins with 403 before the hook runs', async () => {
    let hookRan = false;
    const { policy: p } = policy(
      {
        upgrade: () => {
          hookRan = true;
        },
      },
      { allowedOrigins: ['https://good.example'] },
    );
    const refused = await decideUpgrade(request({ origin: 'https://evil.example' }), p, () => true);
    expect(!refused.accepted && refused.response.status).toBe(403);
    expect(!refused.accepted && refused.reason.code).toBe('WS_ERR_ORIGIN_NOT_ALLOWED');
    expect(hookRan).toBe(false);
    const missing = await decideUpgrade(request({ origin: undefined }), p, () => true);
    expect(!missing.accepted && missing.response.status).toBe(403);
    expect((await decideUpgrade(request(), p, () => true)).accepted).toBe(true);
  });

  test('shutting down: 503 before the hook, and again if shutdown began while it ran', async () => {
    expect(
      await decideUpgrade(request(), policy({}).policy, () => false).then(
        (d) => !d.accepted && d.response.status,
      ),
    ).toBe(503);
    let accepting = true;
    const slow = policy({
      upgrade: async () => {
        accepting = false;
        return {};
      },
    });
    const decision = await decideUpgrade(request(), slow.policy, () => accepting);
    expect(!decision.accepted && decision.response.status).toBe(503);
  });

  test('rejectionAsResponse: a WHATWG Response for Bun and Deno, without framing headers', async () => {
    const { policy: p } = policy({ upgrade: () => ({ status: 429, body: 'slow down' }) });
    const decision = await decideUpgrade(request(), p, () => true);
    if (decision.accepted) throw new Error('expected a refusal');
    const response = rejectionAsResponse(decision.response);
    expect(response.status).toBe(429);
    expect(response.headers.get('connection')).toBeNull();
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    expect(await response.text()).toBe('slow down');
  });
});

describe('decideUpgradeNow: the same decision without a promise, for servers without a hook', () => {
  test('with an upgrade hook it declines (undefined): the caller must await decideUpgrade', () => {
    expect(decideUpgradeNow(request(), policy({ upgrade: () => ({}) }).policy, () => true)).toBe(
      undefined,
    );
  });

  test('accepts with the subprotocol selectProtocol picked', () => {
    const selecting = policy({}, { selectProtocol: (offered: string[]) => offered[1] });
    expect(decideUpgradeNow(request(), selecting.policy, () => true)).toMatchObject({
      accepted: true,
      protocol: 'chat.v2',
    });
  });

  test('refuses a disallowed Origin with 403 and a shutting-down server with 503', () => {
    const strict = policy({}, { allowedOrigins: ['https://other.example'] });
    const refused = decideUpgradeNow(request(), strict.policy, () => true);
    expect(refused).toMatchObject({ accepted: false, response: { status: 403 } });
    const closing = decideUpgradeNow(request(), policy({}).policy, () => false);
    expect(closing).toMatchObject({ accepted: false, response: { status: 503 } });
  });

  test('a subprotocol the client did not offer is a server bug: 500, reported', () => {
    const wrong = policy({}, { selectProtocol: () => 'made-up' });
    expect(decideUpgradeNow(request(), wrong.policy, () => true)).toMatchObject({
      accepted: false,
      response: { status: 500 },
    });
    expect(wrong.reported.join()).toContain('made-up');
  });
});
