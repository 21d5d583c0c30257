import { describe, expect, test } from 'vitest';
import { isUpgradeReject } from './hooks.js';
import { messageFrom, WebSocketMessage } from './message.js';

describe('shared server API: Message views', () => {
  test('text, json, bytes and arrayBuffer views of a text message', () => {
    const bytes = new TextEncoder().encode('{"a":[1,"é"]}');
    const message = new WebSocketMessage(bytes, false);
    expect(message.isBinary).toBe(false);
    expect(message.byteLength).toBe(bytes.length);
    expect(message.text()).toBe('{"a":[1,"é"]}');
    expect(message.json()).toEqual({ a: [1, 'é'] });
    expect(message.bytes()).toBe(bytes);
    expect(new Uint8Array(message.arrayBuffer())).toEqual(bytes);
  });

  test('arrayBuffer of a view copies only the viewed bytes', () => {
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    const message = new WebSocketMessage(backing.subarray(1, 4), true);
    expect(Array.from(new Uint8Array(message.arrayBuffer()))).toEqual([1, 2, 3]);
  });

  test('messages from native runtimes: strings stay text, buffers are binary', () => {
    const text = messageFrom('héllo');
    expect(text.isBinary).toBe(false);
    expect(text.byteLength).toBe(6);
    expect(text.text()).toBe('héllo');
    const binary = messageFrom(new Uint8Array([1, 2]).buffer);
    expect(binary.isBinary).toBe(true);
    expect(Array.from(binary.bytes())).toEqual([1, 2]);
    // @ts-expect-error: wrong type on purpose
    expect(() => messageFrom(42)).toThrow(/must be a string, Uint8Array or ArrayBuffer/);
  });

  test('json() throws on invalid JSON', () => {
    expect(() => messageFrom('{nope').json()).toThrow(SyntaxError);
  });

  test('upgrade results: { status } and Response reject, accept objects do not', () => {
    expect(isUpgradeReject({ status: 401 })).toBe(true);
    expect(isUpgradeReject(new Response('no', { status: 403 }))).toBe(true);
    expect(isUpgradeReject({ data: { user: 'a' } })).toBe(false);
    expect(isUpgradeReject(undefined)).toBe(false);
  });
});
