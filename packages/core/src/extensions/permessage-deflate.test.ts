import { describe, expect, test } from 'vitest';
import { WebSocketError } from '../errors.js';
import {
  appendDeflateTrailer,
  DEFLATE_TRAILER,
  decompressedMessageTooBig,
  decompressionFailed,
  endsWithDeflateTrailer,
  stripDeflateTrailer,
} from './codec.js';
import type { ExtensionElement } from './extension.js';
import {
  acceptDeflateResponse,
  createDeflateOffer,
  DEFAULT_DEFLATE_THRESHOLD,
  DEFAULT_SERVER_WINDOW_BITS,
  type NegotiatedDeflate,
  negotiateDeflate,
  type PerMessageDeflateOptions,
  validateDeflateOptions,
} from './permessage-deflate.js';

type Param = readonly [string, string | true];

function deflate(...params: Param[]): ExtensionElement {
  return { name: 'permessage-deflate', params };
}

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16));
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function expectCode(run: () => unknown, code: string): WebSocketError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebSocketError);
    expect((error as WebSocketError).code).toBe(code);
    return error as WebSocketError;
  }
  throw new Error(`expected a WebSocketError ${code}`);
}

function agreed(negotiated: NegotiatedDeflate) {
  return {
    serverNoContextTakeover: negotiated.serverNoContextTakeover,
    clientNoContextTakeover: negotiated.clientNoContextTakeover,
    serverMaxWindowBits: negotiated.serverMaxWindowBits,
    clientMaxWindowBits: negotiated.clientMaxWindowBits,
  };
}

const defaults = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

/** A server that limits no window (the defaults before `DEFAULT_SERVER_WINDOW_BITS`). */
const unlimited = { serverMaxWindowBits: 15, clientMaxWindowBits: true } as const;

describe('options', () => {
  test.each<[PerMessageDeflateOptions, string]>([
    [{ serverMaxWindowBits: 7 }, 'serverMaxWindowBits'],
    [{ serverMaxWindowBits: 16 }, 'serverMaxWindowBits'],
    [{ serverMaxWindowBits: 10.5 }, 'serverMaxWindowBits'],
    [{ serverMaxWindowBits: true as unknown as number }, 'serverMaxWindowBits'],
    [{ clientMaxWindowBits: 7 }, 'clientMaxWindowBits'],
    [{ clientMaxWindowBits: Number.NaN }, 'clientMaxWindowBits'],
    [{ clientMaxWindowBits: '10' as unknown as number }, 'clientMaxWindowBits'],
    [{ serverNoContextTakeover: 1 as unknown as boolean }, 'serverNoContextTakeover'],
    [{ clientNoContextTakeover: 'yes' as unknown as boolean }, 'clientNoContextTakeover'],
    [{ threshold: -1 }, 'threshold'],
    [{ threshold: 1.5 }, 'threshold'],
  ])('%o is rejected, naming %s', (options, name) => {
    const error = expectCode(() => validateDeflateOptions(options), 'WS_ERR_INVALID_ARGUMENT');
    expect(error.message).toContain(name);
    // Every entry point validates eagerly.
    expectCode(() => createDeflateOffer(options), 'WS_ERR_INVALID_ARGUMENT');
    expectCode(() => negotiateDeflate([], options), 'WS_ERR_INVALID_ARGUMENT');
    expectCode(() => acceptDeflateResponse(deflate(), options), 'WS_ERR_INVALID_ARGUMENT');
  });

  test('window bits 8 and 15, booleans and threshold 0 are accepted', () => {
    expect(() =>
      validateDeflateOptions({
        serverMaxWindowBits: 8,
        clientMaxWindowBits: 15,
        serverNoContextTakeover: true,
        clientNoContextTakeover: false,
        threshold: 0,
      }),
    ).not.toThrow();
    expect(() => validateDeflateOptions({ clientMaxWindowBits: false })).not.toThrow();
  });

  test('threshold defaults to 1024 and is carried to the result', () => {
    expect(DEFAULT_DEFLATE_THRESHOLD).toBe(1024);
    expect(negotiateDeflate([deflate()])?.negotiated.threshold).toBe(1024);
    expect(negotiateDeflate([deflate()], { threshold: 0 })?.negotiated.threshold).toBe(0);
    expect(acceptDeflateResponse(deflate(), { threshold: 64 }).threshold).toBe(64);
  });
});

