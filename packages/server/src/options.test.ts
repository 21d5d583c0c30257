import { DEFAULT_MAX_MESSAGE_SIZE, WebSocketError } from '@wskit/core';
import { describe, expect, test } from 'vitest';
import { inProcessBroker } from './broker.js';
import {
  checkOptionNames,
  DEFAULTS,
  deflateSettings,
  MAX_TIMER_DELAY,
  type OptionSpec,
  resolveConnectionOptions,
  resolveServerOptions,
} from './options.js';

const SPEC: OptionSpec = { prefix: '[test]', runtime: 'Testland', extra: ['port'] };

function thrown(run: () => unknown): WebSocketError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebSocketError);
    return error as WebSocketError;
  }
  throw new Error('expected a throw');
}

describe('resolveServerOptions: one definition of the server options for every adapter', () => {
  test('the defaults are DEFAULTS, and the message limit is the core connection default', () => {
    const resolved = resolveServerOptions({}, SPEC);
    expect(resolved).toMatchObject({
      maxMessageSize: DEFAULTS.maxMessageSize,
      maxFrameSize: DEFAULTS.maxMessageSize,
      maxBufferedAmount: DEFAULTS.maxBufferedAmount,
      closeTimeout: DEFAULTS.closeTimeout,
      handshakeTimeout: DEFAULTS.handshakeTimeout,
      heartbeat: DEFAULTS.heartbeat,
      idleTimeout: DEFAULTS.idleTimeout,
      clientTracking: true,
      hooks: {},
    });
    expect(DEFAULTS.maxMessageSize).toBe(DEFAULT_MAX_MESSAGE_SIZE);
    expect(resolveServerOptions(undefined, SPEC).maxBufferedAmount).toBe(
      DEFAULTS.maxBufferedAmount,
    );
  });

  test('time options: Infinity and huge values wait as long as a timer can, never fire at once', () => {
    // A timer asked for more than 2^31 − 1 ms fires after 1 ms on every runtime.
    expect(MAX_TIMER_DELAY).toBe(2 ** 31 - 1);
    const resolved = resolveServerOptions(
      {
        handshakeTimeout: Infinity,
        closeTimeout: 2 ** 40,
        idleTimeout: Infinity,
        heartbeat: { interval: Infinity, timeout: Infinity },
      },
      SPEC,
    );
    expect(resolved).toMatchObject({
      handshakeTimeout: MAX_TIMER_DELAY,
      closeTimeout: MAX_TIMER_DELAY,
      idleTimeout: MAX_TIMER_DELAY,
      heartbeat: { interval: MAX_TIMER_DELAY, timeout: MAX_TIMER_DELAY },
    });
    expect(resolveServerOptions({ closeTimeout: 250 }, SPEC).closeTimeout).toBe(250);
    expect(thrown(() => resolveServerOptions({ closeTimeout: -1 }, SPEC)).message).toMatch(
      /closeTimeout must be a non-negative number/,
    );
  });

  test('broker: kept as given, undefined by default', () => {
    expect(resolveServerOptions({}, SPEC).broker).toBeUndefined();
    expect(resolveServerOptions({ broker: inProcessBroker }, SPEC).broker).toBe(inProcessBroker);
  });

  test('a runtime may fix a default its native side imposes (Deno: heartbeat)', () => {
    const heartbeat = { interval: 15_000, timeout: 15_000 };
    expect(resolveServerOptions({}, { ...SPEC, defaults: { heartbeat } }).heartbeat).toEqual(
      heartbeat,
    );
  });

  test('unknown names throw WS_ERR_INVALID_ARGUMENT naming the option, with "did you mean"', () => {
    const misspelt = thrown(() => resolveServerOptions({ maxMesageSize: 1 } as never, SPEC));
    expect(misspelt.code).toBe('WS_ERR_INVALID_ARGUMENT');
    expect(misspelt.message).toBe(
      '[test] unknown option maxMesageSize; did you mean maxMessageSize?',
    );
    expect(thrown(() => resolveServerOptions({ prot: 1 } as never, SPEC)).message).toBe(
      '[test] unknown option prot; did you mean port?',
    );
    expect(thrown(() => resolveServerOptions({ colour: 1 } as never, SPEC)).message).toBe(
      '[test] unknown option colour',
    );
    // An explicit undefined is the same as leaving the option out.
    expect(() => resolveServerOptions({ colour: undefined } as never, SPEC)).not.toThrow();
  });

  test("ws's, Bun's and socket.io's names say what to write instead", () => {
    const cases: Array<[string, RegExp]> = [
      ['maxPayload', /use maxMessageSize \(ws's maxPayload\)$/],
      ['verifyClient', /use the upgrade hook/],
      ['handleProtocols', /use selectProtocol/],
      ['maxPayloadLength', /use maxMessageSize/],
      ['backpressureLimit', /use maxBufferedAmount/],
      ['sendPings', /use heartbeat/],
      ['skipUTF8Validation', /always validated \(RFC 6455 §8\.1\)/],
    ];
    for (const [name, message] of cases) {
      expect(thrown(() => resolveServerOptions({ [name]: 1 } as never, SPEC)).message).toMatch(
        message,
      );
    }
  });

  test('nested keys: hooks and heartbeat are checked by name too', () => {
    expect(
      thrown(() => resolveServerOptions({ hooks: { onMessage() {} } } as never, SPEC)).message,
    ).toMatch(/unknown option hooks\.onMessage/);
    expect(
      thrown(() => resolveServerOptions({ hooks: { mesage() {} } } as never, SPEC)).message,
    ).toBe('[test] unknown option hooks.mesage; did you mean message?');
    expect(
      thrown(() => resolveServerOptions({ heartbeat: { intervall: 5 } } as never, SPEC)).message,
    ).toBe('[test] unknown option heartbeat.intervall; did you mean interval?');
  });

  test('options a runtime cannot honour throw with the runtime and the reason', () => {
    const spec = { ...SPEC, unsupported: { idleTimeout: 'the runtime pings by itself' } };
    expect(thrown(() => resolveServerOptions({ idleTimeout: 5 }, spec)).message).toBe(
      '[test] option idleTimeout is not supported on Testland: the runtime pings by itself',
    );
  });

  test('bad values throw naming the option', () => {
    const cases: Array<[object, RegExp]> = [
      [{ maxMessageSize: -1 }, /option maxMessageSize must be a non-negative number, got -1/],
      [{ closeTimeout: Number.NaN }, /option closeTimeout/],
      [{ heartbeat: { interval: 0 } }, /heartbeat\.interval must be greater than 0/],
      [{ heartbeat: 5 }, /option heartbeat must be/],
      [{ hooks: { message: 'x' } }, /hook message must be a function, got string/],
      [{ hooks: 5 }, /option hooks must be an object/],
      [{ allowedOrigins: 'x' }, /allowedOrigins/],
      [{ selectProtocol: 'x' }, /selectProtocol must be a function/],
      [{ clientTracking: 'yes' }, /clientTracking must be a boolean/],
      [{ broker: {} }, /option broker must be a TopicBroker: an object with attach/],
      [{ broker: 'redis://localhost' }, /option broker must be a TopicBroker/],
      [{ adapter: {} }, /unknown option adapter: use broker \(socket\.io's adapter\)/],
      [{ brokr: inProcessBroker }, /unknown option brokr; did you mean broker\?/],
    ];
    for (const [options, message] of cases) {
      expect(thrown(() => resolveServerOptions(options as never, SPEC)).message).toMatch(message);
    }
    expect(thrown(() => resolveServerOptions(null as never, SPEC)).message).toMatch(
      /expected an options object/,
    );
  });

  test('heartbeat: false turns it off; a partial object takes the defaults for the rest', () => {
    expect(resolveServerOptions({ heartbeat: false }, SPEC).heartbeat).toBeUndefined();
    expect(resolveServerOptions({ heartbeat: { interval: 5 } }, SPEC).heartbeat).toEqual({
      interval: 5,
      timeout: DEFAULTS.heartbeat.timeout,
    });
    // A client's default is off; asking for one gives the server defaults.
    const client = {
      heartbeat: false,
      maxBufferedAmount: DEFAULTS.clientMaxBufferedAmount,
    } as const;
    expect(resolveConnectionOptions({}, '[test]', client).heartbeat).toBeUndefined();
    expect(resolveConnectionOptions({ heartbeat: {} }, '[test]', client).heartbeat).toEqual(
      DEFAULTS.heartbeat,
    );
  });

  test('the send-buffer cap: 4 MiB per server peer, 16 MiB per client, as given otherwise', () => {
    const MiB = 1024 * 1024;
    expect(resolveServerOptions({}, SPEC).maxBufferedAmount).toBe(4 * MiB);
    const client = {
      heartbeat: false,
      maxBufferedAmount: DEFAULTS.clientMaxBufferedAmount,
    } as const;
    expect(resolveConnectionOptions({}, '[test]', client).maxBufferedAmount).toBe(16 * MiB);
    expect(resolveServerOptions({ maxBufferedAmount: Infinity }, SPEC).maxBufferedAmount).toBe(
      Infinity,
    );
  });
});

describe('checkOptionNames and deflateSettings', () => {
  test('an adapter can add its own aliases (a client taking `timeout` for handshakeTimeout)', () => {
    expect(() =>
      checkOptionNames({ timeout: 5 }, ['handshakeTimeout'], '[test]', '', {
        timeout: 'handshakeTimeout',
      }),
    ).toThrow('[test] unknown option timeout: use handshakeTimeout');
  });

  test('perMessageDeflate: true, false, an object with known keys; a misspelt key is named', () => {
    expect(deflateSettings(true, '[test]', ['threshold'])).toEqual({});
    expect(deflateSettings(false, '[test]', ['threshold'])).toBeUndefined();
    expect(deflateSettings(undefined, '[test]', ['threshold'])).toBeUndefined();
    expect(deflateSettings({ threshold: 5 }, '[test]', ['threshold'])).toEqual({ threshold: 5 });
    expect(() => deflateSettings({ threshhold: 5 } as never, '[test]', ['threshold'])).toThrow(
      '[test] unknown option perMessageDeflate.threshhold; did you mean threshold?',
    );
    expect(() => deflateSettings('on' as never, '[test]', ['threshold'])).toThrow(
      /perMessageDeflate must be a boolean or an options object/,
    );
  });
});
