import { describe, expect, test } from 'vitest';
import {
  MAX_TOPICS_PER_MESSAGE,
  parseClientMessage,
  parseNotificationInput,
  parseServerMessage,
} from './schema.js';

describe('client messages', () => {
  test('a subscribe with cursors', () => {
    expect(
      parseClientMessage(
        '{"v":1,"type":"subscribe","topics":[{"topic":"a","after":3},{"topic":"b.c"}]}',
      ),
    ).toEqual({
      ok: true,
      value: { v: 1, type: 'subscribe', topics: [{ topic: 'a', after: 3 }, { topic: 'b.c' }] },
    });
  });

  test.each([
    ['not json', 'bad_json'],
    ['[]', 'bad_message'],
    ['null', 'bad_message'],
    ['{"type":"ping"}', 'unsupported_version'],
    ['{"v":2,"type":"ping"}', 'unsupported_version'],
    ['{"v":1}', 'bad_message'],
    ['{"v":1,"type":"nope"}', 'bad_message'],
    ['{"v":1,"type":"subscribe","topics":[]}', 'bad_message'],
    ['{"v":1,"type":"subscribe","topics":["a"]}', 'bad_message'],
    ['{"v":1,"type":"subscribe","topics":[{"topic":"../etc"}]}', 'bad_message'],
    ['{"v":1,"type":"subscribe","topics":[{"topic":"a","after":-1}]}', 'bad_message'],
    ['{"v":1,"type":"subscribe","topics":[{"topic":"a","after":1.5}]}', 'bad_message'],
    ['{"v":1,"type":"unsubscribe","topics":[1]}', 'bad_message'],
  ])('%s is rejected with %s, never thrown', (text, code) => {
    const parsed = parseClientMessage(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok === false && parsed.code).toBe(code);
  });

  test('too many topics in one message', () => {
    const topics = Array.from({ length: MAX_TOPICS_PER_MESSAGE + 1 }, (_, index) => ({
      topic: `t${index}`,
    }));
    expect(parseClientMessage(JSON.stringify({ v: 1, type: 'subscribe', topics })).ok).toBe(false);
  });
});

describe('notification input', () => {
  test('valid input keeps its fields; body defaults to empty', () => {
    expect(parseNotificationInput({ topic: 'x', title: 'T', data: { a: 1 } })).toEqual({
      ok: true,
      value: { topic: 'x', title: 'T', body: '', data: { a: 1 } },
    });
  });

  test.each([
    [null],
    [{ title: 'T' }],
    [{ topic: 'x' }],
    [{ topic: 'x', title: '' }],
    [{ topic: 'x', title: 'T', body: 5 }],
    [{ topic: 'x', title: 'T'.repeat(201) }],
    [{ topic: 'x', title: 'T', data: 'd'.repeat(5000) }],
  ])('%j is rejected', (input) => {
    expect(parseNotificationInput(input).ok).toBe(false);
  });
});

describe('server messages (as the page validates them)', () => {
  test('a notification', () => {
    const text = JSON.stringify({
      v: 1,
      type: 'notification',
      id: 'i',
      seq: 1,
      time: 1,
      topic: 'a',
      title: 't',
      body: '',
    });
    expect(parseServerMessage(text).ok).toBe(true);
  });

  test.each([
    '{"v":1,"type":"notification","id":"i","seq":0,"time":1,"topic":"a","title":"t","body":""}',
    '{"v":1,"type":"notification","seq":1}',
    '{"v":1,"type":"subscribed","topic":"a"}',
    '{"v":1,"type":"error","code":1}',
    '{"v":1,"type":"surprise"}',
    '<html>',
  ])('%s is rejected', (text) => {
    expect(parseServerMessage(text).ok).toBe(false);
  });
});
