import { describe, expect, test } from 'vitest';
import { SlidingWindow } from './sliding-window.js';

describe('SlidingWindow', () => {
  test('empty until something is appended, and after clear()', () => {
    const window = new SlidingWindow(16);
    expect(window.contents()).toBeUndefined();
    window.append(new Uint8Array(0));
    expect(window.contents()).toBeUndefined();
    window.append(Buffer.from('abc'));
    expect(window.contents()?.toString()).toBe('abc');
    window.clear();
    expect(window.contents()).toBeUndefined();
  });

  test('holds exactly the last `size` bytes of everything appended, whatever the piece sizes', () => {
    let seed = 42;
    const random = (limit: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % limit;
    };
    for (const size of [1, 7, 256, 4096]) {
      const window = new SlidingWindow(size);
      let all = Buffer.alloc(0);
      for (let step = 0; step < 300; step++) {
        const piece = Buffer.alloc(random(3 * size + 2), step % 251);
        for (let i = 0; i < piece.length; i++) piece[i] = random(256);
        window.append(piece);
        all = Buffer.concat([all, piece]).subarray(-size);
        expect(window.contents() ?? Buffer.alloc(0)).toEqual(all);
      }
    }
  });

  test('copies what it is given: later changes to the input do not show', () => {
    const window = new SlidingWindow(8);
    const input = Buffer.from('12345678');
    window.append(input);
    input.fill(0);
    expect(window.contents()?.toString()).toBe('12345678');
  });
});
