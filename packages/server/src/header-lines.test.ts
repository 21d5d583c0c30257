import { describe, expect, it } from 'vitest';
import {
  firstHeaderValue,
  firstPackedEntry,
  isHeaderNamed,
  packHeaderLines,
  unpackHeaderLines,
} from './header-lines.js';

describe('packed header lines', () => {
  it('round-trips names and values, repeated names and empty values included', () => {
    const packed = packHeaderLines([
      'Host',
      'example.com',
      'X-Forwarded-For',
      '192.0.2.1',
      'x-forwarded-for',
      '192.0.2.2',
      'X-Empty',
      '',
      'Sec-WebSocket-Protocol',
      'chat, superchat',
    ]);
    expect(typeof packed).toBe('string');
    const headers = unpackHeaderLines(packed);
    expect([...headers]).toEqual([
      ['host', 'example.com'],
      ['sec-websocket-protocol', 'chat, superchat'],
      ['x-empty', ''],
      ['x-forwarded-for', '192.0.2.1, 192.0.2.2'],
    ]);
  });

  it('gives an empty Headers for no lines', () => {
    expect([...unpackHeaderLines(packHeaderLines([]))]).toEqual([]);
  });

  it('leaves out HTTP/2 pseudo-headers, which are not header fields', () => {
    const headers = unpackHeaderLines(
      packHeaderLines([':method', 'CONNECT', ':protocol', 'websocket', 'origin', 'https://a.test']),
    );
    expect([...headers]).toEqual([['origin', 'https://a.test']]);
  });

  it('leaves out a line WHATWG Headers rejects instead of throwing at the reader', () => {
    // A name with a space is not a token: `new Headers().append` throws a TypeError for it.
    expect(() => new Headers().append('bad name', 'x')).toThrow(TypeError);
    const headers = unpackHeaderLines(packHeaderLines(['bad name', 'x', 'good', 'y']));
    expect([...headers]).toEqual([['good', 'y']]);
  });

  it('keeps something packed in front of the lines apart: from, firstPackedEntry, firstHeaderValue', () => {
    const packed = packHeaderLines(['/chat?room=1', 'Host', 'a.test', 'host', 'b.test', 'X', '1']);
    expect(firstPackedEntry(packed)).toBe('/chat?room=1');
    expect(firstHeaderValue(packed, 'host', 1)).toBe('a.test');
    expect(firstHeaderValue(packed, 'origin', 1)).toBeUndefined();
    // Any case matches; a longer or shorter name does not.
    const variants = packHeaderLines(['X-Host', 'no', 'Hos', 'no', 'HOST', 'yes']);
    expect(firstHeaderValue(variants, 'host')).toBe('yes');
    expect([isHeaderNamed('Host', 'host'), isHeaderNamed('HOST', 'host')]).toEqual([true, true]);
    expect([isHeaderNamed('Hos', 'host'), isHeaderNamed('Hostx', 'host')]).toEqual([false, false]);
    expect([...unpackHeaderLines(packed, 1)]).toEqual([
      ['host', 'a.test, b.test'],
      ['x', '1'],
    ]);
    expect(firstPackedEntry(packHeaderLines(['/']))).toBe('/');
  });
});