describe('RFC 7692 §7.1 client offer', () => {
  test('§7.1.2.2 default offer is `permessage-deflate; client_max_window_bits`, as Chromium', () => {
    expect(createDeflateOffer()).toEqual(deflate(['client_max_window_bits', true]));
  });

  test('§7.1.1 and §7.1.2 every parameter, in a fixed order', () => {
    expect(
      createDeflateOffer({
        clientMaxWindowBits: 12,
        serverMaxWindowBits: 10,
        clientNoContextTakeover: true,
        serverNoContextTakeover: true,
      }),
    ).toEqual(
      deflate(
        ['server_no_context_takeover', true],
        ['client_no_context_takeover', true],
        ['server_max_window_bits', '10'],
        ['client_max_window_bits', '12'],
      ),
    );
  });

  test('§7.1.2.2 clientMaxWindowBits: false leaves the parameter out', () => {
    expect(createDeflateOffer({ clientMaxWindowBits: false })).toEqual(deflate());
  });
});

describe('RFC 7692 §7.1 client checks the response', () => {
  test('§7.1 an empty response agrees on the defaults', () => {
    expect(agreed(acceptDeflateResponse(deflate()))).toEqual(defaults);
  });

  test('§7.1.1.1 the server may add server_no_context_takeover unasked', () => {
    const negotiated = acceptDeflateResponse(deflate(['server_no_context_takeover', true]));
    expect(negotiated.serverNoContextTakeover).toBe(true);
  });

  test('§7.1.1.1 fails when server_no_context_takeover was offered but not returned', () => {
    expectCode(
      () => acceptDeflateResponse(deflate(), { serverNoContextTakeover: true }),
      'WS_ERR_INVALID_EXTENSION',
    );
  });

  test('§7.1.1.2 client_no_context_takeover from the response or our own hint', () => {
    expect(
      acceptDeflateResponse(deflate(['client_no_context_takeover', true])).clientNoContextTakeover,
    ).toBe(true);
    expect(
      acceptDeflateResponse(deflate(), { clientNoContextTakeover: true }).clientNoContextTakeover,
    ).toBe(true);
  });

  test('§7.1.2.1 server_max_window_bits: same or smaller value accepted', () => {
    const options = { serverMaxWindowBits: 10 };
    expect(
      acceptDeflateResponse(deflate(['server_max_window_bits', '10']), options).serverMaxWindowBits,
    ).toBe(10);
    expect(
      acceptDeflateResponse(deflate(['server_max_window_bits', '8']), options).serverMaxWindowBits,
    ).toBe(8);
  });

  test('§7.1.2.1 server_max_window_bits: may be sent unasked', () => {
    expect(
      acceptDeflateResponse(deflate(['server_max_window_bits', '12'])).serverMaxWindowBits,
    ).toBe(12);
  });

  test('§7.1.2.1 fails on a larger server_max_window_bits than offered', () => {
    expectCode(
      () =>
        acceptDeflateResponse(deflate(['server_max_window_bits', '11']), {
          serverMaxWindowBits: 10,
        }),
      'WS_ERR_INVALID_EXTENSION',
    );
  });

  test('§7.1.2.1 fails when an offered server_max_window_bits is not returned', () => {
    expectCode(
      () => acceptDeflateResponse(deflate(), { serverMaxWindowBits: 10 }),
      'WS_ERR_INVALID_EXTENSION',
    );
  });

  test('§7.1.2.2 client_max_window_bits offered without value: the response value applies', () => {
    const negotiated = acceptDeflateResponse(deflate(['client_max_window_bits', '9']));
    expect(negotiated.clientMaxWindowBits).toBe(9);
    expect(acceptDeflateResponse(deflate()).clientMaxWindowBits).toBe(15);
  });

  test('§7.1.2.2 client_max_window_bits offered with value N: the client never exceeds N', () => {
    const options = { clientMaxWindowBits: 10 };
    expect(acceptDeflateResponse(deflate(), options).clientMaxWindowBits).toBe(10);
    expect(
      acceptDeflateResponse(deflate(['client_max_window_bits', '9']), options).clientMaxWindowBits,
    ).toBe(9);
    // A larger value still describes a configuration the client supports.
    expect(
      acceptDeflateResponse(deflate(['client_max_window_bits', '12']), options).clientMaxWindowBits,
    ).toBe(10);
  });

  test('§7.1.2.2 fails on client_max_window_bits that was not offered', () => {
    expectCode(
      () =>
        acceptDeflateResponse(deflate(['client_max_window_bits', '10']), {
          clientMaxWindowBits: false,
        }),
      'WS_ERR_INVALID_EXTENSION',
    );
  });

  test.each<[string, Param[]]>([
    ['a parameter not defined for a response', [['mux', true]]],
    ['client_max_window_bits without value', [['client_max_window_bits', true]]],
    ['server_max_window_bits without value', [['server_max_window_bits', true]]],
    ['server_max_window_bits below 8', [['server_max_window_bits', '7']]],
    ['server_max_window_bits above 15', [['server_max_window_bits', '16']]],
    ['a leading zero', [['server_max_window_bits', '09']]],
    ['a non-decimal value', [['client_max_window_bits', '0xa']]],
    ['an empty value', [['client_max_window_bits', '']]],
    ['a value on server_no_context_takeover', [['server_no_context_takeover', 'true']]],
    ['a value on client_no_context_takeover', [['client_no_context_takeover', '1']]],
    [
      'duplicate parameters',
      [
        ['server_no_context_takeover', true],
        ['server_no_context_takeover', true],
      ],
    ],
    [
      'duplicate window bits with different values',
      [
        ['server_max_window_bits', '10'],
        ['server_max_window_bits', '11'],
      ],
    ],
  ])('§7 fails on %s', (_, params) => {
    const error = expectCode(
      () => acceptDeflateResponse(deflate(...params)),
      'WS_ERR_INVALID_EXTENSION',
    );
    expect(error.status).toBeUndefined();
    expect(error.closeCode).toBeUndefined();
  });

  test('an element of another extension is a caller error', () => {
    expectCode(
      () => acceptDeflateResponse({ name: 'x-webkit-deflate-frame', params: [] }),
      'WS_ERR_INVALID_ARGUMENT',
    );
  });
});

