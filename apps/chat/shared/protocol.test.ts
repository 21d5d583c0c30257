import { describe, expect, test } from 'vitest';
import {
  encode,
  LIMITS,
  parseClientMessage,
  parseServerMessage,
  type ServerMessage,
} from './protocol.js';

const client = (value: unknown) => parseClientMessage(JSON.stringify(value));

describe('parseClientMessage', () => {
  test('accepts every message type of version 1', () => {
    const valid = [
      { v: 1, type: 'list' },
      { v: 1, type: 'create', room: 'team-a' },
      { v: 1, type: 'join', room: 'lobby', nick: 'ada', userId: 'u1' },
      { v: 1, type: 'join', room: 'lobby', nick: 'Zoë', userId: 'u1', lastSeen: 7 },
      { v: 1, type: 'leave', room: 'lobby' },
      { v: 1, type: 'say', room: 'lobby', id: 'c1', text: '<b>hi</b>' },
      { v: 1, type: 'typing', room: 'lobby', typing: true },
    ];
    for (const message of valid) expect(client(message)).toEqual({ ok: true, value: message });
  });

  test('drops unknown fields', () => {
    expect(client({ v: 1, type: 'list', extra: 1 })).toEqual({
      ok: true,
      value: { v: 1, type: 'list' },
    });
  });

  test('never throws, and names the reason', () => {
    expect(parseClientMessage('{')).toMatchObject({ ok: false, code: 'bad-json' });
    expect(parseClientMessage('[]')).toMatchObject({ ok: false, code: 'bad-message' });
    expect(parseClientMessage('null')).toMatchObject({ ok: false, code: 'bad-message' });
    expect(client({ type: 'list' })).toMatchObject({ ok: false, code: 'unsupported-version' });
    expect(client({ v: 2, type: 'list' })).toMatchObject({
      ok: false,
      code: 'unsupported-version',
    });
    expect(client({ v: 1 })).toMatchObject({ ok: false, code: 'bad-message' });
    expect(client({ v: 1, type: 'dance' })).toMatchObject({
      ok: false,
      code: 'bad-message',
      message: expect.stringContaining('dance'),
    });
    expect(client({ v: 1, type: '__proto__' })).toMatchObject({ ok: false, code: 'bad-message' });
  });

  test('checks each field', () => {
    const bad = [
      { v: 1, type: 'create', room: '' },
      { v: 1, type: 'create', room: ' padded ' },
      { v: 1, type: 'create', room: 'x'.repeat(LIMITS.roomName + 1) },
      { v: 1, type: 'create', room: '<script>' },
      { v: 1, type: 'create', room: 42 },
      { v: 1, type: 'join', room: 'lobby', nick: 'ada' },
      { v: 1, type: 'join', room: 'lobby', nick: 'ada', userId: 'u', lastSeen: -1 },
      { v: 1, type: 'join', room: 'lobby', nick: 'ada', userId: 'u', lastSeen: 1.5 },
      { v: 1, type: 'join', room: 'lobby', nick: 'ada', userId: 'u', lastSeen: '3' },
      { v: 1, type: 'say', room: 'lobby', id: 'c1', text: '   ' },
      { v: 1, type: 'say', room: 'lobby', id: 'c1', text: 'x'.repeat(LIMITS.text + 1) },
      { v: 1, type: 'say', room: 'lobby', text: 'hi' },
      { v: 1, type: 'typing', room: 'lobby', typing: 'yes' },
    ];
    for (const message of bad)
      expect(client(message), JSON.stringify(message)).toMatchObject({
        ok: false,
        code: 'bad-message',
      });
  });
});

describe('parseServerMessage', () => {
  test('round-trips what the server encodes', () => {
    const messages: ServerMessage[] = [
      { v: 1, type: 'welcome', connectionId: 'p1', maxMessageSize: 8192, historySize: 50 },
      { v: 1, type: 'rooms', rooms: [{ name: 'lobby', online: 2 }] },
      { v: 1, type: 'created', room: 'a' },
      {
        v: 1,
        type: 'joined',
        room: 'lobby',
        nick: 'ada',
        members: [{ userId: 'u1', nick: 'ada' }],
        history: [
          { id: 1, room: 'lobby', userId: 'u2', nick: 'bob', text: 'hi', ref: 'c0', ts: 5 },
        ],
        replayed: false,
      },
      { v: 1, type: 'left', room: 'lobby' },
      {
        v: 1,
        type: 'message',
        message: { id: 2, room: 'lobby', userId: 'u1', nick: 'ada', text: 'yo', ref: 'c1', ts: 6 },
      },
      { v: 1, type: 'ack', id: 'c1', room: 'lobby', messageId: 2 },
      {
        v: 1,
        type: 'presence',
        room: 'lobby',
        event: 'leave',
        member: { userId: 'u1', nick: 'ada' },
      },
      { v: 1, type: 'typing', room: 'lobby', nick: 'ada', typing: false },
      { v: 1, type: 'error', code: 'nick-taken', message: 'taken', ref: 'c1' },
    ];
    for (const message of messages)
      expect(parseServerMessage(encode(message))).toEqual({ ok: true, value: message });
  });

  test('refuses malformed server messages', () => {
    const bad = [
      { v: 1, type: 'message', message: { id: 'x' } },
      { v: 1, type: 'presence', room: 'a', event: 'dance', member: { userId: 'u', nick: 'n' } },
      { v: 1, type: 'error', code: 'nope', message: 'm' },
      { v: 1, type: 'joined', room: 'a', nick: 'n', members: {}, history: [], replayed: false },
    ];
    for (const message of bad)
      expect(parseServerMessage(JSON.stringify(message))).toMatchObject({ ok: false });
  });
});
