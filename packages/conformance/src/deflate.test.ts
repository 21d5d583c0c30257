import { describe, expect, test } from 'vitest';
import { hex, pseudoRandomBytes } from './bytes.js';
import {
  checkDeflateResponse,
  DeflateSession,
  formatDeflateParams,
  negotiated,
  parseExtensions,
  readDeflateParams,
} from './deflate.js';

const loose = negotiated({});

describe('extension headers (RFC 6455 §9.1, RFC 7692 §7.1)', () => {
  test('parses several offers with quoted values', () => {
    const parsed = parseExtensions(
      'permessage-deflate; client_max_window_bits="10"; server_no_context_takeover, foo',
    );
    expect(parsed).toEqual([
      {
        name: 'permessage-deflate',
        params: [
          ['client_max_window_bits', '10'],
          ['server_no_context_takeover', true],
        ],
      },
      { name: 'foo', params: [] },
    ]);
    expect(() => parseExtensions('permessage-deflate; a=b c')).toThrow();
  });

  test('reads and rejects parameters', () => {
    const [offer] = parseExtensions('permessage-deflate; client_max_window_bits');
    expect(readDeflateParams(offer as never, 'offer')).toEqual({ clientMaxWindowBits: true });
    expect(readDeflateParams(offer as never, 'response')).toMatch(/needs a value/);
    const [bad] = parseExtensions('permessage-deflate; server_max_window_bits=16');
    expect(readDeflateParams(bad as never, 'response')).toMatch(/from 8 to 15/);
    const [twice] = parseExtensions(
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
    );
    expect(readDeflateParams(twice as never, 'response')).toMatch(/twice/);
  });

  test('formats offers', () => {
    expect(formatDeflateParams({ serverNoContextTakeover: true, clientMaxWindowBits: true })).toBe(
      'permessage-deflate; server_no_context_takeover; client_max_window_bits',
    );
  });

  test('checks a response against the offers', () => {
    expect(checkDeflateResponse([{}], { clientMaxWindowBits: 10 })[0]).toMatch(/was not offered/);
    expect(checkDeflateResponse([{ serverNoContextTakeover: true }], {})[0]).toMatch(
      /server_no_context_takeover/,
    );
    expect(
      checkDeflateResponse([{ serverMaxWindowBits: 10 }], { serverMaxWindowBits: 12 })[0],
    ).toMatch(/exceeds/);
    expect(checkDeflateResponse([{ serverMaxWindowBits: 10 }, {}], {})).toEqual([]);
  });
});

describe('DeflateSession', () => {
  test('RFC 7692 §7.2.3.1: "Hello" compresses to f248cdc9c90700 and back', async () => {
    const session = new DeflateSession(loose, 'client');
    expect(Buffer.from(await session.compress(Buffer.from('Hello'))).toString('hex')).toBe(
      'f248cdc9c90700',
    );
    expect(Buffer.from(await session.decompress(hex('f248cdc9c90700'))).toString()).toBe('Hello');
    session.close();
  });

  test('context takeover: a repeated message shrinks, and needs the previous one to inflate', async () => {
    const sender = new DeflateSession(loose, 'server');
    const message = pseudoRandomBytes(2000);
    const first = await sender.compress(message);
    const second = await sender.compress(message);
    expect(second.length).toBeLessThan(first.length / 10);

    const withContext = new DeflateSession(loose, 'client');
    await withContext.decompress(first);
    expect(new Uint8Array(await withContext.decompress(second))).toEqual(message);

    const noContext = new DeflateSession(negotiated({ serverNoContextTakeover: true }), 'client');
    await noContext.decompress(first);
    await expect(noContext.decompress(second)).rejects.toThrow(/too far back/);
    for (const session of [sender, withContext, noContext]) session.close();
  });

  test('a message compressed with a larger window than negotiated is rejected', async () => {
    const sender = new DeflateSession(loose, 'server');
    const block = pseudoRandomBytes(700);
    const compressed = await sender.compress(Buffer.concat([block, block]));
    const strict = new DeflateSession(negotiated({ serverMaxWindowBits: 9 }), 'client');
    await expect(strict.decompress(compressed)).rejects.toThrow(/too far back/);
    const wide = new DeflateSession(negotiated({ serverMaxWindowBits: 10 }), 'client');
    expect((await wide.decompress(compressed)).length).toBe(1400);
    for (const session of [sender, strict, wide]) session.close();
  });
});
