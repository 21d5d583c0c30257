/**
 * The broker for several server processes: state in Redis keys under `prefix`, events on one
 * pub/sub channel. Each step is one or two commands, not a transaction: two users taking the
 * same nickname at the same instant are settled by HSETNX; a crashed process leaves its
 * connection counts behind (acceptable for a demo, noted in the README).
 */

import { RespClient } from '@wskit/app-shared/resp';
import type { ChatMessage, Member, RoomSummary } from '../shared/protocol.js';
import type { AddResult, Broker, BrokerEvent } from './broker.js';

export interface RedisBrokerOptions {
  url: string;
  /** Key and channel prefix. Default `wskit-chat`. */
  prefix?: string;
  initialRooms?: readonly string[];
  /** A lost Redis connection (the client reconnects by itself, see resp.ts). */
  onError?: (error: Error) => void;
  /** A lost Redis connection is back; `which` is `commands` or `subscriber`. */
  onReconnect?: (which: string) => void;
}

export class RedisBroker implements Broker {
  readonly #commands: RespClient;
  readonly #subscriber: RespClient;
  readonly #prefix: string;
  readonly #listeners: Array<(event: BrokerEvent) => void> = [];

  private constructor(commands: RespClient, subscriber: RespClient, prefix: string) {
    this.#commands = commands;
    this.#subscriber = subscriber;
    this.#prefix = prefix;
  }

  static async connect(options: RedisBrokerOptions): Promise<RedisBroker> {
    const prefix = options.prefix ?? 'wskit-chat';
    const commands = await RespClient.connect(options.url);
    const subscriber = await RespClient.connect(options.url);
    const broker = new RedisBroker(commands, subscriber, prefix);
    commands.onError = options.onError;
    subscriber.onError = options.onError;
    commands.onReconnect = () => options.onReconnect?.('commands');
    // The subscriber re-issues its SUBSCRIBE itself; events published meanwhile are lost
    // (Redis pub/sub keeps nothing), history is still in Redis for clients that rejoin.
    subscriber.onReconnect = () => options.onReconnect?.('subscriber');
    subscriber.onMessage = (_channel, payload) => broker.#deliver(payload);
    await subscriber.command('SUBSCRIBE', `${prefix}:events`);
    for (const room of options.initialRooms ?? [])
      await commands.command('SADD', broker.#key('rooms'), room);
    return broker;
  }

  #key(...parts: string[]): string {
    return [this.#prefix, ...parts].join(':');
  }

  #deliver(payload: string): void {
    let event: BrokerEvent;
    try {
      event = JSON.parse(payload) as BrokerEvent;
    } catch {
      return;
    }
    for (const listener of this.#listeners) listener(event);
  }

  async publish(event: BrokerEvent): Promise<void> {
    await this.#commands.command('PUBLISH', this.#key('events'), JSON.stringify(event));
  }

  onEvent(listener: (event: BrokerEvent) => void): void {
    this.#listeners.push(listener);
  }

  async createRoom(room: string): Promise<boolean> {
    return (await this.#commands.command('SADD', this.#key('rooms'), room)) === 1;
  }

  async hasRoom(room: string): Promise<boolean> {
    return (await this.#commands.command('SISMEMBER', this.#key('rooms'), room)) === 1;
  }

  async rooms(): Promise<RoomSummary[]> {
    const names = ((await this.#commands.command('SMEMBERS', this.#key('rooms'))) ??
      []) as string[];
    const counts = await Promise.all(
      names.map((name) => this.#commands.command('HLEN', this.#key('room', name, 'members'))),
    );
    return names
      .map((name, index) => ({ name, online: Number(counts[index] ?? 0) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async nextMessageId(room: string): Promise<number> {
    return Number(await this.#commands.command('INCR', this.#key('room', room, 'sequence')));
  }

  async appendHistory(message: ChatMessage, limit: number): Promise<void> {
    const key = this.#key('room', message.room, 'history');
    await this.#commands.command('RPUSH', key, JSON.stringify(message));
    await this.#commands.command('LTRIM', key, -limit, -1);
  }

  async history(room: string, limit: number): Promise<ChatMessage[]> {
    const key = this.#key('room', room, 'history');
    const items = ((await this.#commands.command('LRANGE', key, -limit, -1)) ?? []) as string[];
    return items.map((item) => JSON.parse(item) as ChatMessage);
  }

  async addConnection(room: string, member: Member): Promise<AddResult> {
    const nicks = this.#key('room', room, 'nicks');
    const members = this.#key('room', room, 'members');
    const current = await this.#commands.command('HGET', members, member.userId);
    if (current !== null && current !== member.nick) return 'taken';
    if ((await this.#commands.command('HSETNX', nicks, member.nick, member.userId)) === 0) {
      const holder = await this.#commands.command('HGET', nicks, member.nick);
      if (holder !== member.userId) return 'taken';
    }
    await this.#commands.command('HSET', members, member.userId, member.nick);
    const count = await this.#commands.command(
      'HINCRBY',
      this.#key('room', room, 'connections'),
      member.userId,
      1,
    );
    return count === 1 ? 'first' : 'again';
  }

  async removeConnection(room: string, member: Member): Promise<boolean> {
    const connections = this.#key('room', room, 'connections');
    const count = Number(await this.#commands.command('HINCRBY', connections, member.userId, -1));
    if (count > 0) return false;
    await this.#commands.command('HDEL', connections, member.userId);
    await this.#commands.command('HDEL', this.#key('room', room, 'members'), member.userId);
    await this.#commands.command('HDEL', this.#key('room', room, 'nicks'), member.nick);
    return count === 0;
  }

  async members(room: string): Promise<Member[]> {
    const flat = ((await this.#commands.command('HGETALL', this.#key('room', room, 'members'))) ??
      []) as string[];
    const result: Member[] = [];
    for (let index = 0; index + 1 < flat.length; index += 2) {
      result.push({ userId: flat[index] as string, nick: flat[index + 1] as string });
    }
    return result.sort((a, b) => a.nick.localeCompare(b.nick));
  }

  async close(): Promise<void> {
    this.#listeners.length = 0;
    await Promise.all([this.#commands.close(), this.#subscriber.close()]);
  }
}
