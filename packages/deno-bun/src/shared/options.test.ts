import { DEFAULTS } from '@wskit/server';
import { describe, expect, test } from 'vitest';
import { resolveOptions } from './options.js';

describe('resolveOptions: the options every runtime shares', () => {
  test("defaults are the shared layer's (the same as @wskit/node)", () => {
    const options = resolveOptions({}, { runtime: 'Bun' });
    expect(options).toMatchObject({
      deflate: undefined,
      maxMessageSize: 32 * 1024 * 1024,
      maxBufferedAmount: 4 * 1024 * 1024,
      heartbeat: DEFAULTS.heartbeat,
      idleTimeout: 0,
      closeTimeout: 5_000,
    });
  });

  test('perMessageDeflate: true or { threshold }; other RFC 7692 parameters throw, naming the runtime', () => {
    expect(resolveOptions({ perMessageDeflate: true }, { runtime: 'Bun' }).deflate).toEqual({
      threshold: 1024,
    });
    expect(
      resolveOptions({ perMessageDeflate: { threshold: 0 } }, { runtime: 'Bun' }).deflate,
    ).toEqual({ threshold: 0 });
    expect(() =>
      resolveOptions(
        { perMessageDeflate: { clientMaxWindowBits: 10 } as never },
        { runtime: 'Bun' },
      ),
    ).toThrow(
      /^\[@wskit\/deno-bun\] option perMessageDeflate\.clientMaxWindowBits is not supported on Bun/,
    );
  });

  test('@wskit/node-only options and unknown options throw instead of being ignored', () => {
    expect(() => resolveOptions({ maxFrameSize: 1 } as never, { runtime: 'Deno' })).toThrow(
      /option maxFrameSize is not supported on Deno/,
    );
    expect(() => resolveOptions({ noServer: true } as never, { runtime: 'Bun' })).toThrow(
      /handleUpgrade/,
    );
    expect(() => resolveOptions({ colour: 'blue' } as never, { runtime: 'Bun' })).toThrow(
      /unknown option colour/,
    );
    // An explicit undefined is the same as leaving the option out.
    expect(() =>
      resolveOptions({ maxFrameSize: undefined } as never, { runtime: 'Bun' }),
    ).not.toThrow();
  });

  test('bad values throw with the option name', () => {
    expect(() => resolveOptions({ maxMessageSize: -1 }, { runtime: 'Bun' })).toThrow(
      /option maxMessageSize/,
    );
    expect(() => resolveOptions({ heartbeat: { interval: 0 } }, { runtime: 'Bun' })).toThrow(
      /heartbeat\.interval must be greater than 0/,
    );
    expect(() =>
      resolveOptions({ hooks: { message: 'nope' } as never }, { runtime: 'Bun' }),
    ).toThrow(/hook message must be a function/);
    expect(() => resolveOptions({ allowedOrigins: 'x' as never }, { runtime: 'Bun' })).toThrow(
      /allowedOrigins/,
    );
  });

  test('heartbeat: false turns it off; a partial object takes the defaults for the rest', () => {
    expect(resolveOptions({ heartbeat: false }, { runtime: 'Bun' }).heartbeat).toBeUndefined();
    expect(resolveOptions({ heartbeat: { interval: 5 } }, { runtime: 'Bun' }).heartbeat).toEqual({
      interval: 5,
      timeout: 10_000,
    });
  });
});
