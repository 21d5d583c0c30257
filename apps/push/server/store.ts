import type { NotificationInput, StoredNotification } from '../shared/schema.js';

/**
 * Where accepted notifications live. `append` resolves only once the notification is durable
 * (fsync'd, or acknowledged by Redis) and has its per-topic sequence number; the HTTP 202 is
 * sent after that, so an acknowledged notification survives a restart.
 */
export interface NotificationStore {
  append(input: NotificationInput): Promise<StoredNotification>;
  /** Up to `limit` notifications of `topic` with `seq > after`, in order. */
  readAfter(topic: string, after: number, limit: number): Promise<StoredNotification[]>;
  /** The highest sequence number of `topic` (0 if none). */
  head(topic: string): Promise<number>;
  close(): Promise<void>;
}

/** Retention: notifications kept per topic; older ones can no longer be replayed. */
export const DEFAULT_MAX_PER_TOPIC = 1_000;

export function newId(): string {
  return globalThis.crypto.randomUUID();
}
