/**
 * Where the chat's shared state lives and how events reach every server process. The
 * in-process broker serves one process; `RedisBroker` (server/redis-broker.ts) lets several
 * processes share rooms, history and presence through one Redis.
 */
import type { ChatMessage, Member, RoomSummary } from '../shared/protocol.js';
import type { Journal, Restored } from './file-journal.js';

/** What one process tells all of them (itself included). */
export type BrokerEvent =
  | { kind: 'message'; message: ChatMessage }
  | { kind: 'presence'; room: string; event: 'join' | 'leave'; member: Member }
  | { kind: 'typing'; room: string; member: Member; typing: boolean };

/** `taken`: another user holds the nickname; `first`: the user's first connection in the room. */
export type AddResult = 'taken' | 'first' | 'again';

export interface Broker {
  publish(event: BrokerEvent): Promise<void>;
  /** Every event published by any process, in publication order per process. */
  onEvent(listener: (event: BrokerEvent) => void): void;
  /** False when the room already exists. */
  createRoom(room: string): Promise<boolean>;
  hasRoom(room: string): Promise<boolean>;
  rooms(): Promise<RoomSummary[]>;
  nextMessageId(room: string): Promise<number>;
  /** Appends and keeps the last `limit` messages. */
  appendHistory(message: ChatMessage, limit: number): Promise<void>;
  /** The last `limit` messages, oldest first. */
  history(room: string, limit: number): Promise<ChatMessage[]>;
  /** Counts one more connection (a tab) of `member` in `room`. */
  addConnection(room: string, member: Member): Promise<AddResult>;
  /** Counts one connection less; true when it was the member's last one in the room. */
  removeConnection(room: string, member: Member): Promise<boolean>;
  members(room: string): Promise<Member[]>;
  close(): Promise<void>;
}

interface RoomState {
  sequence: number;
  history: ChatMessage[];
  /** nickname → userId */
  nicks: Map<string, string>;
  /** userId → member and open connections */
  members: Map<string, { member: Member; connections: number }>;
}

/**
 * One process. State lives in memory; with a journal (server/file-journal.ts) rooms and
 * history are also written to disk and restored at start, so they survive a restart.
 */
export class InProcessBroker implements Broker {
  readonly #rooms = new Map<string, RoomState>();
  readonly #listeners: Array<(event: BrokerEvent) => void> = [];
  readonly #journal: Journal | undefined;

  constructor(
    initialRooms: readonly string[] = [],
    persistence?: { journal: Journal; restored: Restored },
  ) {
    this.#journal = persistence?.journal;
    for (const room of persistence?.restored.rooms ?? []) this.#room(room);
    for (const message of persistence?.restored.messages ?? []) {
      const state = this.#room(message.room);
      state.history.push(message);
      state.sequence = Math.max(state.sequence, message.id);
    }
    for (const room of initialRooms) this.#room(room);
  }

  #room(room: string): RoomState {
    let state = this.#rooms.get(room);
    if (state === undefined) {
      state = { sequence: 0, history: [], nicks: new Map(), members: new Map() };
      this.#rooms.set(room, state);
    }
    return state;
  }

  async publish(event: BrokerEvent): Promise<void> {
    // Asynchronous, as a network broker would be: no listener runs inside the publisher's call.
    await Promise.resolve();
    for (const listener of this.#listeners) listener(event);
  }

  onEvent(listener: (event: BrokerEvent) => void): void {
    this.#listeners.push(listener);
  }

  async createRoom(room: string): Promise<boolean> {
    if (this.#rooms.has(room)) return false;
    this.#room(room);
    await this.#journal?.record({ kind: 'room', name: room });
    return true;
  }

  async hasRoom(room: string): Promise<boolean> {
    return this.#rooms.has(room);
  }

  async rooms(): Promise<RoomSummary[]> {
    return [...this.#rooms]
      .map(([name, state]) => ({ name, online: state.members.size }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async nextMessageId(room: string): Promise<number> {
    const state = this.#room(room);
    state.sequence += 1;
    return state.sequence;
  }

  async appendHistory(message: ChatMessage, limit: number): Promise<void> {
    await this.#journal?.record({ kind: 'message', message });
    const history = this.#room(message.room).history;
    history.push(message);
    if (history.length > limit) history.splice(0, history.length - limit);
  }

  async history(room: string, limit: number): Promise<ChatMessage[]> {
    return this.#room(room).history.slice(-limit);
  }

  async addConnection(room: string, member: Member): Promise<AddResult> {
    const state = this.#room(room);
    const holder = state.nicks.get(member.nick);
    if (holder !== undefined && holder !== member.userId) return 'taken';
    const entry = state.members.get(member.userId);
    if (entry !== undefined && entry.member.nick !== member.nick) return 'taken';
    state.nicks.set(member.nick, member.userId);
    if (entry !== undefined) {
      entry.connections += 1;
      return 'again';
    }
    state.members.set(member.userId, { member, connections: 1 });
    return 'first';
  }

  async removeConnection(room: string, member: Member): Promise<boolean> {
    const state = this.#rooms.get(room);
    const entry = state?.members.get(member.userId);
    if (state === undefined || entry === undefined) return false;
    entry.connections -= 1;
    if (entry.connections > 0) return false;
    state.members.delete(member.userId);
    state.nicks.delete(entry.member.nick);
    return true;
  }

  async members(room: string): Promise<Member[]> {
    return [...(this.#rooms.get(room)?.members.values() ?? [])].map((entry) => entry.member);
  }

  async close(): Promise<void> {
    this.#listeners.length = 0;
    await this.#journal?.close();
  }
}
