// The file journal behind the in-process broker: what is restored after a restart, a torn
// last line, compaction to the retained history, and message ids that keep increasing.
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import type { ChatMessage } from '../shared/protocol.js';
import { InProcessBroker } from './broker.js';
import { FileJournal } from './file-journal.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function openBroker(dir: string, historySize: number): Promise<InProcessBroker> {
  return new InProcessBroker(['lobby'], await FileJournal.open(dir, historySize));
}

async function say(broker: InProcessBroker, room: string, text: string): Promise<ChatMessage> {
  const message: ChatMessage = {
    id: await broker.nextMessageId(room),
    room,
    userId: 'u1',
    nick: 'ada',
    text,
    ref: `ref-${text}`,
    ts: 1,
  };
  await broker.appendHistory(message, 3);
  return message;
}

test('rooms and the last messages survive a restart; ids continue; a torn line is skipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chat-journal-'));
  dirs.push(dir);
  let broker = await openBroker(dir, 3);
  expect(await broker.createRoom('ops')).toBe(true);
  for (const text of ['a', 'b', 'c', 'd']) await say(broker, 'ops', text);
  await say(broker, 'lobby', 'hello');
  await broker.close();
  // A crash in the middle of a write (never acknowledged): half a line at the end.
  appendFileSync(join(dir, 'chat.jsonl'), '{"kind":"message","message":{"id":9');

  broker = await openBroker(dir, 3);
  expect((await broker.rooms()).map((room) => room.name)).toEqual(['lobby', 'ops']);
  expect((await broker.history('ops', 50)).map((message) => message.text)).toEqual(['b', 'c', 'd']);
  expect((await broker.history('lobby', 50)).map((message) => message.text)).toEqual(['hello']);
  expect(await broker.createRoom('ops')).toBe(false);
  expect((await say(broker, 'ops', 'e')).id).toBe(5);
  await broker.close();

  // Compacted on open: the retained messages and rooms only, plus what came after.
  const lines = readFileSync(join(dir, 'chat.jsonl'), 'utf8').trim().split('\n');
  expect(lines).toHaveLength(2 + 4 + 1);
});
