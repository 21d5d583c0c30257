/**
 * The broker for several server processes: state in Redis keys under `prefix` (an ioredis
 * client), events between processes through an `@wskit/redis` broker on the same connection.
 * Each step is one or two commands, not a transaction: two users taking the same nickname at
 * the same instant are settled by HSETNX; a crashed process leaves its connection counts
 * behind (acceptable for a demo, noted in the README).
 */

import {
  type AppRedis,
  type BrokerChannel,
  connectAppRedis,
  openBrokerChannel,
} from '@wskit/app-shared/redis';
import { createRedisBroker } from '@wskit/redis';
import type { Redis } from 'ioredis';
import type { ChatMessage, Member, RoomSummary } from '../shared/protocol.js';
import type { AddResult, Broker, BrokerEvent } from './broker.js';

export interface RedisBrokerOptions {
  /** `redis://` or `rediss://`. */
  url: string;
  /** Key prefix, and the events' topic. Default `wskit-chat`. */
  prefix?: string;
  initialRooms?: readonly string[];
}

export class RedisBroker implements Broker {
  readonly #redis: AppRedis;
  readonly #commands: Redis;
  readonly #events: BrokerChannel;
  readonly #prefix: string;
  readonly #listeners: Array<(event: BrokerEvent) => void> = [];

  private constructor(redis: AppRedis, prefix: string) {
    this.#redis = redis;
    this.#commands = redis.client;
    this.#prefix = prefix;
    // Events published meanwhile are lost while Redis is down (pub/sub keeps nothing); the
    // history is still in Redis for clients that rejoin.
    this.#events = openBrokerChannel(
      redis.broker,
      this.#key('events'),
      (payload) => this.#deliver(payload),
      (error) => console.error('chat: redis:', error.message),
    );
  }

  static async connect(options: RedisBrokerOptions): Promise<RedisBroker> {
    const prefix = options.prefix ?? 'wskit-chat';
    const redis = await connectAppRedis({
      url: options.url,
      label: 'chat',
      createBroker: createRedisBroker,
    });
    const broker = new RedisBroker(redis, prefix);
    for (const room of options.initialRooms ?? [])
      await broker.#commands.sadd(broker.#key('rooms'), room);
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
    // The broker never sends a process its own publishes back: they are delivered here, after
    // a tick as the in-process broker does, and to the other processes through Redis.
    await Promise.resolve();
    for (const listener of this.#listeners) listener(event);
    await this.#events.publish(JSON.stringify(event));
  }

  onEvent(listener: (event: BrokerEvent) => void): void {
    this.#listeners.push(listener);
  }

  async createRoom(room: string): Promise<boolean> {
    return (await this.#commands.sadd(this.#key('rooms'), room)) === 1;
  }

  async hasRoom(room: string): Promise<boolean> {
    return (await this.#commands.sismember(this.#key('rooms'), room)) === 1;
  }

  async rooms(): Promise<RoomSummary[]> {
    const names = await this.#commands.smembers(this.#key('rooms'));
    const counts = await Promise.all(
      names.map((name) => this.#commands.hlen(this.#key('room', name, 'members'))),
    );
    return names
      .map((name, index) => ({ name, online: Number(counts[index] ?? 0) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async nextMessageId(room: string): Promise<number> {
    return Number(await this.#commands.incr(this.#key('room', room, 'sequence')));
  }

  async appendHistory(message: ChatMessage, limit: number): Promise<void> {
    const key = this.#key('room', message.room, 'history');
    await this.#commands.rpush(key, JSON.stringify(message));
    await this.#commands.ltrim(key, -limit, -1);
  }

  async history(room: string, limit: number): Promise<ChatMessage[]> {
    const key = this.#key('room', room, 'history');
    const items = await this.#commands.lrange(key, -limit, -1);
    return items.map((item) => JSON.parse(item) as ChatMessage);
  }

  async addConnection(room: string, member: Member): Promise<AddResult> {
    const nicks = this.#key('room', room, 'nicks');
    const members = this.#key('room', room, 'members');
    const current = await this.#commands.hget(members, member.userId);
    if (current !== null && current !== member.nick) return 'taken';
    if ((await this.#commands.hsetnx(nicks, member.nick, member.userId)) === 0) {
      const holder = await this.#commands.hget(nicks, member.nick);
      if (holder !== member.userId) return 'taken';
    }
    await this.#commands.hset(members, member.userId, member.nick);
    const count = await this.#commands.hincrby(
      this.#key('room', room, 'connections'),
      member.userId,
      1,
    );
    return count === 1 ? 'first' : 'again';
  }

  async removeConnection(room: string, member: Member): Promise<boolean> {
    const connections = this.#key('room', room, 'connections');
    const count = Number(await this.#commands.hincrby(connections, member.userId, -1));
    if (count > 0) return false;
    await this.#commands.hdel(connections, member.userId);
    await this.#commands.hdel(this.#key('room', room, 'members'), member.userId);
    await this.#commands.hdel(this.#key('room', room, 'nicks'), member.nick);
    return count === 0;
  }

  async members(room: string): Promise<Member[]> {
    const members = await this.#commands.hgetall(this.#key('room', room, 'members'));
    return Object.entries(members)
      .map(([userId, nick]) => ({ userId, nick }))
      .sort((a, b) => a.nick.localeCompare(b.nick));
  }

  async close(): Promise<void> {
    this.#listeners.length = 0;
    await this.#events.close();
    await this.#redis.close();
  }
}