describe('RFC 7692 §5 and §7 server negotiation', () => {
  test('§5 no permessage-deflate offer: nothing negotiated', () => {
    expect(negotiateDeflate([])).toBeUndefined();
    expect(negotiateDeflate([{ name: 'x-webkit-deflate-frame', params: [] }])).toBeUndefined();
  });

  test('§7.1 a bare offer is accepted; by default the server states its 12-bit window', () => {
    const result = negotiateDeflate([deflate()]);
    expect(result?.response).toEqual(deflate(['server_max_window_bits', '12']));
    expect(agreed(result?.negotiated as NegotiatedDeflate)).toEqual({
      ...defaults,
      serverMaxWindowBits: DEFAULT_SERVER_WINDOW_BITS,
    });
    const unlimitedResult = negotiateDeflate([deflate()], unlimited);
    expect(unlimitedResult?.response).toEqual(deflate());
    expect(agreed(unlimitedResult?.negotiated as NegotiatedDeflate)).toEqual(defaults);
  });

  test('§7.1.2 defaults: both windows 12 bits when the client offers client_max_window_bits', () => {
    // What Chromium offers.
    const result = negotiateDeflate([deflate(['client_max_window_bits', true])]);
    expect(result?.response).toEqual(
      deflate(['server_max_window_bits', '12'], ['client_max_window_bits', '12']),
    );
    expect(agreed(result?.negotiated as NegotiatedDeflate)).toEqual({
      ...defaults,
      serverMaxWindowBits: 12,
      clientMaxWindowBits: 12,
    });
    // Smaller offered values are kept.
    expect(
      negotiateDeflate([deflate(['server_max_window_bits', '10'], ['client_max_window_bits', '9'])])
        ?.response,
    ).toEqual(deflate(['server_max_window_bits', '10'], ['client_max_window_bits', '9']));
  });

  test('§7.1.2.2 defaults: a client that cannot be limited keeps 15 bits and compression', () => {
    // Firefox offers plain `permessage-deflate`. The response MUST NOT carry
    // client_max_window_bits, and the default limit is not worth turning compression off.
    const result = negotiateDeflate([deflate()]);
    expect(result?.response.params).not.toContainEqual(['client_max_window_bits', '12']);
    expect(result?.negotiated.clientMaxWindowBits).toBe(15);
  });

  test('§5 other extensions are skipped, the first permessage-deflate offer wins', () => {
    const result = negotiateDeflate([
      { name: 'x-custom', params: [['server_max_window_bits', '9']] },
      deflate(['server_max_window_bits', '10']),
      deflate(['server_max_window_bits', '11']),
    ]);
    expect(result?.response).toEqual(deflate(['server_max_window_bits', '10']));
  });

  test('§7.1.1.1 server_no_context_takeover is accepted by echoing it', () => {
    const result = negotiateDeflate([deflate(['server_no_context_takeover', true])], unlimited);
    expect(result?.response).toEqual(deflate(['server_no_context_takeover', true]));
    expect(result?.negotiated.serverNoContextTakeover).toBe(true);
  });

  test('§7.1.1.2 client_no_context_takeover is echoed', () => {
    const result = negotiateDeflate([deflate(['client_no_context_takeover', true])], unlimited);
    expect(result?.response).toEqual(deflate(['client_no_context_takeover', true]));
    expect(result?.negotiated.clientNoContextTakeover).toBe(true);
  });

  test('§7.1.1 server options force no_context_takeover on both sides', () => {
    const result = negotiateDeflate([deflate(['client_max_window_bits', true])], {
      ...unlimited,
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
    });
    expect(result?.response).toEqual(
      deflate(['server_no_context_takeover', true], ['client_no_context_takeover', true]),
    );
    expect(result?.negotiated.serverNoContextTakeover).toBe(true);
    expect(result?.negotiated.clientNoContextTakeover).toBe(true);
  });

  test('§7.1.2.1 server_max_window_bits is answered with the same or a smaller value', () => {
    expect(
      negotiateDeflate([deflate(['server_max_window_bits', '10'])], unlimited)?.response,
    ).toEqual(deflate(['server_max_window_bits', '10']));
    const limited = negotiateDeflate([deflate(['server_max_window_bits', '12'])], {
      serverMaxWindowBits: 9,
    });
    expect(limited?.response).toEqual(deflate(['server_max_window_bits', '9']));
    expect(limited?.negotiated.serverMaxWindowBits).toBe(9);
    const smaller = negotiateDeflate([deflate(['server_max_window_bits', '8'])], {
      serverMaxWindowBits: 12,
    });
    expect(smaller?.negotiated.serverMaxWindowBits).toBe(8);
  });

  test('§7.1.2.1 the server may state its own limit unasked (15 is left out)', () => {
    expect(negotiateDeflate([deflate()], { serverMaxWindowBits: 11 })?.response).toEqual(
      deflate(['server_max_window_bits', '11']),
    );
    expect(negotiateDeflate([deflate()], { serverMaxWindowBits: 15 })?.response).toEqual(deflate());
  });

  test('§7.1.2.2 client_max_window_bits without value: the server limit or nothing', () => {
    const offer = deflate(['client_max_window_bits', true]);
    expect(negotiateDeflate([offer], unlimited)?.response).toEqual(deflate());
    const limited = negotiateDeflate([offer], { ...unlimited, clientMaxWindowBits: 10 });
    expect(limited?.response).toEqual(deflate(['client_max_window_bits', '10']));
    expect(limited?.negotiated.clientMaxWindowBits).toBe(10);
  });

  test('§7.1.2.2 client_max_window_bits with value: echoed, or lowered to the server limit', () => {
    const offer = deflate(['client_max_window_bits', '12']);
    expect(negotiateDeflate([offer], unlimited)?.response).toEqual(
      deflate(['client_max_window_bits', '12']),
    );
    expect(negotiateDeflate([offer], { ...unlimited, clientMaxWindowBits: 9 })?.response).toEqual(
      deflate(['client_max_window_bits', '9']),
    );
    expect(negotiateDeflate([offer], { ...unlimited, clientMaxWindowBits: 14 })?.response).toEqual(
      deflate(['client_max_window_bits', '12']),
    );
  });

  test('§7.1.2.2 an offer without client_max_window_bits is declined when the server limits it', () => {
    const limit = { ...unlimited, clientMaxWindowBits: 10 };
    expect(negotiateDeflate([deflate()], limit)).toBeUndefined();
    // ...and a later offer that supports the parameter is accepted.
    const result = negotiateDeflate([deflate(), deflate(['client_max_window_bits', true])], limit);
    expect(result?.response).toEqual(deflate(['client_max_window_bits', '10']));
    // A limit of 15 is no limit.
    expect(
      negotiateDeflate([deflate()], { ...unlimited, clientMaxWindowBits: 15 })?.response,
    ).toEqual(deflate());
  });

  test('§7.1.2 quoted values arrive unquoted from the parser and are accepted', () => {
    // server_max_window_bits="10" parses to ['server_max_window_bits', '10'].
    const result = negotiateDeflate([
      deflate(['server_max_window_bits', '10'], ['client_max_window_bits', '11']),
    ]);
    expect(agreed(result?.negotiated as NegotiatedDeflate)).toEqual({
      ...defaults,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 11,
    });
  });

  test.each<[string, Param[]]>([
    ['a parameter not defined for an offer', [['unknown_param', true]]],
    ['server_max_window_bits without value', [['server_max_window_bits', true]]],
    ['server_max_window_bits of 7', [['server_max_window_bits', '7']]],
    ['server_max_window_bits of 16', [['server_max_window_bits', '16']]],
    ['client_max_window_bits of 0', [['client_max_window_bits', '0']]],
    ['a leading zero', [['client_max_window_bits', '010']]],
    ['a value on server_no_context_takeover', [['server_no_context_takeover', 'x']]],
    [
      'duplicate client_max_window_bits',
      [
        ['client_max_window_bits', true],
        ['client_max_window_bits', '10'],
      ],
    ],
    [
      'duplicate client_no_context_takeover',
      [
        ['client_no_context_takeover', true],
        ['client_no_context_takeover', true],
      ],
    ],
  ])('§7 an offer with %s is declined and the next one accepted', (_, params) => {
    expect(negotiateDeflate([deflate(...params)])).toBeUndefined();
    const result = negotiateDeflate(
      [deflate(...params), deflate(['server_no_context_takeover', true])],
      unlimited,
    );
    expect(result?.response).toEqual(deflate(['server_no_context_takeover', true]));
  });

  test('§7 a declined offer never throws (no 400)', () => {
    expect(() =>
      negotiateDeflate([deflate(['server_max_window_bits', 'abc']), deflate(['x', 'y'])]),
    ).not.toThrow();
  });
});

