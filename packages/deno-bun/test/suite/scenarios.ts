/**
 * The behavioural suite for the shared server API: one set of scenarios, run against a
 * server URL with capability flags, once per runtime (node.test.ts, bun.test.ts,
 * deno.test.ts). The server side is handler.ts; the clients are in clients.ts.
 */
import { afterAll, describe, expect, test } from 'vitest';
import {
  browserDriver,
  type ClientDriver,
  pythonDriver,
  Rejected,
  type TestClient,
  wsDriver,
} from './clients.js';
import { BARE_HOOK_FAILURE } from './handler.js';
import { OPTION_PARITY_CASES, type OptionParityResult } from './option-parity.js';

export interface Target {
  /** `ws://127.0.0.1:port/` of the main server (handler.ts with the suite's options). */
  readonly url: string;
  /** `http://127.0.0.1:port/` of the main server (its fetch routes). */
  readonly http: string;
  /** A server of the runtime's own kind with the upgrade helper mounted at /ws. */
  readonly mounted: string;
  /** A server with `idleTimeout: 300, heartbeat: false`, where the runtime supports it. */
  readonly idle: string | undefined;
  /** A server whose hooks have no error hook (handler.ts, createBareHooks). */
  readonly bare: string;
  /** What the server process printed on stderr so far. */
  log(): string;
  /** The messages of the errors the runtime threw for options it cannot honour. */
  readonly refused: readonly string[];
  /** `runOptionParity` on this runtime. */
  readonly optionParity: readonly OptionParityResult[];
  /** Asks for a graceful shutdown; resolves when the server is gone. */
  shutdown(): Promise<void>;
}

export interface Capabilities {
  readonly runtime: 'node' | 'bun' | 'deno';
  /** The server negotiates permessage-deflate. */
  readonly deflate: boolean;
  /** peer.ping() works (Deno's WebSocket cannot send pings). */
  readonly ping: boolean;
  /** The idleTimeout option is supported. */
  readonly idleTimeout: boolean;
  /** How a dead peer (no pongs) is ended: dropped (1006) or closed by the runtime (1001). */
  readonly deadPeerCode: number;
  /** Each must match one of `target.refused`. */
  readonly refusals: readonly RegExp[];
}

const MAX_MESSAGE_SIZE = 1024 * 1024;

