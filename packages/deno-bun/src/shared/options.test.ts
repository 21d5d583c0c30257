import { describe, expect, test } from 'vitest';
import { resolveOptions } from './options.js';

const HEARTBEAT = { interval: 30_000, timeout: 10_000 };

describe('resolveOptions: the options every runtime shares', () => {
  test('defaults match @wskit/node', () => {
    const options = resolveOptions({}, 'Bun', HEARTBEAT);
    expect(options).toMatchObject({
      deflate: undefined,
      maxMessageSize: 32 * 1024 * 1024,
      maxBufferedAmount: 16 * 1024 * 1024,
      heartbeat: HEARTBEAT,
      idleTimeout: 0,
      closeTimeout: 5_000,
    });
  });

  test('perMessageDeflate: true or { threshold }; other RFC 7692 parameters throw, naming the runtime', () => {
    expect(resolveOptions({ perMessageDeflate: true }, 'Bun', HEARTBEAT).deflate).toEqual({
      threshold: 1024,
    });
    expect(
      resolveOptions({ perMessageDeflate: { threshold: 0 } }, 'Bun', HEARTBEAT).deflate,
    ).toEqual({ threshold: 0 });
    expect(() =>
      resolveOptions({ perMessageDeflate: { clientMaxWindowBits: 10 } as never }, 'Bun', HEARTBEAT),
    ).toThrow(
      /^\[@wskit\/deno-bun\] option perMessageDeflate\.clientMaxWindowBits is not supported on Bun/,
    );
  });

  test('@wskit/node-only options and unknown options throw instead of being ignored', () => {
    expect(() => resolveOptions({ maxFrameSize: 1 } as never, 'Deno', HEARTBEAT)).toThrow(
      /option maxFrameSize is not supported on Deno/,
    );
    expect(() => resolveOptions({ noServer: true } as never, 'Bun', HEARTBEAT)).toThrow(
      /handleUpgrade/,
    );
    expect(() => resolveOptions({ colour: 'blue' } as never, 'Bun', HEARTBEAT)).toThrow(
      /unknown option colour/,
    );
    // An explicit undefined is the same as leaving the option out.
    expect(() =>
      resolveOptions({ maxFrameSize: undefined } as never, 'Bun', HEARTBEAT),
    ).not.toThrow();
  });

  test('bad values throw with the option name', () => {
    expect(() => resolveOptions({ maxMessageSize: -1 }, 'Bun', HEARTBEAT)).toThrow(
      /option maxMessageSize/,
    );
    expect(() => resolveOptions({ heartbeat: { interval: 0 } }, 'Bun', HEARTBEAT)).toThrow(
      /heartbeat\.interval must be greater than 0/,
    );
    expect(() => resolveOptions({ hooks: { message: 'nope' } as never }, 'Bun', HEARTBEAT)).toThrow(
      /hook message must be a function/,
    );
    expect(() => resolveOptions({ allowedOrigins: 'x' as never }, 'Bun', HEARTBEAT)).toThrow(
      /allowedOrigins/,
    );
  });

  test('heartbeat: false turns it off; a partial object takes the defaults for the rest', () => {
    expect(resolveOptions({ heartbeat: false }, 'Bun', HEARTBEAT).heartbeat).toBeUndefined();
    expect(resolveOptions({ heartbeat: { interval: 5 } }, 'Bun', HEARTBEAT).heartbeat).toEqual({
      interval: 5,
      timeout: 10_000,
    });
  });
});
