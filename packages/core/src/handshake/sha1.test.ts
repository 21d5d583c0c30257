import { describe, expect, test } from 'vitest';
import { sha1 } from './sha1.js';

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

describe('FIPS 180-4 SHA-1 (used by RFC 6455 §4.2.2 for Sec-WebSocket-Accept)', () => {
  test('empty input', () => {
    expect(hex(sha1(new Uint8Array(0)))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
  });

  test('"abc"', () => {
    expect(hex(sha1(ascii('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
  });

  test('the 56-byte NIST vector (padding spills into a second block)', () => {
    const input = ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq');
    expect(input.length).toBe(56);
    expect(hex(sha1(input))).toBe('84983e441c3bd26ebaae4aa1f95129e5e54670f1');
  });

  test('1,000,000 × "a"', () => {
    expect(hex(sha1(new Uint8Array(1_000_000).fill(0x61)))).toBe(
      '34aa973cd4c4daa4f61eeb2bdbad27316534016f',
    );
  });

  test('the digest is 20 bytes and the input is not modified', () => {
    const input = ascii('hello');
    const digest = sha1(input);
    expect(digest.length).toBe(20);
    expect(Array.from(input)).toEqual([0x68, 0x65, 0x6c, 0x6c, 0x6f]);
  });

  test('a subarray view hashes only its own bytes', () => {
    const backing = ascii('xxabcxx');
    expect(hex(sha1(backing.subarray(2, 5)))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
  });
});
