/**
 * The push wire protocol, version 1: JSON text messages, each `{ v: 1, type, ... }`. This module
 * is imported by the server and bundled into the page, so both ends validate with the same
 * code. Parsers never throw: they return `{ ok: false, error }` for anything malformed.
 */

export const PROTOCOL_VERSION = 1;

/** Topic names: letters, digits, `.`, `_`, `-`; 1–64 characters, starting alphanumeric. */
export const TOPIC_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_TOPICS_PER_MESSAGE = 32;
export const MAX_TITLE_LENGTH = 200;
export const MAX_BODY_LENGTH = 2_000;
/** Size of `data` once serialized. */
export const MAX_DATA_BYTES = 4_096;

/** What `POST /api/notify` accepts. */
export interface NotificationInput {
  topic: string;
  title: string;
  body: string;
  data?: unknown;
}

/** A notification as stored and delivered: `seq` is per topic, starts at 1, has no gaps. */
export interface StoredNotification extends NotificationInput {
  id: string;
  seq: number;
  /** Accept time, ms since the epoch. */
  time: number;
}

/** A subscription; `after` is the last sequence number the client saw (omit: only new ones). */
export interface TopicCursor {
  topic: string;
  after?: number;
}

export type ClientMessage =
  | { v: 1; type: 'subscribe'; topics: TopicCursor[] }
  | { v: 1; type: 'unsubscribe'; topics: string[] }
  | { v: 1; type: 'ping' };

export type ErrorCode =
  | 'bad_json'
  | 'bad_message'
  | 'unsupported_version'
  | 'too_big'
  | 'rate_limited'
  | 'internal';

export type ServerMessage =
  | { v: 1; type: 'welcome'; limits: { maxMessageBytes: number; messagesPerSecond: number } }
  | { v: 1; type: 'subscribed'; topic: string; head: number }
  | { v: 1; type: 'unsubscribed'; topic: string }
  | ({ v: 1; type: 'notification' } & StoredNotification)
  | { v: 1; type: 'pong' }
  | { v: 1; type: 'error'; code: ErrorCode; message: string };

export type Parsed<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; error: string };

const fail = (code: ErrorCode, error: string): Parsed<never> => ({ ok: false, code, error });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function isTopic(value: unknown): value is string {
  return typeof value === 'string' && TOPIC_PATTERN.test(value);
}

function parseJson(text: string): Parsed<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('bad_json', 'message is not valid JSON');
  }
  if (!isRecord(value)) return fail('bad_message', 'message must be a JSON object');
  if (value.v !== PROTOCOL_VERSION) {
    return fail('unsupported_version', `protocol version must be ${PROTOCOL_VERSION}`);
  }
  if (typeof value.type !== 'string') return fail('bad_message', 'type must be a string');
  return { ok: true, value };
}

/** Validates a message from a browser. */
export function parseClientMessage(text: string): Parsed<ClientMessage> {
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  const message = parsed.value;
  switch (message.type) {
    case 'ping':
      return { ok: true, value: { v: 1, type: 'ping' } };
    case 'subscribe': {
      const topics = message.topics;
      if (!Array.isArray(topics) || topics.length === 0 || topics.length > MAX_TOPICS_PER_MESSAGE) {
        return fail('bad_message', `topics must be an array of 1 to ${MAX_TOPICS_PER_MESSAGE}`);
      }
      const cursors: TopicCursor[] = [];
      for (const entry of topics) {
        if (!isRecord(entry) || !isTopic(entry.topic)) {
          return fail('bad_message', 'each topic must be { topic, after? } with a valid name');
        }
        if (entry.after !== undefined && !isSeq(entry.after)) {
          return fail('bad_message', 'after must be a non-negative integer');
        }
        cursors.push(
          entry.after === undefined
            ? { topic: entry.topic }
            : { topic: entry.topic, after: entry.after },
        );
      }
      return { ok: true, value: { v: 1, type: 'subscribe', topics: cursors } };
    }
    case 'unsubscribe': {
      const topics = message.topics;
      if (
        !Array.isArray(topics) ||
        topics.length > MAX_TOPICS_PER_MESSAGE ||
        !topics.every(isTopic)
      ) {
        return fail('bad_message', 'topics must be an array of valid topic names');
      }
      return { ok: true, value: { v: 1, type: 'unsubscribe', topics: topics as string[] } };
    }
    default:
      return fail('bad_message', 'unknown message type');
  }
}

/** Validates the body of `POST /api/notify` (already parsed JSON). */
export function parseNotificationInput(value: unknown): Parsed<NotificationInput> {
  if (!isRecord(value)) return fail('bad_message', 'body must be a JSON object');
  const { topic, title, body, data } = value;
  if (!isTopic(topic)) return fail('bad_message', `topic must match ${TOPIC_PATTERN.source}`);
  if (typeof title !== 'string' || title.length === 0 || title.length > MAX_TITLE_LENGTH) {
    return fail('bad_message', `title must be a string of 1 to ${MAX_TITLE_LENGTH} characters`);
  }
  if (body !== undefined && (typeof body !== 'string' || body.length > MAX_BODY_LENGTH)) {
    return fail('bad_message', `body must be a string of at most ${MAX_BODY_LENGTH} characters`);
  }
  if (
    data !== undefined &&
    new TextEncoder().encode(JSON.stringify(data)).length > MAX_DATA_BYTES
  ) {
    return fail('too_big', `data must serialize to at most ${MAX_DATA_BYTES} bytes`);
  }
  const input: NotificationInput = { topic, title, body: body ?? '' };
  if (data !== undefined) input.data = data;
  return { ok: true, value: input };
}

function isStoredNotification(value: Record<string, unknown>): boolean {
  return (
    typeof value.id === 'string' &&
    isSeq(value.seq) &&
    (value.seq as number) >= 1 &&
    typeof value.time === 'number' &&
    isTopic(value.topic) &&
    typeof value.title === 'string' &&
    typeof value.body === 'string'
  );
}

/** Validates a message from the server (the page does this before rendering anything). */
export function parseServerMessage(text: string): Parsed<ServerMessage> {
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  const message = parsed.value;
  switch (message.type) {
    case 'notification':
      return isStoredNotification(message)
        ? { ok: true, value: message as unknown as ServerMessage }
        : fail('bad_message', 'malformed notification');
    case 'subscribed':
      return isTopic(message.topic) && isSeq(message.head)
        ? { ok: true, value: message as unknown as ServerMessage }
        : fail('bad_message', 'malformed subscribed');
    case 'unsubscribed':
      return isTopic(message.topic)
        ? { ok: true, value: message as unknown as ServerMessage }
        : fail('bad_message', 'malformed unsubscribed');
    case 'error':
      return typeof message.code === 'string' && typeof message.message === 'string'
        ? { ok: true, value: message as unknown as ServerMessage }
        : fail('bad_message', 'malformed error');
    case 'welcome':
    case 'pong':
      return { ok: true, value: message as unknown as ServerMessage };
    default:
      return fail('bad_message', 'unknown message type');
  }
}

export function encode(message: ServerMessage | ClientMessage): string {
  return JSON.stringify(message);
}
