import { describe, expect, test } from 'vitest';
import { encodeCommand, parseResp, RespError } from '../src/resp.js';

describe('RESP2', () => {
  test('encodes a command as an array of bulk strings (UTF-8 byte lengths)', () => {
    expect(encodeCommand(['SET', 'k', 'é']).toString()).toBe(
      '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n',
    );
  });

  test('parses every reply type', () => {
    const reply = Buffer.from('*5\r\n+OK\r\n-ERR no\r\n:42\r\n$-1\r\n$3\r\nabc\r\n');
    const [value, end] = parseResp(reply) ?? [];
    expect(end).toBe(reply.length);
    expect(value).toEqual(['OK', new RespError('ERR no'), 42, null, 'abc']);
    expect((value as unknown[])[1]).toBeInstanceOf(RespError);
  });

  test('waits for the rest of a split reply, at every split point', () => {
    const reply = Buffer.from('*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n');
    for (let cut = 0; cut < reply.length; cut++)
      expect(parseResp(reply.subarray(0, cut))).toBeUndefined();
    expect(parseResp(reply)?.[0]).toEqual(['message', 'ch', 'hello']);
  });
});
