/**
 * The fuzz targets of packages/core/fuzz in CI: every committed corpus and regression input
 * passes every oracle, a short fixed-seed run finds nothing, and each oracle can fail (a
 * deliberately broken core is caught). The long runs are `fuzz/fuzz.mjs`; see fuzz/README.md.
 * Node-only: the deflate target inflates with node:zlib, as the Node adapter does.
 */
import { inflateRawSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { Fuzzer } from '../fuzz/engine.mjs';
import { loadCorpus } from '../fuzz/fuzz.mjs';
import { createSeeds } from '../fuzz/seeds.mjs';
import { createTargets, OracleFailure, TARGET_NAMES } from '../fuzz/targets.mjs';
import * as core from './index.js';

const targets = createTargets(core, { inflateRawSync });
const seeds = createSeeds(core);

describe('fuzz targets', () => {
  test.each(TARGET_NAMES)('%s: the seeds and the committed corpus pass every oracle', (name) => {
    const inputs = [...seeds[name], ...loadCorpus(name)];
    expect(inputs.length).toBeGreaterThan(seeds[name].length);
    for (const input of inputs) targets[name](input);
  });

  test.each(TARGET_NAMES)('%s: 3,000 fixed-seed mutations find nothing', async (name) => {
    const fuzzer = new Fuzzer({
      target: targets[name],
      seed: 20_261_204,
      corpus: [...seeds[name], ...loadCorpus(name)],
    });
    await fuzzer.init();
    await fuzzer.run({ runs: 3_000 });
    expect(fuzzer.finding).toBeUndefined();
    expect(fuzzer.executions).toBeGreaterThanOrEqual(3_000);
  });
});

describe('the oracles can fail', () => {
  /** The targets over a core with one part replaced by a broken one. */
  function brokenTargets(overrides: Record<string, unknown>) {
    return createTargets({ ...core, ...overrides }, { inflateRawSync });
  }

  test('frames: a parser that loses a byte at chunk boundaries breaks chunking invariance', () => {
    class LossyConnection extends core.Connection {
      override receiveData(chunk: Uint8Array): void {
        super.receiveData(chunk.length > 1 ? chunk.subarray(1) : chunk);
      }
    }
    const broken = brokenTargets({ Connection: LossyConnection });
    expect(() => {
      for (const input of seeds.frames) broken.frames(input);
    }).toThrow(OracleFailure);
  });

  test('frames: a failure with an undocumented close code is caught', () => {
    class WrongCodeConnection extends core.Connection {
      constructor(options: ConstructorParameters<typeof core.Connection>[0]) {
        const onError = options.handler.onError;
        super({
          ...options,
          handler: {
            ...options.handler,
            onError: (error) =>
              onError?.(new core.WebSocketError(error.code, error.message, { closeCode: 1011 })),
          },
        });
      }
    }
    const broken = brokenTargets({ Connection: WrongCodeConnection });
    // A masked frame to a client is a protocol error (RFC 6455 §5.1): 1002, here reported 1011.
    const maskedToClient = Uint8Array.from([0b111, 0x81, 0x81, 1, 2, 3, 4, 0x61]);
    expect(() => broken.frames(maskedToClient)).toThrow(/close code 1011/);
  });

  test('http-head: an exception other than a refusal is a finding', () => {
    class ThrowingParser extends core.HttpHeadParser<'request'> {
      override feed(): never {
        throw new TypeError('boom');
      }
    }
    const broken = brokenTargets({ HttpHeadParser: ThrowingParser });
    expect(() => broken['http-head'](seeds['http-head'][0] as Uint8Array)).toThrow(TypeError);
  });

  test('header-values: a writer that drops parameters breaks the round trip', () => {
    const broken = brokenTargets({ formatExtensions: () => 'permessage-deflate' });
    expect(() => {
      for (const input of seeds['header-values']) broken['header-values'](input);
    }).toThrow(OracleFailure);
  });

  test('h2-headers: a validator that accepts any version is caught', () => {
    // Pairs or a record, as the target passes both: the version is forced to 13.
    const lax = (headers: Array<[string, string]> | Record<string, string>) =>
      core.validateH2ClientRequest(
        Array.isArray(headers)
          ? headers.map(([name, value]): [string, string] => [
              name,
              name === 'sec-websocket-version' ? '13' : value,
            ])
          : { ...headers, 'sec-websocket-version': '13' },
      );
    const broken = brokenTargets({ validateH2ClientRequest: lax });
    // The second seed offers version 8: a lax validator lets it in, the oracle sees it.
    expect(() => broken['h2-headers'](seeds['h2-headers'][1] as Uint8Array)).toThrow(
      /accepted an invalid CONNECT/,
    );
  });

  test('close-payload: accepting an invalid close code is caught', () => {
    const broken = brokenTargets({ parseClosePayload: () => ({ code: 999, reason: '' }) });
    expect(() => broken['close-payload'](Uint8Array.from([0x03, 0xe7]))).toThrow(OracleFailure);
  });

  test('utf8: a validator that accepts a surrogate disagrees with TextDecoder', () => {
    const broken = brokenTargets({ isValidUtf8: () => true });
    expect(() => broken.utf8(Uint8Array.from([0xed, 0xa0, 0x80]))).toThrow(/TextDecoder/);
  });
});
