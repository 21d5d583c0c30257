/**
 * What @wskit/node gets from the shared server layer (@wskit/server), checked on the real
 * server: option names are refused as on Bun and Deno, hook failures are logged the same way,
 * and a thrown Response refuses an upgrade.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { connect, DEFAULTS, WebSocketServer } from '../src/index.js';
import { record, TestScope, wsUrl } from './helpers/server.js';

const scope = new TestScope();
afterEach(() => {
  vi.restoreAllMocks();
  return scope.cleanup();
});

describe('options: unknown names throw instead of being ignored', () => {
  test("ws's names, misspellings and nested keys are refused with what to write instead", () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ maxPayload: 1024 }, "unknown option maxPayload: use maxMessageSize (ws's maxPayload)"],
      [{ verifyClient: () => false }, 'unknown option verifyClient: use the upgrade hook'],
      [{ handleProtocols: () => 'x' }, 'unknown option handleProtocols: use selectProtocol'],
      [
        { perMessageDeflate: { threshhold: 10 } },
        'unknown option perMessageDeflate.threshhold; did you mean threshold?',
      ],
      [
        { hostname: 'localhost' },
        'option hostname is not supported on Node: the option is called host here',
      ],
    ];
    for (const [options, message] of cases) {
      expect(() => new WebSocketServer({ noServer: true, ...options })).toThrow(
        `[@wskit/node] ${message}`,
      );
    }
  });

  test('connect() checks its option names the same way', async () => {
    await expect(connect('ws://127.0.0.1:1/', { timeout: 5 } as never)).rejects.toThrow(
      '[@wskit/node] unknown option timeout: use handshakeTimeout',
    );
    await expect(connect('ws://127.0.0.1:1/', { protocol: 'chat' } as never)).rejects.toThrow(
      /unknown option protocol: use protocols/,
    );
    await expect(connect('ws://127.0.0.1:1/', { maxMesageSize: 5 } as never)).rejects.toThrow(
      /did you mean maxMessageSize\?/,
    );
  });

  test('the defaults are the shared DEFAULTS: a message one byte over maxMessageSize gets 1009', async () => {
    const server = await scope.server({ hooks: { message: (peer, m) => peer.send(m.bytes()) } });
    const client = await scope.client(wsUrl(server.port));
    const closed = new Promise<number>((resolve) => client.once('close', (code) => resolve(code)));
    client.send(new Uint8Array(DEFAULTS.maxMessageSize + 1));
    expect(await closed).toBe(1009);
  });
});

describe('hook failures: one rule on every runtime', () => {
  test('a hook that throws with no error hook is logged with console.error, and the peer lives on', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const server = await scope.server({
      hooks: {
        message(peer, message) {
          if (message.text() === 'boom') throw new Error('hook bug');
          peer.send('ok');
        },
      },
    });
    const client = await scope.client(wsUrl(server.port));
    const replies = record<[Buffer]>(client, 'message');
    client.send('boom');
    client.send('fine');
    await vi.waitFor(() => expect(replies).toHaveLength(1));
    expect(logged).toHaveBeenCalledOnce();
    expect(logged.mock.calls[0]?.[0]).toBe(
      '[@wskit/node] the message hook failed (add an error hook to handle this):',
    );
    expect(logged.mock.calls[0]?.[1]).toMatchObject({ message: 'hook bug' });
  });

  test('an upgrade hook that throws: 500 for the client, the error in the log and in wsClientError', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const server = await scope.server({
      hooks: {
        upgrade() {
          throw new Error('database password is hunter2');
        },
      },
    });
    const clientErrors = record<[Error]>(server, 'wsClientError');
    const rejected = await scope.rejected(wsUrl(server.port));
    expect(rejected.status).toBe(500);
    expect(rejected.body).not.toMatch(/hunter2/);
    expect(logged.mock.calls[0]?.[0]).toMatch(/the upgrade hook failed/);
    expect(clientErrors[0]?.[0]).toMatchObject({ code: 'WS_ERR_UPGRADE_FAILED' });
  });

  test('crossws style: a thrown Response is the refusal', async () => {
    const server = await scope.server({
      hooks: {
        upgrade() {
          throw new Response('not today', { status: 429, headers: { 'retry-after': '5' } });
        },
      },
    });
    const rejected = await scope.rejected(wsUrl(server.port));
    expect(rejected.status).toBe(429);
    expect(rejected.headers['retry-after']).toBe('5');
    expect(rejected.body).toBe('not today');
  });
});