export function defineSuite(getTarget: () => Target, capabilities: Capabilities): void {
  const drivers: ClientDriver[] = [wsDriver];
  const python = pythonDriver();
  drivers.push(python);
  const open: TestClient[] = [];
  afterAll(async () => {
    for (const client of open) client.close();
    await python.dispose?.();
  });

  const withUrl = (query = '', base = getTarget().url) => `${base}${query}`;

  describe.each(['ws', 'python-websockets', 'browser'])('%s client', (driverName) => {
    let driver: ClientDriver | undefined;
    const connect = async (query = '', options?: Parameters<ClientDriver['connect']>[1]) => {
      if (driver === undefined) {
        driver =
          driverName === 'ws'
            ? wsDriver
            : driverName === 'python-websockets'
              ? python
              : await browserDriver();
        if (driver === undefined) throw new Error('@wskit/browser is not built');
      }
      const client = await driver.connect(withUrl(query), options);
      open.push(client);
      return client;
    };
    const observes = () =>
      driver?.observes ?? { headers: false, status: false, pause: false, pings: false };

    test('echoes text and binary messages, in order', async () => {
      const client = await connect('?user=echo');
      client.send('héllo ✓ 🎉');
      client.send(new Uint8Array([0, 1, 2, 255]));
      client.send('');
      expect(await client.next()).toEqual({ data: 'héllo ✓ 🎉', isBinary: false });
      expect(await client.next()).toEqual({ data: new Uint8Array([0, 1, 2, 255]), isBinary: true });
      expect(await client.next()).toEqual({ data: '', isBinary: false });
    });

    test('upgrade hook: typed per-peer data, the request, subprotocol chosen by the hook', async () => {
      const client = await connect('?user=ada&greet', { protocols: ['chat.v1', 'chat.v2'] });
      expect(client.protocol).toBe('chat.v2');
      expect(await client.next()).toEqual({ data: 'welcome ada', isBinary: false });
      client.send(JSON.stringify({ cmd: 'whoami' }));
      const peer = await client.nextJson();
      expect(peer).toMatchObject({
        user: 'ada',
        protocol: 'chat.v2',
        readyState: 1,
        protocols: ['chat.v1', 'chat.v2'],
        url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/\?user=ada&greet$/),
      });
      // Read by the hook while the upgrade was pending, and from the open socket.
      expect(peer.addressInUpgrade).toMatch(/127\.0\.0\.1/);
      expect(peer.remoteAddress).toMatch(/127\.0\.0\.1/);
      // `<server>-<n>`, the same on every read, another for another peer.
      expect(peer.id).toMatch(/^[0-9a-z]+-[0-9a-z]+$/);
      client.send(JSON.stringify({ cmd: 'whoami' }));
      expect((await client.nextJson()).id).toBe(peer.id);
      const other = await connect('?user=bob');
      other.send(JSON.stringify({ cmd: 'whoami' }));
      expect((await other.nextJson()).id).not.toBe(peer.id);
    });

    test('RFC 6455 §4.2.2: no subprotocol is selected by default', async () => {
      if (driverName !== 'python-websockets') {
        // ws and the WHATWG WebSocket fail a handshake whose response selects none of the
        // offers; Python's websockets accepts it. Either way the server chose none.
        await expect(connect('', { protocols: ['unknown.v9'] })).rejects.toThrow();
        return;
      }
      const client = await connect('', { protocols: ['unknown.v9'] });
      expect(client.protocol).toBe('');
    });

    test('upgrade hook rejects: { status } object, a returned or thrown Response, a throwing hook, a bad status', async () => {
      const bad = await connect('?token=bad').catch((error: unknown) => error);
      expect(bad).toBeInstanceOf(Rejected);
      if (observes().status) {
        expect((bad as Rejected).status).toBe(401);
        expect((bad as Rejected).headers).toMatchObject({
          'www-authenticate': 'Bearer realm="wskit"',
          'x-error': 'unauthorized',
        });
        const response = (await connect('?reject-response').catch(
          (error: unknown) => error,
        )) as Rejected;
        expect(response.status).toBe(403);
        expect(response.headers?.['x-reject']).toBe('response');
        const thrown = (await connect('?upgrade-throws').catch(
          (error: unknown) => error,
        )) as Rejected;
        expect(thrown.status).toBe(500);
        const thrownResponse = (await connect('?upgrade-throws-response').catch(
          (error: unknown) => error,
        )) as Rejected;
        expect(thrownResponse.status).toBe(409);
        expect(thrownResponse.headers?.['x-reject']).toBe('thrown');
        const badStatus = (await connect('?upgrade-bad-status').catch(
          (error: unknown) => error,
        )) as Rejected;
        expect(badStatus.status).toBe(500);
      }
    });

    // A WHATWG WebSocket cannot set Origin: this scenario is registered for the ws and Python
    // drivers only, which cover it on every runtime.
    const originTest = driverName === 'browser' ? undefined : test;
    originTest?.('allowedOrigins: another origin gets 403', async () => {
      const refused = (await connect('', { origin: 'https://evil.example' }).catch(
        (error: unknown) => error,
      )) as Rejected;
      expect(refused).toBeInstanceOf(Rejected);
      expect(refused.status).toBe(403);
      const allowed = await connect('', { origin: 'https://good.example' });
      allowed.send(JSON.stringify({ cmd: 'whoami' }));
      expect((await allowed.nextJson()).origin).toBe('https://good.example');
    });

    test('pub/sub: peer.publish skips the sender, server publish reaches all, unsubscribe stops it', async () => {
      const topic = `room-${driverName}`;
      const alice = await connect('?user=alice');
      const bob = await connect('?user=bob');
      for (const client of [alice, bob]) {
        client.send(JSON.stringify({ cmd: 'subscribe', topic }));
        expect(await client.nextJson()).toEqual({ subscribed: topic, topics: [topic] });
      }
      alice.send(JSON.stringify({ cmd: 'publish', topic, text: 'hi from alice' }));
      expect(await bob.next()).toEqual({ data: 'hi from alice', isBinary: false });
      // Alice gets only her ack: her own publish skipped her.
      expect(await alice.nextJson()).toEqual({ published: topic });

      const response = await fetch(`${getTarget().http}publish?topic=${topic}&message=to-all`);
      expect(await response.json()).toEqual({ count: 2 });
      expect(await alice.next()).toEqual({ data: 'to-all', isBinary: false });
      expect(await bob.next()).toEqual({ data: 'to-all', isBinary: false });

      bob.send(JSON.stringify({ cmd: 'unsubscribe', topic }));
      expect(await bob.nextJson()).toEqual({ unsubscribed: topic, topics: [] });
      alice.send(JSON.stringify({ cmd: 'broadcast', topic, text: 'only alice now' }));
      expect(await alice.next()).toEqual({ data: 'only alice now', isBinary: false });
      expect(await alice.nextJson()).toEqual({ broadcast: 1 });
    });

    test('close hook gets the client code and reason; the server can close with its own', async () => {
      const leaving = await connect(`?user=leaver-${driverName}`);
      leaving.send('ready?');
      await leaving.next();
      leaving.close(4001, 'bye ✓');
      expect(await leaving.closed).toMatchObject({ code: 4001 });
      const observer = await connect();
      let log: { closes: Array<Record<string, unknown>> } = { closes: [] };
      for (let attempt = 0; attempt < 20; attempt++) {
        observer.send(JSON.stringify({ cmd: 'log' }));
        log = await observer.nextJson();
        if (log.closes.some((entry) => entry.user === `leaver-${driverName}`)) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(log.closes).toContainEqual({
        user: `leaver-${driverName}`,
        code: 4001,
        reason: 'bye ✓',
        wasClean: true,
        remoteAddress: expect.stringMatching(/127\.0\.0\.1/),
      });

      const closed = await connect();
      closed.send(JSON.stringify({ cmd: 'close', code: 4002, reason: 'server says bye' }));
      expect(await closed.closed).toEqual({ code: 4002, reason: 'server says bye' });
    });

    test('a hook that throws or rejects reaches the error hook, and the peer lives on', async () => {
      const client = await connect();
      client.send(JSON.stringify({ cmd: 'throw' }));
      expect((await client.next()).data).toBe('error: message hook failed on purpose');
      client.send(JSON.stringify({ cmd: 'reject' }));
      expect((await client.next()).data).toBe('error: async message hook failed on purpose');
      client.send('still here');
      expect((await client.next()).data).toBe('still here');
    });

    test('maxMessageSize: a bigger message closes the connection with 1009', async () => {
      const client = await connect(`?user=big-${driverName}`);
      client.send(new Uint8Array(MAX_MESSAGE_SIZE));
      expect((await client.next(10_000)).data).toHaveLength(MAX_MESSAGE_SIZE);
      client.send(new Uint8Array(MAX_MESSAGE_SIZE + 1));
      expect((await client.closed).code).toBe(1009);
    });
  });

  describe('ws client: what only a raw client can observe', () => {
    const connect = async (
      query = '',
      options?: Parameters<ClientDriver['connect']>[1],
      base?: string,
    ) => {
      const client = await wsDriver.connect(withUrl(query, base), options);
      open.push(client);
      return client;
    };

    test('without an upgrade hook: the Origin policy refuses with 403, selectProtocol picks from the offer', async () => {
      const bare = getTarget().bare;
      const refused = (await connect('', { origin: 'https://evil.example' }, bare).catch(
        (error: unknown) => error,
      )) as Rejected;
      expect(refused).toBeInstanceOf(Rejected);
      expect(refused.status).toBe(403);
      const chosen = await connect('', { protocols: ['bare.v1', 'bare.v2'] }, bare);
      expect(chosen.protocol).toBe('bare.v2');
      chosen.send('hello');
      expect((await chosen.next()).data).toBe('ok');
      // RFC 6455 §4.2.2: nothing chosen, no Sec-WebSocket-Protocol in the 101, which ws
      // refuses when it offered some.
      await expect(connect('', { protocols: ['bare.v1'] }, bare)).rejects.toThrow(/no subprotocol/);
    });

    test('RFC 6455 §4.1: an offer that is not a list of unique tokens gets 400, as on Node', async () => {
      const bare = getTarget().bare;
      for (const offer of ['chat v1', 'bare.v1, bare.v1', ',']) {
        const refused = (await connect(
          '',
          { headers: { 'Sec-WebSocket-Protocol': offer } },
          bare,
        ).catch((error: unknown) => error)) as Rejected;
        expect(refused, offer).toBeInstanceOf(Rejected);
        expect(refused.status, offer).toBe(400);
      }
      // The same header well formed is accepted (selectProtocol picks nothing from it).
      const accepted = await connect('', { headers: { 'Sec-WebSocket-Protocol': 'x.v1' } }, bare);
      accepted.send('hello');
      expect((await accepted.next()).data).toBe('ok');
    });

    test('the upgrade hook adds response headers; peer.request has the request headers', async () => {
      const client = await connect('?user=h', { headers: { 'x-test': 'yes' } });
      expect(client.headers?.['x-wskit-hello']).toBe('world');
      client.send(JSON.stringify({ cmd: 'whoami' }));
      expect(await client.nextJson()).toMatchObject({ testHeader: 'yes', origin: null });
    });

    test(`permessage-deflate ${capabilities.deflate ? 'is negotiated' : 'is not offered'}`, async () => {
      const client = await connect();
      client.send(JSON.stringify({ cmd: 'whoami' }));
      const peer = await client.nextJson();
      if (capabilities.deflate) {
        expect(client.extensions).toMatch(/^permessage-deflate/);
        expect(peer.extensions).toMatch(/^permessage-deflate/);
        const text = 'compressible '.repeat(20_000);
        client.send(text);
        expect((await client.next()).data).toBe(text);
      } else {
        expect(client.extensions).toBe('');
        expect(peer.extensions).toBe('');
      }
    });

    test('backpressure: bufferedAmount grows while the client does not read, then drain fires', async () => {
      // On the mounted server: no heartbeat (a paused client cannot answer pings) and no
      // compression, so the bytes queue up as sent.
      const client = await connect('ws?user=slow', undefined, getTarget().mounted);
      client.pause?.();
      client.send(JSON.stringify({ cmd: 'flood', bytes: 8 * 1024 * 1024 }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      client.resume?.();
      let flooded: Record<string, number> | undefined;
      for (;;) {
        const message = await client.next(10_000);
        if (message.isBinary) continue;
        if (message.data === 'drained') break;
        flooded = JSON.parse(message.data as string);
      }
      expect(flooded?.flooded).toBe(8 * 1024 * 1024);
      expect(flooded?.maxBuffered).toBeGreaterThan(0);
    });

    test('maxBufferedAmount: a peer that does not read is cut off and the error hook says why', async () => {
      const target = getTarget();
      const client = await connect('ws?user=stuck', undefined, target.mounted);
      client.pause?.();
      // 32 MiB queued for a client that reads nothing, against a 12 MiB cap.
      client.send(JSON.stringify({ cmd: 'flood', bytes: 32 * 1024 * 1024 }));
      // The server decides on its own, whatever the client does: ask it (no fixed wait,
      // which a loaded machine could outlast) while the client still reads nothing.
      const observer = await connect('ws', undefined, target.mounted);
      await expect
        .poll(
          async () => {
            observer.send(JSON.stringify({ cmd: 'log' }));
            const { errors } = await observer.nextJson<{
              errors: Array<{ user: string; code: string }>;
            }>();
            return errors;
          },
          { timeout: 15_000, interval: 100 },
        )
        .toContainEqual(
          expect.objectContaining({ user: 'stuck', code: 'WS_ERR_SEND_BUFFER_FULL' }),
        );
      client.resume?.();
      await client.closed;
    });

    test('heartbeat: quiet clients get pings, a client that never pongs is dropped', async () => {
      const quiet = await connect();
      const dead = await connect('?user=dead', { autoPong: false });
      const started = Date.now();
      const { code } = await dead.closed;
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(code).toBe(capabilities.deadPeerCode);
      if (capabilities.runtime !== 'deno') expect(quiet.pings).toBeGreaterThan(0);
      // The quiet client answered every ping and is still here.
      quiet.send('alive');
      expect((await quiet.next()).data).toBe('alive');
    });

    test(`peer.ping() ${capabilities.ping ? 'sends a ping' : 'throws a prefixed error'}`, async () => {
      const client = await connect();
      client.send(JSON.stringify({ cmd: 'ping' }));
      const { ping } = await client.nextJson();
      if (capabilities.ping) expect(ping).toBe('sent');
      else expect(ping).toMatch(/^\[@wskit\/deno-bun\] peer\.ping\(\) is not available on Deno/);
    });

    test('serve({ fetch }) answers HTTP; the upgrade helper mounts beside other routes', async () => {
      const target = getTarget();
      const health = await fetch(`${target.http}health`);
      expect(await health.text()).toBe(`ok ${capabilities.runtime}`);
      const mountedHttp = target.mounted.replace(/^ws/, 'http');
      expect(await (await fetch(mountedHttp)).text()).toBe('another route');
      // RFC 7231 §6.5.15: a plain GET where only WebSockets are served gets 426 naming the
      // protocol, from serve() and, on Bun and Deno, from handleUpgrade.
      const plain = await fetch(target.bare.replace(/^ws/, 'http'));
      expect(plain.status).toBe(426);
      expect(plain.headers.get('upgrade')).toBe('websocket');
      if (capabilities.runtime !== 'node') {
        expect((await fetch(`${mountedHttp}ws`)).status).toBe(426);
      }
      const client = await connect('ws?user=mounted', undefined, target.mounted);
      client.send(JSON.stringify({ cmd: 'whoami' }));
      expect(await client.nextJson()).toMatchObject({
        user: 'mounted',
        url: expect.stringMatching(/\/ws\?user=mounted$/),
      });
    });

    // Registered only where the runtime honours idleTimeout; elsewhere the refusal test below
    // proves the option is rejected by name.
    const idleTest = capabilities.idleTimeout ? test : undefined;
    idleTest?.('idleTimeout closes a silent peer with 1001', async () => {
      const target = getTarget();
      const client = await connect('', undefined, target.idle);
      const started = Date.now();
      expect(await client.closed).toEqual({ code: 1001, reason: 'idle timeout' });
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    test('methods called after the client left do not throw (a late answer cannot crash the server)', async () => {
      const leaving = await connect('?user=leaver');
      leaving.send(JSON.stringify({ cmd: 'late' }));
      // Give the message time to arrive, then leave without a closing handshake.
      await new Promise((resolve) => setTimeout(resolve, 50));
      leaving.terminate?.();
      const reporter = await connect('?user=reporter');
      let report: Record<string, string> | null = null;
      for (let tries = 0; report === null && tries < 100; tries++) {
        reporter.send(JSON.stringify({ cmd: 'late-report', text: 'leaver' }));
        report = (await reporter.nextJson()) as Record<string, string> | null;
        if (report === null) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(report).toEqual({
        send: 'returned',
        // Deno's WebSocket cannot send pings at all: that refusal is about the runtime, not timing.
        ping: capabilities.ping
          ? 'returned'
          : expect.stringMatching(
              /^threw \[@wskit\/deno-bun\] peer\.ping\(\) is not available on Deno/,
            ),
        close: 'returned',
        terminate: 'returned',
        subscribe: 'returned',
        unsubscribe: 'returned',
        publish: 'returned',
        topics: '0',
      });
    });

    test('a hook that throws with no error hook is logged the same way, and the peer lives on', async () => {
      const client = await connect('', undefined, getTarget().bare);
      client.send('boom');
      client.send('fine');
      expect((await client.next()).data).toBe('ok');
      // The server's stderr reaches this process on its own schedule: wait for the line.
      await expect
        .poll(() => getTarget().log())
        .toMatch(
          /\[@wskit\/(node|deno-bun)\] the message hook failed \(add an error hook to handle this\):/,
        );
      expect(getTarget().log()).toContain(BARE_HOOK_FAILURE);
    });

    test('options the runtime cannot honour throw errors naming the option and the runtime', () => {
      const { refused } = getTarget();
      expect(refused).toHaveLength(capabilities.refusals.length);
      for (const [index, pattern] of capabilities.refusals.entries()) {
        expect(refused[index]).toMatch(pattern);
      }
    });

    test('option mistakes throw the same error as on every runtime (unknown, misspelt, ws names, bad values)', () => {
      expect(getTarget().optionParity).toEqual(
        OPTION_PARITY_CASES.map(({ code, message }) => ({ code, message })),
      );
    });

    test('graceful shutdown: every peer gets 1001, then the server stops', async () => {
      const clients = await Promise.all([connect('?user=a'), connect('?user=b')]);
      await getTarget().shutdown();
      for (const client of clients) expect((await client.closed).code).toBe(1001);
      await expect(wsDriver.connect(getTarget().url)).rejects.toThrow();
    });
  });
}
