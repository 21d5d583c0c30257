import { describe, expect, test } from 'vitest';
import { editDistance, nearestName } from './suggest.js';

describe('nearestName: "did you mean" for option names', () => {
  test('edit distance counts insertions, deletions, substitutions and swaps once each', () => {
    expect(editDistance('threshold', 'threshold')).toBe(0);
    expect(editDistance('threshhold', 'threshold')).toBe(1);
    expect(editDistance('maxMesageSize', 'maxMessageSize')).toBe(1);
    expect(editDistance('hearbteat', 'heartbeat')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  test('suggests the nearest known name, ignoring case, and nothing for another word', () => {
    const known = ['maxMessageSize', 'maxFrameSize', 'heartbeat', 'hooks'];
    expect(nearestName('maxmessagesize', known)).toBe('maxMessageSize');
    expect(nearestName('maxFramSize', known)).toBe('maxFrameSize');
    expect(nearestName('hook', known)).toBe('hooks');
    expect(nearestName('colour', known)).toBeUndefined();
    expect(nearestName('x', known)).toBeUndefined();
  });
});
