/**
 * The chat server, written once against the shared hooks (`@wskit/core`): server/node.ts,
 * server/bun.ts and server/deno.ts only wire it to a runtime. Every inbound message is
 * validated (shared/protocol.ts); a bad one gets an `error` reply and the connection lives on.
 */
import { defineHooks, type Hooks, type Peer, type UpgradeRequest } from '@wskit/core';
import {
  type ChatMessage,
  type ClientMessage,
  type ErrorCode,
  encode,
  type Member,
  PROTOCOL_VERSION,
  parseClientMessage,
  type ServerMessage,
} from '../shared/protocol.js';
import type { Broker, BrokerEvent } from './broker.js';

export interface ChatOptions {
  broker: Broker;
  /** Messages kept per room and sent on join. Default 50. */
  historySize?: number;
  /** Largest accepted chat protocol message, in bytes (the transport's limit is above it). 8 KiB. */
  maxMessageSize?: number;
  /** Token bucket per connection: `burst` messages at once, refilled at `perSecond`. 20 / 10. */
  rateLimit?: { burst: number; perSecond: number };
  /** Refused messages in a row after which the connection is closed (1008). Default 50. */
  maxRefusedInARow?: number;
  /** Origins allowed besides the page's own (same-origin is always allowed). */
  allowedOrigins?: readonly string[];
  /** Clock, for tests. */
  now?: () => number;
}

export interface PeerState {
  /** room → the member this connection joined as */
  rooms: Map<string, Member>;
  tokens: number;
  refilledAt: number;
  refusedInARow: number;
}

export interface Chat {
  readonly hooks: Hooks<PeerState>;
  /**
   * Parts every connection from its rooms (presence `leave`), without closing them, and waits
   * for the close hooks still at work (a last `say` being stored and published).
   */
  shutdown(): Promise<void>;
}

export const DEFAULT_HISTORY_SIZE = 50;
export const DEFAULT_MAX_MESSAGE_SIZE = 8 * 1024;

/** True when `origin` is the page's own (the Host, or X-Forwarded-Host behind a proxy). */
export function isSameOrigin(request: UpgradeRequest, origin: string): boolean {
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  const forwarded = request.headers.get('x-forwarded-host');
  const candidates = [request.headers.get('host'), ...(forwarded ? forwarded.split(',') : [])];
  return candidates.some((candidate) => candidate?.trim().toLowerCase() === host.toLowerCase());
}

/** `ALLOWED_ORIGINS=https://a.example,https://b.example` → a list. */
export function parseOriginList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0);
}

