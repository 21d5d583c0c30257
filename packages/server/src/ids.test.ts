import { describe, expect, test } from 'vitest';
import { PeerIds } from './ids.js';

describe('PeerIds: `<server>-<n>` made when first read', () => {
  test('numbers count up from 0 and format in base 36 after the server prefix', () => {
    const ids = new PeerIds();
    const numbers = Array.from({ length: 40 }, () => ids.next());
    expect(numbers).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const prefix = ids.format(0).slice(0, -1);
    expect(prefix).toMatch(/^[0-9a-z]+-$/);
    expect(ids.format(35)).toBe(`${prefix}z`);
    expect(ids.format(36)).toBe(`${prefix}10`);
  });

  test('two servers never hand out the same id', () => {
    const a = new PeerIds();
    const b = new PeerIds();
    expect(a.format(a.next())).not.toBe(b.format(b.next()));
  });
});
