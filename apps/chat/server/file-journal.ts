/**
 * The chat's durable state without Redis: one append-only JSON-lines file (`chat.jsonl`) of
 * rooms created and messages said. Each record is written and fsync'd before the caller goes
 * on (the `ack` follows it), so an acknowledged message survives a restart. On open the file
 * is read back, and rewritten (temp file, fsync, rename) with only what is retained: the rooms
 * and each room's last `historySize` messages. Presence is not journaled: after a restart
 * nobody is connected.
 */
import { type FileHandle, mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChatMessage } from '../shared/protocol.js';

export type JournalEntry =
  | { kind: 'room'; name: string }
  | { kind: 'message'; message: ChatMessage };

export interface Journal {
  record(entry: JournalEntry): Promise<void>;
  close(): Promise<void>;
}

export interface Restored {
  rooms: string[];
  /** Oldest first, at most `historySize` per room. */
  messages: ChatMessage[];
}

function isEntry(value: unknown): value is JournalEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  if (entry.kind === 'room') return typeof entry.name === 'string';
  if (entry.kind !== 'message' || typeof entry.message !== 'object' || entry.message === null)
    return false;
  const message = entry.message as Record<string, unknown>;
  return typeof message.id === 'number' && typeof message.room === 'string';
}

export class FileJournal implements Journal {
  readonly #file: FileHandle;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(file: FileHandle) {
    this.#file = file;
  }

  static async open(
    dir: string,
    historySize: number,
  ): Promise<{ journal: FileJournal; restored: Restored }> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'chat.jsonl');
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const rooms = new Set<string>();
    const history = new Map<string, ChatMessage[]>();
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        continue; // a torn last line: written but never fsync'd, so never acknowledged
      }
      if (!isEntry(entry)) continue;
      if (entry.kind === 'room') {
        rooms.add(entry.name);
        continue;
      }
      rooms.add(entry.message.room);
      const list = history.get(entry.message.room) ?? [];
      list.push(entry.message);
      if (list.length > historySize) list.splice(0, list.length - historySize);
      history.set(entry.message.room, list);
    }
    const restored: Restored = { rooms: [...rooms], messages: [...history.values()].flat() };
    // Compaction: the retained state only, replacing the file atomically.
    const temporary = `${path}.tmp`;
    const rewrite = await open(temporary, 'w');
    try {
      const lines = [
        ...restored.rooms.map((name) => ({ kind: 'room', name })),
        ...restored.messages.map((message) => ({ kind: 'message', message })),
      ];
      await rewrite.writeFile(lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
      await rewrite.sync();
    } finally {
      await rewrite.close();
    }
    await rename(temporary, path);
    return { journal: new FileJournal(await open(path, 'a')), restored };
  }

  record(entry: JournalEntry): Promise<void> {
    const result = this.#queue.then(async () => {
      await this.#file.appendFile(`${JSON.stringify(entry)}\n`);
      await this.#file.sync();
    });
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    await this.#queue;
    await this.#file.close();
  }
}