export function createChat(options: ChatOptions): Chat {
  const broker = options.broker;
  const historySize = options.historySize ?? DEFAULT_HISTORY_SIZE;
  const maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const rate = options.rateLimit ?? { burst: 20, perSecond: 10 };
  const maxRefused = options.maxRefusedInARow ?? 50;
  const allowed = new Set(options.allowedOrigins ?? []);
  const now = options.now ?? Date.now;
  /** The connections of this process, per room. */
  const local = new Map<string, Set<Peer<PeerState>>>();
  const peers = new Set<Peer<PeerState>>();

  function send(peer: Peer<PeerState>, message: ServerMessage): void {
    if (peer.readyState !== 1) return;
    try {
      peer.send(encode(message));
    } catch {
      // The peer closed between the check and the send: its close hook cleans up.
    }
  }

  function error(peer: Peer<PeerState>, code: ErrorCode, message: string, ref?: string): void {
    const reply: ServerMessage = { v: PROTOCOL_VERSION, type: 'error', code, message };
    if (ref !== undefined) reply.ref = ref;
    send(peer, reply);
  }

  function refuse(peer: Peer<PeerState>, code: ErrorCode, message: string, ref?: string): void {
    error(peer, code, message, ref);
    peer.data.refusedInARow += 1;
    if (peer.data.refusedInARow >= maxRefused) peer.close(1008, 'too many refused messages');
  }

  function takeToken(state: PeerState): boolean {
    const time = now();
    state.tokens = Math.min(
      rate.burst,
      state.tokens + ((time - state.refilledAt) / 1000) * rate.perSecond,
    );
    state.refilledAt = time;
    if (state.tokens < 1) return false;
    state.tokens -= 1;
    return true;
  }

  function roomPeers(room: string): Set<Peer<PeerState>> {
    return local.get(room) ?? new Set();
  }

  broker.onEvent((event: BrokerEvent) => {
    const v = PROTOCOL_VERSION;
    switch (event.kind) {
      case 'message':
        for (const peer of roomPeers(event.message.room))
          send(peer, { v, type: 'message', message: event.message });
        break;
      case 'presence':
        for (const peer of roomPeers(event.room)) {
          if (peer.data.rooms.get(event.room)?.userId === event.member.userId) continue;
          send(peer, {
            v,
            type: 'presence',
            room: event.room,
            event: event.event,
            member: event.member,
          });
        }
        break;
      case 'typing':
        for (const peer of roomPeers(event.room)) {
          if (peer.data.rooms.get(event.room)?.userId === event.member.userId) continue;
          send(peer, {
            v,
            type: 'typing',
            room: event.room,
            nick: event.member.nick,
            typing: event.typing,
          });
        }
        break;
    }
  });

  async function part(peer: Peer<PeerState>, room: string): Promise<void> {
    const member = peer.data.rooms.get(room);
    if (member === undefined) return;
    peer.data.rooms.delete(room);
    const set = local.get(room);
    set?.delete(peer);
    if (set?.size === 0) local.delete(room);
    if (await broker.removeConnection(room, member)) {
      await broker.publish({ kind: 'typing', room, member, typing: false });
      await broker.publish({ kind: 'presence', room, event: 'leave', member });
    }
  }

  async function handle(peer: Peer<PeerState>, message: ClientMessage): Promise<void> {
    const v = PROTOCOL_VERSION;
    switch (message.type) {
      case 'list':
        send(peer, { v, type: 'rooms', rooms: await broker.rooms() });
        return;
      case 'create':
        if (!(await broker.createRoom(message.room))) {
          error(peer, 'room-exists', `room ${message.room} already exists`);
          return;
        }
        send(peer, { v, type: 'created', room: message.room });
        return;
      case 'join': {
        if (!(await broker.hasRoom(message.room))) {
          error(peer, 'no-such-room', `room ${message.room} does not exist`);
          return;
        }
        const member: Member = { userId: message.userId, nick: message.nick };
        const previous = peer.data.rooms.get(message.room);
        if (previous !== undefined) await part(peer, message.room);
        const added = await broker.addConnection(message.room, member);
        if (added === 'taken') {
          error(peer, 'nick-taken', `the nickname ${message.nick} is taken in ${message.room}`);
          return;
        }
        peer.data.rooms.set(message.room, member);
        let set = local.get(message.room);
        if (set === undefined) {
          set = new Set();
          local.set(message.room, set);
        }
        set.add(peer);
        const history = await broker.history(message.room, historySize);
        const lastSeen = message.lastSeen;
        send(peer, {
          v,
          type: 'joined',
          room: message.room,
          nick: message.nick,
          members: await broker.members(message.room),
          history:
            lastSeen === undefined ? history : history.filter((entry) => entry.id > lastSeen),
          replayed: lastSeen !== undefined,
        });
        if (added === 'first') {
          await broker.publish({ kind: 'presence', room: message.room, event: 'join', member });
        }
        return;
      }
      case 'leave':
        if (!peer.data.rooms.has(message.room)) {
          error(peer, 'not-joined', `not in room ${message.room}`);
          return;
        }
        await part(peer, message.room);
        send(peer, { v, type: 'left', room: message.room });
        return;
      case 'say': {
        const member = peer.data.rooms.get(message.room);
        if (member === undefined) {
          error(peer, 'not-joined', `join ${message.room} before writing to it`, message.id);
          return;
        }
        // At-least-once from the page (it resends unacknowledged messages after a reconnect),
        // exactly once in the room: a known (user, id) pair is acknowledged again, not stored.
        const known = (await broker.history(message.room, historySize)).find(
          (entry) => entry.userId === member.userId && entry.ref === message.id,
        );
        if (known !== undefined) {
          send(peer, { v, type: 'ack', id: message.id, room: message.room, messageId: known.id });
          return;
        }
        const chatMessage: ChatMessage = {
          id: await broker.nextMessageId(message.room),
          room: message.room,
          userId: member.userId,
          nick: member.nick,
          text: message.text,
          ref: message.id,
          ts: now(),
        };
        await broker.appendHistory(chatMessage, historySize);
        // Acked once stored, before the fan-out: the sender's page learns the id first and
        // recognises its own message when the broadcast comes back.
        send(peer, {
          v,
          type: 'ack',
          id: message.id,
          room: message.room,
          messageId: chatMessage.id,
        });
        await broker.publish({ kind: 'message', message: chatMessage });
        return;
      }
      case 'typing': {
        const member = peer.data.rooms.get(message.room);
        if (member === undefined) {
          error(peer, 'not-joined', `not in room ${message.room}`);
          return;
        }
        await broker.publish({
          kind: 'typing',
          room: message.room,
          member,
          typing: message.typing,
        });
        return;
      }
    }
  }

  /** The client id of a `say` (small text messages only: parsing is bounded by the size limit). */
  function sayId(message: { byteLength: number; isBinary: boolean; text(): string }) {
    if (message.isBinary || message.byteLength > maxMessageSize) return undefined;
    const parsed = parseClientMessage(message.text());
    return parsed.ok && parsed.value.type === 'say' ? parsed.value.id : undefined;
  }

  /** Close hooks still at work (a `say` being stored, rooms being left). */
  const closing = new Set<Promise<void>>();

  /** One connection's messages are handled in order, even though handling awaits the broker. */
  const queues = new WeakMap<Peer<PeerState>, Promise<void>>();

  const hooks = defineHooks<PeerState>({
    upgrade(request) {
      const origin = request.origin;
      // Browsers always send Origin; a client without one is not a page another site controls.
      if (origin !== undefined && !isSameOrigin(request, origin) && !allowed.has(origin)) {
        return { status: 403, body: 'origin not allowed' };
      }
      return {
        data: { rooms: new Map(), tokens: rate.burst, refilledAt: now(), refusedInARow: 0 },
      };
    },
    open(peer) {
      peers.add(peer);
      send(peer, {
        v: PROTOCOL_VERSION,
        type: 'welcome',
        connectionId: peer.id,
        maxMessageSize,
        historySize,
      });
    },
    message(peer, message) {
      if (!takeToken(peer.data)) {
        // The refused `say`'s id goes back with the error, so the page can mark that message
        // failed (with a retry) instead of leaving it "sending…".
        refuse(peer, 'rate-limited', 'slow down: too many messages', sayId(message));
        return;
      }
      if (message.byteLength > maxMessageSize) {
        refuse(peer, 'too-big', `messages are limited to ${maxMessageSize} bytes`);
        return;
      }
      if (message.isBinary) {
        refuse(peer, 'bad-message', 'binary messages are not part of the protocol');
        return;
      }
      const parsed = parseClientMessage(message.text());
      if (!parsed.ok) {
        refuse(peer, parsed.code, parsed.message);
        return;
      }
      peer.data.refusedInARow = 0;
      const previous = queues.get(peer) ?? Promise.resolve();
      const next = previous.then(() =>
        handle(peer, parsed.value).catch((cause: unknown) => {
          console.error('chat: handling a message failed', cause);
          error(peer, 'internal', 'the server could not handle this message');
        }),
      );
      queues.set(peer, next);
    },
    close(peer) {
      peers.delete(peer);
      const done = (async () => {
        await (queues.get(peer) ?? Promise.resolve());
        for (const room of [...peer.data.rooms.keys()]) {
          await part(peer, room).catch((cause: unknown) =>
            console.error('chat: part failed', cause),
          );
        }
      })();
      // shutdown() waits for it: the broker must stay open until the peer's last `say` is
      // stored and published and its rooms are left.
      closing.add(done);
      return done.finally(() => closing.delete(done));
    },
    error(_peer, cause) {
      console.error('chat: connection error:', cause.message);
    },
  });

  return {
    hooks,
    async shutdown() {
      for (const peer of [...peers]) {
        for (const room of [...peer.data.rooms.keys()]) await part(peer, room).catch(() => {});
      }
      await Promise.all(closing);
    },
  };
}
