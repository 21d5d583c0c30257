/**
 * The chat's wire protocol, version 1: JSON text messages, each an object with `v` and `type`.
 * Validated with valibot schemas shared by the server and the page: `parseClientMessage` and
 * `parseServerMessage` never throw; they return the typed message or the reason it was refused.
 * The TypeScript types below are the contract; the schemas are checked against them at
 * compile time (`satisfies`), so the two cannot drift apart.
 */
import * as v from 'valibot';

export const PROTOCOL_VERSION = 1;

export const LIMITS = {
  roomName: 32,
  nick: 24,
  userId: 64,
  clientMessageId: 64,
  text: 2000,
} as const;

/** Room names and nicknames: letters, digits, space, `-`, `_`, `.`; trimmed, not empty. */
const NAME_PATTERN = /^[\p{L}\p{N}_.\- ]+$/u;

export interface ChatMessage {
  /** Server-assigned, increasing per room. */
  readonly id: number;
  readonly room: string;
  readonly userId: string;
  readonly nick: string;
  readonly text: string;
  /** The sender's id for it (`say.id`): a resend with the same id is acknowledged, not repeated. */
  readonly ref: string;
  /** Milliseconds since the epoch, server clock. */
  readonly ts: number;
}

export interface RoomSummary {
  readonly name: string;
  readonly online: number;
}

export interface Member {
  readonly userId: string;
  readonly nick: string;
}

// Client → server ---------------------------------------------------------------------------

export type ClientMessage =
  | { v: 1; type: 'list' }
  | { v: 1; type: 'create'; room: string }
  /** `lastSeen`: the last message id this tab saw in the room; the server replays after it. */
  | { v: 1; type: 'join'; room: string; nick: string; userId: string; lastSeen?: number }
  | { v: 1; type: 'leave'; room: string }
  /** `id`: the client's id for the message, echoed in the server's ack. */
  | { v: 1; type: 'say'; room: string; id: string; text: string }
  | { v: 1; type: 'typing'; room: string; typing: boolean };

export type ClientMessageType = ClientMessage['type'];

// Server → client ---------------------------------------------------------------------------

export type ErrorCode =
  | 'bad-json'
  | 'bad-message'
  | 'unsupported-version'
  | 'too-big'
  | 'rate-limited'
  | 'room-exists'
  | 'no-such-room'
  | 'nick-taken'
  | 'not-joined'
  | 'internal';

export type ServerMessage =
  | { v: 1; type: 'welcome'; connectionId: string; maxMessageSize: number; historySize: number }
  | { v: 1; type: 'rooms'; rooms: RoomSummary[] }
  | { v: 1; type: 'created'; room: string }
  /** `history`: the last messages, or those after the client's `lastSeen` (`replayed: true`). */
  | {
      v: 1;
      type: 'joined';
      room: string;
      nick: string;
      members: Member[];
      history: ChatMessage[];
      replayed: boolean;
    }
  | { v: 1; type: 'left'; room: string }
  | { v: 1; type: 'message'; message: ChatMessage }
  | { v: 1; type: 'ack'; id: string; room: string; messageId: number }
  | { v: 1; type: 'presence'; room: string; event: 'join' | 'leave'; member: Member }
  | { v: 1; type: 'typing'; room: string; nick: string; typing: boolean }
  | { v: 1; type: 'error'; code: ErrorCode; message: string; ref?: string };

export type ServerMessageType = ServerMessage['type'];

export type Parsed<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string };

// Schemas -----------------------------------------------------------------------------------

const bounded = (key: string, max: number) =>
  v.pipe(
    v.string(`${key} must be a string`),
    v.minLength(1, `${key} must not be empty`),
    v.maxLength(max, `${key} is longer than ${max} characters`),
  );

/** Room names and nicknames: trimmed, from NAME_PATTERN. */
const name = (key: string, max: number) =>
  v.pipe(
    bounded(key, max),
    v.check((value) => value.trim() === value, `${key} must not start or end with spaces`),
    v.regex(NAME_PATTERN, `${key} may hold letters, digits, spaces, '-', '_', '.'`),
  );

const count = (key: string) =>
  v.pipe(
    v.number(`${key} must be a non-negative integer`),
    v.safeInteger(`${key} must be a non-negative integer`),
    v.minValue(0, `${key} must be a non-negative integer`),
  );

const flag = (key: string) => v.boolean(`${key} must be a boolean`);
const version = v.literal(PROTOCOL_VERSION);
const room = name('room', LIMITS.roomName);

const clientSchemas = {
  list: v.object({ v: version, type: v.literal('list') }),
  create: v.object({ v: version, type: v.literal('create'), room }),
  join: v.object({
    v: version,
    type: v.literal('join'),
    room,
    nick: name('nick', LIMITS.nick),
    userId: bounded('userId', LIMITS.userId),
    lastSeen: v.optional(count('lastSeen')),
  }),
  leave: v.object({ v: version, type: v.literal('leave'), room }),
  say: v.object({
    v: version,
    type: v.literal('say'),
    room,
    id: bounded('id', LIMITS.clientMessageId),
    text: v.pipe(
      bounded('text', LIMITS.text),
      v.check((value) => value.trim().length > 0, 'text must not be blank'),
    ),
  }),
  typing: v.object({ v: version, type: v.literal('typing'), room, typing: flag('typing') }),
} satisfies {
  [K in ClientMessageType]: v.GenericSchema<unknown, Extract<ClientMessage, { type: K }>>;
};

