/**
 * The chat's wire protocol, version 1: JSON text messages, each an object with `v` and `type`.
 * Hand-written validators, shared by the server and the page: `parseClientMessage` and
 * `parseServerMessage` never throw; they return the typed message or the reason it was refused.
 */

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

// Field checks ------------------------------------------------------------------------------

type Fields = Record<string, unknown>;

class Invalid extends Error {}

function fail(message: string): never {
  throw new Invalid(message);
}

function string(object: Fields, key: string, max: number): string {
  const value = object[key];
  if (typeof value !== 'string') fail(`${key} must be a string`);
  if (value.length === 0) fail(`${key} must not be empty`);
  if (value.length > max) fail(`${key} is longer than ${max} characters`);
  return value;
}

function name(object: Fields, key: string, max: number): string {
  const value = string(object, key, max);
  if (value.trim() !== value) fail(`${key} must not start or end with spaces`);
  if (!NAME_PATTERN.test(value)) fail(`${key} may hold letters, digits, spaces, '-', '_', '.'`);
  return value;
}

function text(object: Fields, key: string, max: number): string {
  const value = string(object, key, max);
  if (value.trim().length === 0) fail(`${key} must not be blank`);
  return value;
}

function integer(object: Fields, key: string): number {
  const value = object[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(`${key} must be a non-negative integer`);
  }
  return value;
}

function boolean(object: Fields, key: string): boolean {
  const value = object[key];
  if (typeof value !== 'boolean') fail(`${key} must be a boolean`);
  return value;
}

function array<T>(object: Fields, key: string, item: (value: Fields) => T): T[] {
  const value = object[key];
  if (!Array.isArray(value)) fail(`${key} must be an array`);
  return value.map((entry) => item(record(entry, key)));
}

function record(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`${what} must be an object`);
  }
  return value as Fields;
}

function oneOf<T extends string>(object: Fields, key: string, values: readonly T[]): T {
  const value = object[key];
  if (typeof value !== 'string' || !values.includes(value as T)) {
    fail(`${key} must be one of ${values.join(', ')}`);
  }
  return value as T;
}

/** Decodes JSON and checks the envelope (`v`, `type`); the caller checks the body. */
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

function run<T>(data: string, body: (object: Fields, type: string) => T): Parsed<T> {
  const checked = envelope(data);
  if (!checked.ok) return checked;
  try {
    return { ok: true, value: body(checked.value, checked.value.type as string) };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, code: 'bad-message', message: error.message };
    throw error;
  }
}

// Client messages ---------------------------------------------------------------------------

export function parseClientMessage(data: string): Parsed<ClientMessage> {
  return run(data, (object, type): ClientMessage => {
    const v = PROTOCOL_VERSION;
    switch (type) {
      case 'list':
        return { v, type };
      case 'create':
      case 'leave':
        return { v, type, room: name(object, 'room', LIMITS.roomName) };
      case 'join': {
        const message: ClientMessage = {
          v,
          type,
          room: name(object, 'room', LIMITS.roomName),
          nick: name(object, 'nick', LIMITS.nick),
          userId: string(object, 'userId', LIMITS.userId),
        };
        if (object.lastSeen !== undefined) message.lastSeen = integer(object, 'lastSeen');
        return message;
      }
      case 'say':
        return {
          v,
          type,
          room: name(object, 'room', LIMITS.roomName),
          id: string(object, 'id', LIMITS.clientMessageId),
          text: text(object, 'text', LIMITS.text),
        };
      case 'typing':
        return {
          v,
          type,
          room: name(object, 'room', LIMITS.roomName),
          typing: boolean(object, 'typing'),
        };
      default:
        return fail(`unknown message type ${JSON.stringify(type)}`);
    }
  });
}

// Server messages ---------------------------------------------------------------------------

function member(object: Fields): Member {
  return { userId: string(object, 'userId', LIMITS.userId), nick: string(object, 'nick', 256) };
}

function chatMessage(object: Fields): ChatMessage {
  return {
    id: integer(object, 'id'),
    room: string(object, 'room', 256),
    userId: string(object, 'userId', LIMITS.userId),
    nick: string(object, 'nick', 256),
    text: string(object, 'text', LIMITS.text),
    ref: string(object, 'ref', LIMITS.clientMessageId),
    ts: integer(object, 'ts'),
  };
}

const ERROR_CODES: readonly ErrorCode[] = [
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
];

export function parseServerMessage(data: string): Parsed<ServerMessage> {
  return run(data, (object, type): ServerMessage => {
    const v = PROTOCOL_VERSION;
    switch (type) {
      case 'welcome':
        return {
          v,
          type,
          connectionId: string(object, 'connectionId', 256),
          maxMessageSize: integer(object, 'maxMessageSize'),
          historySize: integer(object, 'historySize'),
        };
      case 'rooms':
        return {
          v,
          type,
          rooms: array(object, 'rooms', (room) => ({
            name: string(room, 'name', 256),
            online: integer(room, 'online'),
          })),
        };
      case 'created':
      case 'left':
        return { v, type, room: string(object, 'room', 256) };
      case 'joined':
        return {
          v,
          type,
          room: string(object, 'room', 256),
          nick: string(object, 'nick', 256),
          members: array(object, 'members', member),
          history: array(object, 'history', chatMessage),
          replayed: boolean(object, 'replayed'),
        };
      case 'message':
        return { v, type, message: chatMessage(record(object.message, 'message')) };
      case 'ack':
        return {
          v,
          type,
          id: string(object, 'id', LIMITS.clientMessageId),
          room: string(object, 'room', 256),
          messageId: integer(object, 'messageId'),
        };
      case 'presence':
        return {
          v,
          type,
          room: string(object, 'room', 256),
          event: oneOf(object, 'event', ['join', 'leave'] as const),
          member: member(record(object.member, 'member')),
        };
      case 'typing':
        return {
          v,
          type,
          room: string(object, 'room', 256),
          nick: string(object, 'nick', 256),
          typing: boolean(object, 'typing'),
        };
      case 'error': {
        const message: ServerMessage = {
          v,
          type,
          code: oneOf(object, 'code', ERROR_CODES),
          message: string(object, 'message', 1000),
        };
        if (object.ref !== undefined) message.ref = string(object, 'ref', LIMITS.clientMessageId);
        return message;
      }
      default:
        return fail(`unknown message type ${JSON.stringify(type)}`);
    }
  });
}

/** Serialises a message (a typed `JSON.stringify`). */
export function encode(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}