describe('RFC 7692 §7.1 both sides agree', () => {
  test.each<[PerMessageDeflateOptions, PerMessageDeflateOptions]>([
    [{}, {}],
    [{ serverNoContextTakeover: true, clientNoContextTakeover: true }, {}],
    [{}, { serverNoContextTakeover: true, clientNoContextTakeover: true }],
    [{ serverMaxWindowBits: 10, clientMaxWindowBits: 12 }, {}],
    [{ serverMaxWindowBits: 10 }, { serverMaxWindowBits: 9, clientMaxWindowBits: 8 }],
    [{ clientMaxWindowBits: 11 }, { clientMaxWindowBits: 13 }],
    [{ clientMaxWindowBits: 13 }, { clientMaxWindowBits: 11 }],
    [{ clientMaxWindowBits: false }, { serverMaxWindowBits: 12 }],
  ])('client %o, server %o', (clientOptions, serverOptions) => {
    const result = negotiateDeflate([createDeflateOffer(clientOptions)], serverOptions);
    expect(result).toBeDefined();
    const { response, negotiated } = result as NonNullable<typeof result>;
    const client = acceptDeflateResponse(response, clientOptions);
    expect(agreed(client)).toEqual(agreed(negotiated));
  });
});

describe('RFC 7692 §7.1 compressor and decompressor parameters per role', () => {
  const result = negotiateDeflate(
    [deflate(['server_no_context_takeover', true], ['client_max_window_bits', true])],
    { serverMaxWindowBits: 10, clientMaxWindowBits: 12 },
  );
  const negotiated = result?.negotiated as NegotiatedDeflate;

  test('§7.1 server_* parameters drive the server compressor and the client decompressor', () => {
    expect(negotiated.deflateParamsFor('server')).toEqual({
      noContextTakeover: true,
      maxWindowBits: 10,
      windowBits: 10,
    });
    expect(negotiated.inflateParamsFor('client')).toEqual({
      noContextTakeover: true,
      maxWindowBits: 10,
    });
  });

  test('§7.1 client_* parameters drive the client compressor and the server decompressor', () => {
    expect(negotiated.deflateParamsFor('client')).toEqual({
      noContextTakeover: false,
      maxWindowBits: 12,
      windowBits: 12,
    });
    expect(negotiated.inflateParamsFor('server')).toEqual({
      noContextTakeover: false,
      maxWindowBits: 12,
    });
  });

  test('§7.1.2 a negotiated 8 compresses with zlib windowBits 9 and inflates with 8', () => {
    const eight = negotiateDeflate([deflate(['server_max_window_bits', '8'])])?.negotiated;
    expect(eight?.deflateParamsFor('server')).toEqual({
      noContextTakeover: false,
      maxWindowBits: 8,
      windowBits: 9,
    });
    expect(eight?.inflateParamsFor('client')).toEqual({
      noContextTakeover: false,
      maxWindowBits: 8,
    });
  });
});