const memberSchema = v.object({
  userId: bounded('userId', LIMITS.userId),
  nick: bounded('nick', 256),
});

const chatMessageSchema = v.object({
  id: count('id'),
  room: bounded('room', 256),
  userId: bounded('userId', LIMITS.userId),
  nick: bounded('nick', 256),
  text: bounded('text', LIMITS.text),
  ref: bounded('ref', LIMITS.clientMessageId),
  ts: count('ts'),
});

const ERROR_CODES = [
  'bad-json',
  'bad-message',
  'unsupported-version',
  'too-big',
  'rate-limited',
  'room-exists',
  'no-such-room',
  'nick-taken',
  'not-joined',
  'internal',
] as const satisfies readonly ErrorCode[];

const serverSchemas = {
  welcome: v.object({
    v: version,
    type: v.literal('welcome'),
    connectionId: bounded('connectionId', 256),
    maxMessageSize: count('maxMessageSize'),
    historySize: count('historySize'),
  }),
  rooms: v.object({
    v: version,
    type: v.literal('rooms'),
    rooms: v.array(v.object({ name: bounded('name', 256), online: count('online') })),
  }),
  created: v.object({ v: version, type: v.literal('created'), room: bounded('room', 256) }),
  joined: v.object({
    v: version,
    type: v.literal('joined'),
    room: bounded('room', 256),
    nick: bounded('nick', 256),
    members: v.array(memberSchema),
    history: v.array(chatMessageSchema),
    replayed: flag('replayed'),
  }),
  left: v.object({ v: version, type: v.literal('left'), room: bounded('room', 256) }),
  message: v.object({ v: version, type: v.literal('message'), message: chatMessageSchema }),
  ack: v.object({
    v: version,
    type: v.literal('ack'),
    id: bounded('id', LIMITS.clientMessageId),
    room: bounded('room', 256),
    messageId: count('messageId'),
  }),
  presence: v.object({
    v: version,
    type: v.literal('presence'),
    room: bounded('room', 256),
    event: v.picklist(['join', 'leave'], 'event must be one of join, leave'),
    member: memberSchema,
  }),
  typing: v.object({
    v: version,
    type: v.literal('typing'),
    room: bounded('room', 256),
    nick: bounded('nick', 256),
    typing: flag('typing'),
  }),
  error: v.object({
    v: version,
    type: v.literal('error'),
    code: v.picklist(ERROR_CODES, `code must be one of ${ERROR_CODES.join(', ')}`),
    message: bounded('message', 1000),
    ref: v.optional(bounded('ref', LIMITS.clientMessageId)),
  }),
} satisfies {
  [K in ServerMessageType]: v.GenericSchema<unknown, Extract<ServerMessage, { type: K }>>;
};

// Parsing -----------------------------------------------------------------------------------

type Fields = Record<string, unknown>;

/** Decodes JSON and checks the envelope (`v`, `type`); the message's schema checks the rest. */
function envelope(data: string): Parsed<Fields> {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { ok: false, code: 'bad-json', message: 'the message is not valid JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, code: 'bad-message', message: 'the message must be a JSON object' };
  }
  const object = json as Fields;
  if (object.v !== PROTOCOL_VERSION) {
    return {
      ok: false,
      code: 'unsupported-version',
      message: `unsupported protocol version ${JSON.stringify(object.v) ?? 'undefined'}; this server speaks ${PROTOCOL_VERSION}`,
    };
  }
  if (typeof object.type !== 'string') {
    return { ok: false, code: 'bad-message', message: 'type must be a string' };
  }
  return { ok: true, value: object };
}

function parseWith<T>(
  schemas: Record<string, v.GenericSchema<unknown, T>>,
  data: string,
): Parsed<T> {
  const checked = envelope(data);
  if (!checked.ok) return checked;
  const type = checked.value.type as string;
  // Own keys only: `__proto__` or `toString` are not message types.
  const schema = Object.hasOwn(schemas, type) ? schemas[type] : undefined;
  if (schema === undefined) {
    return {
      ok: false,
      code: 'bad-message',
      message: `unknown message type ${JSON.stringify(type)}`,
    };
  }
  const result = v.safeParse(schema, checked.value);
  if (result.success) return { ok: true, value: result.output };
  const issue = result.issues[0];
  const path = v.getDotPath(issue);
  // A field's own message names it; a nested one gets its path (`history.0.id: …`).
  const where = path?.includes('.') ? `${path}: ` : '';
  return { ok: false, code: 'bad-message', message: `${where}${issue.message}` };
}

export function parseClientMessage(data: string): Parsed<ClientMessage> {
  return parseWith<ClientMessage>(clientSchemas, data);
}

export function parseServerMessage(data: string): Parsed<ServerMessage> {
  return parseWith<ServerMessage>(serverSchemas, data);
}

/** Serialises a message (a typed `JSON.stringify`). */
export function encode(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}
