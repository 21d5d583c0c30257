import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  truncate,
} from 'node:fs/promises';
import { join } from 'node:path';
import { isTopic, type NotificationInput, type StoredNotification } from '../shared/schema.js';
import {
  DEFAULT_MAX_PER_TOPIC,
  type NotificationStore,
  newId,
  type StoreSubscription,
} from './store.js';

export interface FileStoreOptions {
  dir: string;
  maxPerTopic?: number;
}

interface TopicLog {
  /** The retained tail, oldest first (at most maxPerTopic). */
  entries: StoredNotification[];
  head: number;
  /** Lines in the file, including ones past retention (compaction resets it). */
  lines: number;
  file: FileHandle | undefined;
  /** Appends and compactions of one topic run one after another. */
  queue: Promise<unknown>;
}

/**
 * The embedded store: one append-only JSON-lines file per topic (`<topic>.jsonl`; topic names
 * are restricted to file-safe characters by the schema). Each append is written and fsync'd
 * before it resolves. The retained tail is kept in memory; when a file holds twice the
 * retention it is rewritten (temp file, fsync, rename) with the tail only.
 */
export class FileStore implements NotificationStore {
  readonly #dir: string;
  readonly #max: number;
  readonly #topics = new Map<string, TopicLog>();
  /** Per topic, the subscribers to hand each new entry to (one process: no broker needed). */
  readonly #subscribers = new Map<string, Set<(entry: StoredNotification) => void>>();
  #closed = false;

  private constructor(dir: string, max: number) {
    this.#dir = dir;
    this.#max = max;
  }

  static async open(options: FileStoreOptions): Promise<FileStore> {
    const max = options.maxPerTopic ?? DEFAULT_MAX_PER_TOPIC;
    if (!Number.isSafeInteger(max) || max < 1) throw new Error('maxPerTopic must be >= 1');
    const store = new FileStore(options.dir, max);
    await mkdir(options.dir, { recursive: true });
    for (const name of await readdir(options.dir)) {
      const topic = name.endsWith('.jsonl') ? name.slice(0, -'.jsonl'.length) : '';
      if (!isTopic(topic)) continue;
      await store.#load(topic);
    }
    return store;
  }

  async #load(topic: string): Promise<void> {
    let text = await readFile(this.#path(topic), 'utf8');
    if (text !== '' && !text.endsWith('\n')) {
      // A torn last line (a crash mid-write, before fsync returned: never acknowledged) is cut
      // off, so the next append starts on a line of its own.
      text = text.slice(0, text.lastIndexOf('\n') + 1);
      await truncate(this.#path(topic), Buffer.byteLength(text));
    }
    const entries: StoredNotification[] = [];
    let lines = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      lines++;
      try {
        const entry = JSON.parse(line) as StoredNotification;
        if (typeof entry.seq === 'number') entries.push(entry);
      } catch {
        // an unreadable line is skipped
      }
    }
    const head = entries.at(-1)?.seq ?? 0;
    this.#topics.set(topic, {
      entries: entries.slice(-this.#max),
      head,
      lines,
      file: undefined,
      queue: Promise.resolve(),
    });
  }

  #path(topic: string): string {
    return join(this.#dir, `${topic}.jsonl`);
  }

  #log(topic: string): TopicLog {
    let log = this.#topics.get(topic);
    if (log === undefined) {
      log = { entries: [], head: 0, lines: 0, file: undefined, queue: Promise.resolve() };
      this.#topics.set(topic, log);
    }
    return log;
  }

  append(input: NotificationInput): Promise<StoredNotification> {
    if (this.#closed) return Promise.reject(new Error('store is closed'));
    const log = this.#log(input.topic);
    const result = log.queue.then(async () => {
      const entry: StoredNotification = {
        id: newId(),
        seq: log.head + 1,
        time: Date.now(),
        ...input,
      };
      log.file ??= await open(this.#path(input.topic), 'a');
      await log.file.appendFile(`${JSON.stringify(entry)}\n`);
      await log.file.sync();
      log.head = entry.seq;
      log.lines++;
      log.entries.push(entry);
      if (log.entries.length > this.#max) log.entries.splice(0, log.entries.length - this.#max);
      // Stored: a subscriber that throws must not turn the append into a failure.
      for (const deliver of this.#subscribers.get(input.topic) ?? []) {
        try {
          deliver(entry);
        } catch (error) {
          console.error(`push: a subscriber of ${input.topic} failed:`, error);
        }
      }
      if (log.lines >= this.#max * 2) await this.#compact(input.topic, log);
      return entry;
    });
    log.queue = result.catch(() => undefined);
    return result;
  }

  async #compact(topic: string, log: TopicLog): Promise<void> {
    const temporary = `${this.#path(topic)}.tmp`;
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(log.entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
      await file.sync();
    } finally {
      await file.close();
    }
    await log.file?.close();
    log.file = undefined;
    await rename(temporary, this.#path(topic));
    log.lines = log.entries.length;
  }

  async readAfter(topic: string, after: number, limit: number): Promise<StoredNotification[]> {
    const entries = this.#topics.get(topic)?.entries ?? [];
    // Sequence numbers are dense, so the first wanted entry is found by arithmetic.
    const first = entries[0]?.seq ?? 1;
    const start = Math.max(0, after + 1 - first);
    return entries.slice(start, start + limit);
  }

  async head(topic: string): Promise<number> {
    return this.#topics.get(topic)?.head ?? 0;
  }

  /**
   * The retained entries are in memory and an append updates them and notifies subscribers
   * in the same synchronous step: replaying them and registering, both synchronous here,
   * leave no moment for an entry to be missed or handed over twice.
   */
  subscribe(
    topic: string,
    after: number,
    deliver: (notification: StoredNotification) => void,
  ): StoreSubscription {
    let closed = false;
    for (const entry of this.#topics.get(topic)?.entries ?? []) {
      if (entry.seq > after) deliver(entry);
    }
    const live = (entry: StoredNotification) => {
      if (!closed) deliver(entry);
    };
    let subscribers = this.#subscribers.get(topic);
    if (subscribers === undefined) {
      subscribers = new Set();
      this.#subscribers.set(topic, subscribers);
    }
    subscribers.add(live);
    return {
      close: () => {
        closed = true;
        subscribers.delete(live);
        if (subscribers.size === 0 && this.#subscribers.get(topic) === subscribers) {
          this.#subscribers.delete(topic);
        }
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const log of this.#topics.values()) {
      await log.queue;
      await log.file?.close();
      log.file = undefined;
    }
  }
}