describe('RFC 7692 §7.2 codec contract helpers', () => {
  test('§7.2.1 the trailer is 0x00 0x00 0xff 0xff and cannot be mutated', () => {
    expect([...DEFLATE_TRAILER]).toEqual([0x00, 0x00, 0xff, 0xff]);
    expect(Object.isFrozen(DEFLATE_TRAILER)).toBe(true);
  });

  test('§7.2.3.1 "Hello": a sync-flushed block loses its trailer', () => {
    // zlib raw deflate of "Hello" with Z_SYNC_FLUSH.
    const flushed = fromHex('f248cdc9c907000000ffff');
    expect(endsWithDeflateTrailer(flushed)).toBe(true);
    const payload = stripDeflateTrailer(flushed);
    expect(toHex(payload)).toBe('f248cdc9c90700');
    // A view, not a copy.
    expect(payload.buffer).toBe(flushed.buffer);
  });

  test('§7.2.2 the receiver appends the trailer to a copy', () => {
    const payload = fromHex('f248cdc9c90700');
    const withTrailer = appendDeflateTrailer(payload);
    expect(toHex(withTrailer)).toBe('f248cdc9c907000000ffff');
    expect(toHex(payload)).toBe('f248cdc9c90700');
  });

  test('§7.2.1 an empty message: sync flush 00 00 00 ff ff becomes 00', () => {
    expect(toHex(stripDeflateTrailer(fromHex('000000ffff')))).toBe('00');
    expect(toHex(appendDeflateTrailer(new Uint8Array(0)))).toBe('0000ffff');
  });

  test('§7.2.1 data without the trailer is a codec bug and throws', () => {
    expect(endsWithDeflateTrailer(fromHex('00ffff'))).toBe(false);
    expect(endsWithDeflateTrailer(fromHex('f348cdc9c90700'))).toBe(false);
    expectCode(() => stripDeflateTrailer(fromHex('f348cdc9c90700')), 'WS_ERR_INVALID_ARGUMENT');
    expectCode(() => stripDeflateTrailer(new Uint8Array(0)), 'WS_ERR_INVALID_ARGUMENT');
  });

  test('§7.2.2 decompression errors carry 1009 and 1007', () => {
    const tooBig = decompressedMessageTooBig(1024);
    expect(tooBig.code).toBe('WS_ERR_MESSAGE_TOO_BIG');
    expect(tooBig.closeCode).toBe(1009);
    expect(tooBig.message).toContain('1024');
    const cause = new Error('invalid distance too far back');
    const failed = decompressionFailed(cause);
    expect(failed.code).toBe('WS_ERR_DECOMPRESSION_FAILED');
    expect(failed.closeCode).toBe(1007);
    expect(failed.cause).toBe(cause);
  });
});
