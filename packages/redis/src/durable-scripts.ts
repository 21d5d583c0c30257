/**
 * The Lua run by Redis for durable topics. A script runs atomically: the XADD that assigns a
 * message its sequence number and the PUBLISH that carries it live happen with nothing in
 * between, so live messages leave Redis in sequence order whichever process published them.
 *
 * Sequence numbers are stream ids `0-<seq>`: `XADD key 0-*` makes Redis assign the next
 * one (Redis >= 7.0), 1, 2, 3... with no hole, even after trimming (the stream remembers its
 * last id). So a hole in what a reader gets is always a trimmed (or deleted) entry, never an
 * unused number: that is what lets a replay tell "trimmed" from "nothing there".
 *
 * Entry fields, in this order: `k` (`t` text or `b` binary), `d` (the bytes), `t` (Redis's
 * clock in ms at the publish, for trimming by age).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Trims `KEYS[1]` to entries at most `maxAge` ms old (by binary search over the sequence). */
const TRIM_BY_AGE = `
local function now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local function seq_of(entry) return tonumber(string.sub(entry[1], 3)) end
local function time_of(entry) return tonumber(entry[2][6]) end
local function trim_by_age(key, max_age, now)
  if max_age <= 0 then return end
  local cutoff = now - max_age
  local first = redis.call('XRANGE', key, '-', '+', 'COUNT', 1)[1]
  if first == nil or time_of(first) >= cutoff then return end
  local last = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)[1]
  -- Invariant: the entry at 'old' is too old; every entry from 'young' on is young enough.
  local old, young = seq_of(first), seq_of(last) + 1
  if time_of(last) >= cutoff then young = seq_of(last) end
  while young - old > 1 do
    local middle = math.floor((old + young) / 2)
    local entry = redis.call('XRANGE', key, '0-' .. middle, '+', 'COUNT', 1)[1]
    if entry == nil or seq_of(entry) >= young or time_of(entry) >= cutoff then
      young = middle
    else
      old = seq_of(entry)
    end
  end
  redis.call('XTRIM', key, 'MINID', '0-' .. young)
end
`;

/**
 * KEYS[1] stream; ARGV: kind ('t'|'b'), data, maxLen ('0' = none), '~' or '=', maxAgeMs
 * ('0' = none), channel. Returns the sequence number. The live message is
 * `<seq> <time> <kind><data>`: binary-safe, as Lua strings are.
 */
export const PUBLISH_SCRIPT = `${TRIM_BY_AGE}
local now = now_ms()
local id
if ARGV[3] ~= '0' then
  id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[4], ARGV[3], '0-*', 'k', ARGV[1], 'd', ARGV[2], 't', now)
else
  id = redis.call('XADD', KEYS[1], '0-*', 'k', ARGV[1], 'd', ARGV[2], 't', now)
end
trim_by_age(KEYS[1], tonumber(ARGV[5]), now)
local seq = string.sub(id, 3)
redis.call('PUBLISH', ARGV[6], seq .. ' ' .. now .. ' ' .. ARGV[1] .. ARGV[2])
return seq
`;

/**
 * KEYS[1] stream; ARGV: after, count, maxAgeMs ('0' = none). Trims by age first (so nothing
 * too old is replayed), then returns { head, entries after 'after' }: head is the last
 * sequence number ever assigned (0 for a topic never published to).
 */
export const READ_SCRIPT = `${TRIM_BY_AGE}
trim_by_age(KEYS[1], tonumber(ARGV[3]), now_ms())
if redis.call('EXISTS', KEYS[1]) == 0 then return { '0', {} } end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local head = '0'
for index = 1, #info, 2 do
  if info[index] == 'last-generated-id' then head = string.sub(info[index + 1], 3) end
end
return { head, redis.call('XRANGE', KEYS[1], '0-' .. (tonumber(ARGV[1]) + 1), '+', 'COUNT', ARGV[2]) }
`;

/**
 * A script run by its SHA1. It is loaded (SCRIPT LOAD) once per connection before the first
 * run, and again after a NOSCRIPT (a restarted Redis forgets its scripts): sending the full
 * source with every publish would cost more than the message.
 */
export class Script {
  readonly #source: string;
  readonly #sha: string;
  readonly #loaded = new WeakMap<Redis, Promise<unknown>>();

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  /** Replies as Buffers: payloads are bytes, and text is decoded by the caller. */
  async run(client: Redis, key: string, args: Array<string | Buffer>): Promise<unknown> {
    await this.#load(client);
    try {
      return await client.callBuffer('EVALSHA', this.#sha, 1, key, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      this.#loaded.delete(client);
      await this.#load(client);
      return await client.callBuffer('EVALSHA', this.#sha, 1, key, ...args);
    }
  }

  /** One SCRIPT LOAD at a time per connection, shared by the runs waiting for it. */
  #load(client: Redis): Promise<unknown> {
    let loading = this.#loaded.get(client);
    if (loading === undefined) {
      loading = client.script('LOAD', this.#source);
      // A failed load (Redis down) is tried again by the next run.
      loading.catch(() => this.#loaded.delete(client));
      this.#loaded.set(client, loading);
    }
    return loading;
  }
}
