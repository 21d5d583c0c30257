/**
 * The push wire protocol, version 1: JSON text messages, each `{ v: 1, type, ... }`, described
 * with valibot schemas. This module is imported by the server and bundled into the page, so
 * both ends validate with the same schemas. Parsers never throw: they return
 * `{ ok: false, code, error }` for anything malformed.
 */
import * as v from 'valibot';

export const PROTOCOL_VERSION = 1;

/** Topic names: letters, digits, `.`, `_`, `-`; 1–64 characters, starting alphanumeric. */
export const TOPIC_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_TOPICS_PER_MESSAGE = 32;
export const MAX_TITLE_LENGTH = 200;
export const MAX_BODY_LENGTH = 2_000;
/** Size of `data` once serialized. */
export const MAX_DATA_BYTES = 4_096;

const Topic = v.pipe(
  v.string(),
  v.regex(TOPIC_PATTERN, `topic must match ${TOPIC_PATTERN.source}`),
);
const Seq = v.pipe(
  v.number(),
  v.safeInteger('must be a non-negative integer'),
  v.minValue(0, 'must be a non-negative integer'),
);
const Title = v.pipe(
  v.string(),
  v.minLength(1, `title must be 1 to ${MAX_TITLE_LENGTH} characters`),
  v.maxLength(MAX_TITLE_LENGTH, `title must be 1 to ${MAX_TITLE_LENGTH} characters`),
);
const Body = v.pipe(
  v.string(),
  v.maxLength(MAX_BODY_LENGTH, `body must be at most ${MAX_BODY_LENGTH} characters`),
);

const TopicCursorSchema = v.object({ topic: Topic, after: v.optional(Seq) });

const ClientMessageSchema = v.variant('type', [
  v.object({ v: v.literal(1), type: v.literal('ping') }),
  v.object({
    v: v.literal(1),
    type: v.literal('subscribe'),
    topics: v.pipe(
      v.array(TopicCursorSchema),
      v.minLength(1, `topics must hold 1 to ${MAX_TOPICS_PER_MESSAGE} entries`),
      v.maxLength(
        MAX_TOPICS_PER_MESSAGE,
        `topics must hold 1 to ${MAX_TOPICS_PER_MESSAGE} entries`,
      ),
    ),
  }),
  v.object({
    v: v.literal(1),
    type: v.literal('unsubscribe'),
    topics: v.pipe(v.array(Topic), v.maxLength(MAX_TOPICS_PER_MESSAGE)),
  }),
]);

const NotificationInputSchema = v.object({
  topic: Topic,
  title: Title,
  body: v.optional(Body, ''),
  data: v.optional(v.unknown()),
});

const StoredNotificationSchema = v.object({
  id: v.string(),
  seq: v.pipe(Seq, v.minValue(1)),
  time: v.number(),
  topic: Topic,
  title: v.string(),
  body: v.string(),
  data: v.optional(v.unknown()),
});

const ERROR_CODES = [
  'bad_json',
  'bad_message',
  'unsupported_version',
  'too_big',
  'rate_limited',
  'internal',
] as const;

const ServerMessageSchema = v.variant('type', [
  v.object({
    v: v.literal(1),
    type: v.literal('welcome'),
    limits: v.object({ maxMessageBytes: v.number(), messagesPerSecond: v.number() }),
  }),
  v.object({ v: v.literal(1), type: v.literal('subscribed'), topic: Topic, head: Seq }),
  v.object({ v: v.literal(1), type: v.literal('unsubscribed'), topic: Topic }),
  v.object({
    v: v.literal(1),
    type: v.literal('notification'),
    ...StoredNotificationSchema.entries,
  }),
  v.object({ v: v.literal(1), type: v.literal('pong') }),
  v.object({
    v: v.literal(1),
    type: v.literal('error'),
    code: v.picklist(ERROR_CODES),
    message: v.string(),
  }),
]);

/** The body of `GET /api/topics/:topic/notifications`. */
const HistoryPageSchema = v.object({
  topic: Topic,
  head: Seq,
  notifications: v.array(StoredNotificationSchema),
});

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
export type TopicCursor = v.InferOutput<typeof TopicCursorSchema>;
export type ClientMessage = v.InferOutput<typeof ClientMessageSchema>;
export type ServerMessage = v.InferOutput<typeof ServerMessageSchema>;
export type ErrorCode = (typeof ERROR_CODES)[number];
export type HistoryPage = v.InferOutput<typeof HistoryPageSchema>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; error: string };

const fail = (code: ErrorCode, error: string): Parsed<never> => ({ ok: false, code, error });

export function isTopic(value: unknown): value is string {
  return typeof value === 'string' && TOPIC_PATTERN.test(value);
}

/** The first issue as one line: `topics.0.after: must be a non-negative integer`. */
function describe(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (issue === undefined) return 'invalid';
  const path = v.getDotPath(issue);
  return path === null ? issue.message : `${path}: ${issue.message}`;
}

function validate<T>(
  schema: v.GenericSchema<unknown, T>,
  value: unknown,
  code: ErrorCode = 'bad_message',
): Parsed<T> {
  const result = v.safeParse(schema, value);
  return result.success ? { ok: true, value: result.output } : fail(code, describe(result.issues));
}

/** JSON, an object, version 1, a string `type`: checked before the message's own schema. */
function parseEnvelope(text: string): Parsed<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('bad_json', 'message is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('bad_message', 'message must be a JSON object');
  }
  const object = value as Record<string, unknown>;
  if (object.v !== PROTOCOL_VERSION) {
    return fail('unsupported_version', `protocol version must be ${PROTOCOL_VERSION}`);
  }
  if (typeof object.type !== 'string') return fail('bad_message', 'type must be a string');
  return { ok: true, value: object };
}

/** Validates a message from a browser. */
export function parseClientMessage(text: string): Parsed<ClientMessage> {
  const envelope = parseEnvelope(text);
  return envelope.ok ? validate(ClientMessageSchema, envelope.value) : envelope;
}

/** Validates the body of `POST /api/notify` (already parsed JSON). */
export function parseNotificationInput(value: unknown): Parsed<NotificationInput> {
  const parsed = validate(NotificationInputSchema, value);
  if (!parsed.ok) return parsed;
  const input: NotificationInput = { ...parsed.value };
  if (input.data === undefined) delete input.data;
  else if (new TextEncoder().encode(JSON.stringify(input.data)).length > MAX_DATA_BYTES) {
    return fail('too_big', `data must serialize to at most ${MAX_DATA_BYTES} bytes`);
  }
  return { ok: true, value: input };
}

/** Validates a message from the server (the page does this before rendering anything). */
export function parseServerMessage(text: string): Parsed<ServerMessage> {
  const envelope = parseEnvelope(text);
  return envelope.ok ? validate(ServerMessageSchema, envelope.value) : envelope;
}

/** Validates a history page (`GET /api/topics/:topic/notifications`, already parsed JSON). */
export function parseHistoryPage(value: unknown): Parsed<HistoryPage> {
  return validate(HistoryPageSchema, value);
}

export function encode(message: ServerMessage | ClientMessage): string {
  return JSON.stringify(message);
}
