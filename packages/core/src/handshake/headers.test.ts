import { describe, expect, test } from 'vitest';
import { headerView } from './headers.js';

describe('RFC 7230 §3.2 case-insensitive header access', () => {
  test('WHATWG Headers: get by any case, count unknown when present', () => {
    const headers = new Headers([
      ['Sec-WebSocket-Key', 'a'],
      ['X-Multi', '1'],
      ['x-multi', '2'],
    ]);
    const view = headerView(headers);
    expect(view.get('sec-websocket-key')).toBe('a');
    expect(view.get('SEC-WEBSOCKET-KEY')).toBe('a');
    expect(view.get('x-multi')).toBe('1, 2');
    expect(view.get('missing')).toBeUndefined();
    expect(view.count('x-multi')).toBeUndefined();
    expect(view.count('missing')).toBe(0);
  });

  test('a minimal Headers-like object with only get()', () => {
    const view = headerView({ get: (name: string) => (name === 'upgrade' ? 'websocket' : null) });
    expect(view.get('upgrade')).toBe('websocket');
    expect(view.get('connection')).toBeUndefined();
  });

  test('Node-style record: arrays joined with ", ", strings count as unknown', () => {
    const view = headerView({
      'sec-websocket-key': 'a',
      'set-cookie': ['x=1', 'y=2'],
      'x-absent': undefined,
      'x-empty': [],
    });
    expect(view.get('Sec-WebSocket-Key')).toBe('a');
    expect(view.count('Sec-WebSocket-Key')).toBeUndefined();
    expect(view.get('set-cookie')).toBe('x=1, y=2');
    expect(view.count('Set-Cookie')).toBe(2);
    expect(view.get('x-absent')).toBeUndefined();
    expect(view.count('x-absent')).toBe(0);
    expect(view.get('x-empty')).toBeUndefined();
    expect(view.count('x-empty')).toBe(0);
  });

  test('a record with mixed-case keys is read case-insensitively and merged', () => {
    const view = headerView({ 'Sec-WebSocket-Protocol': 'a', 'sec-websocket-protocol': ['b'] });
    expect(view.get('sec-websocket-protocol')).toBe('a, b');
    expect(view.count('sec-websocket-protocol')).toBeUndefined();
    const arrays = headerView({ 'X-A': ['1'], 'x-a': ['2', '3'] });
    expect(arrays.get('x-a')).toBe('1, 2, 3');
    expect(arrays.count('x-a')).toBe(3);
  });

  test('a record with a "get" key that is not a function is still a record', () => {
    expect(headerView({ get: 'value' }).get('GET')).toBe('value');
  });

  test('pairs: order kept, repeated names joined with ", " and counted exactly', () => {
    const view = headerView([
      ['Sec-WebSocket-Key', 'k1'],
      ['Host', 'example.com'],
      ['sec-websocket-key', 'k2'],
    ]);
    expect(view.get('sec-websocket-key')).toBe('k1, k2');
    expect(view.count('SEC-WEBSOCKET-KEY')).toBe(2);
    expect(view.count('host')).toBe(1);
    expect(view.count('origin')).toBe(0);
    expect(view.get('origin')).toBeUndefined();
  });

  test('pairs: only ASCII letters match without case, and the view keeps its own list', () => {
    const pairs: Array<[string, string]> = [
      ['X-A@', 'at'],
      ['Host', 'example.com'],
    ];
    const view = headerView(pairs);
    expect(view.get('x-a@')).toBe('at');
    expect(view.get('x-a`')).toBeUndefined();
    expect(view.get('hosT')).toBe('example.com');
    expect(view.get('hos')).toBeUndefined();
    pairs.push(['Origin', 'https://a.example']);
    expect(view.get('origin')).toBeUndefined();
  });

  test('an empty value is present, not absent', () => {
    const view = headerView([['Sec-WebSocket-Protocol', '']]);
    expect(view.get('sec-websocket-protocol')).toBe('');
    expect(view.count('sec-websocket-protocol')).toBe(1);
  });
});
