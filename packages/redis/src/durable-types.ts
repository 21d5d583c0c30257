/** One message of a durable topic, as a subscriber gets it. */
export interface DurableMessage {
  readonly topic: string;
  /** Its place in the topic's log: 1, 2, 3... assigned by Redis, never reused. */
  readonly seq: number;
  /** As published: text as a string, binary as a `Uint8Array`. */
  readonly data: string | Uint8Array;
  /** Redis's clock at the publish, in ms since the epoch. */
  readonly time: number;
}

/**
 * Messages a subscriber will never get, said before the next delivery:
 * - `trimmed`: `from`..`to` (inclusive) were dropped by retention (or deleted) before this
 *   subscriber read them.
 * - `reset`: the log's head is below `after`, the position the subscriber had: the topic's
 *   log was lost (a Redis without persistence restarted, the key was deleted). Delivery goes
 *   on from the start of the new log, whose sequence numbers begin again at 1.
 */
export type DurableGap =
  | { readonly topic: string; readonly kind: 'trimmed'; readonly from: number; readonly to: number }
  | {
      readonly topic: string;
      readonly kind: 'reset';
      readonly after: number;
      readonly head: number;
    };

/** What {@link DurableTopics.subscribe} calls. Neither may throw (a throw is reported). */
export interface DurableSubscriber {
  /** Every message once, in seq order: replayed ones first, then live ones. */
  message(message: DurableMessage): void;
  /** Messages that will never be delivered. Without this handler each gap goes to `onError`. */
  gap?(gap: DurableGap): void;
}

/** The log as a subscription sees it (the Redis side lives in durable.ts). */
export interface DurableLogReader {
  readonly pageSize: number;
  readonly retryMs: number;
  /** The head and up to `pageSize` entries after `after`. */
  read(
    topic: string,
    after: number,
    headOnly: boolean,
  ): Promise<{ head: number; entries: DurableMessage[] }>;
  reportError(error: Error): void;
}
