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
  /**
   * Hands `deliver` the notifications of `topic` with `seq > after`, each once and in order:
   * the stored ones first, then each new one as it is appended, by this process or (Redis)
   * any other sharing the store. Notifications dropped by retention before they were read are
   * skipped; the jump in `seq` shows it to the page.
   */
  subscribe(
    topic: string,
    after: number,
    deliver: (notification: StoredNotification) => void,
  ): StoreSubscription;
  close(): Promise<void>;
}

/** From `NotificationStore.subscribe`: `close()` stops the deliveries at once. */
export interface StoreSubscription {
  close(): void;
}

/** Retention: notifications kept per topic; older ones can no longer be replayed. */
export const DEFAULT_MAX_PER_TOPIC = 1_000;

export function newId(): string {
  return globalThis.crypto.randomUUID();
}
