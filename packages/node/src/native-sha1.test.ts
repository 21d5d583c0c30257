import * as crypto from 'node:crypto';
import { sha1 } from '@wskit/core';
import { describe, expect, test } from 'vitest';
import { nativeSha1, sha1From } from './native-sha1.js';

const inputs = [
  new Uint8Array(0),
  new TextEncoder().encode('dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11'),
  crypto.randomBytes(1000),
];

describe('nativeSha1: the accept key digest', () => {
  test('matches the core SHA-1, with crypto.hash and with createHash alone', () => {
    const withoutHash = sha1From({ createHash: crypto.createHash });
    for (const input of inputs) {
      const expected = Buffer.from(sha1(input)).toString('hex');
      expect(Buffer.from(nativeSha1(input)).toString('hex')).toBe(expected);
      expect(Buffer.from(withoutHash(input)).toString('hex')).toBe(expected);
    }
  });

  test('uses crypto.hash where Node has it', () => {
    const calls: string[] = [];
    const digest = sha1From({
      hash: (algorithm, data, encoding) => {
        calls.push(`${algorithm} ${data.length} ${encoding}`);
        return new Uint8Array(20);
      },
      createHash: () => {
        throw new Error('createHash should not be called');
      },
    });
    digest(new Uint8Array(3));
    expect(calls).toEqual(['sha1 3 buffer']);
  });
});
