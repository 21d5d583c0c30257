/**
 * The apps' Redis connection: one ioredis client for their own commands (chat rooms and
 * history, push's streams), shared with an `@wskit/redis` broker that carries their events
 * between processes. Only what both apps need the same way lives here.
 *
 * This package does not import `@wskit/redis`: that package's tests use the process helpers
 * here, and a dependency back would be a cycle in the workspace graph. The apps pass its
 * `createRedisBroker` in; the broker is described below by the little this file uses.
 */
import { Redis } from 'ioredis';

/** What this file needs of an `@wskit/redis` broker (a `TopicBroker` with `ready`). */
export interface RedisBroker {
  attach(
    deliver: (topic: string, payload: string | Uint8Array) => void,
    reportError: (error: Error) => void,
  ): {
    publish(topic: string, payload: string): unknown;
    topicOpened?(topic: string): unknown;
    detach(): unknown;
  };
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface AppRedisOptions {
  /** `redis://` or `rediss://` (TLS), with credentials and a database if needed. */
  url: string;
  /** Put before each log line (`chat`, `push`). */
  label: string;
  /** `createRedisBroker` from `@wskit/redis`. */
  createBroker: (options: {
    redis: Redis;
    channelPrefix: string;
    onError: (error: Error) => void;
  }) => RedisBroker;
  /**
   * How long the start may wait for the broker's subscriber connection (default 10 s): a Redis
   * that answers the first connection but never the second would otherwise hold the start forever.
   */
  readyTimeoutMs?: number;
}

export interface AppRedis {
  /** For the app's commands. Fails at once while Redis is unreachable (no offline queue). */
  readonly client: Redis;
  readonly broker: RedisBroker;
  close(): Promise<void>;
}

/** Refuses anything but `redis://` and `rediss://`, naming the scheme only (a URL may hold a password). */
export function checkRedisUrl(url: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== 'redis' && scheme !== 'rediss') {
    throw new Error(`REDIS_URL must start with redis:// or rediss://, not ${scheme ?? '(none)'}:`);
  }
}

/**
 * Connects and waits until Redis answers, so a wrong REDIS_URL stops the process at start
 * instead of leaving it retrying silently. After that, ioredis reconnects by itself; losses
 * and recoveries are logged once each.
 */
export async function connectAppRedis(options: AppRedisOptions): Promise<AppRedis> {
  checkRedisUrl(options.url);
  const client = new Redis(options.url, {
    // A command while Redis is down fails at once: the apps answer with an error rather than
    // hold a request (or a chat message's ack) until Redis returns.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });
  let down = false;
  const lost = (error: Error) => {
    if (down) return;
    down = true;
    console.error(`${options.label}: redis: ${error.message}`);
  };
  client.on('error', lost);
  // Not `lazyConnect`: the broker's subscriber is a `duplicate()` of this client and would
  // inherit it, never connecting.
  await new Promise<void>((resolve, reject) => {
    const ready = () => {
      client.off('error', failed);
      resolve();
    };
    const failed = (error: Error) => {
      client.off('ready', ready);
      client.disconnect();
      reject(new Error(`${options.label}: cannot reach Redis: ${error.message}`));
    };
    client.once('ready', ready);
    client.once('error', failed);
  });
  // A Redis that shuts down cleanly closes the connection without an error event.
  let closing = false;
  client.on('close', () => {
    if (!closing) lost(new Error('connection closed'));
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    console.error(`${options.label}: redis: connection re-established`);
  });
  const broker = options.createBroker({
    redis: client,
    // The apps name their topics in full (`wskit-chat:events`, `push:notifications`), which
    // are then the channel names, as with their former pub/sub code.
    channelPrefix: '',
    // The subscriber connection fails along with the client: while an outage is being
    // reported, its retries add nothing.
    onError: (error) => {
      if (!down) console.error(`${options.label}: redis: ${error.message}`);
    },
  });
  // Before any SUBSCRIBE: without an offline queue, one sent while connecting would fail.
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      broker.ready(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `${options.label}: Redis answered, but the broker's subscriber connection was not ready within ${readyTimeoutMs} ms`,
              ),
            ),
          readyTimeoutMs,
        );
      }),
    ]);
  } catch (error) {
    closing = true;
    await broker.close().catch(() => {});
    client.disconnect();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    client,
    broker,
    async close() {
      closing = true;
      await broker.close();
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}

/** One topic of the broker used as an app-level channel: text in, text out. */
export interface BrokerChannel {
  /** Sends to the other processes (not back to this one). Never rejects: failures go to `onError`. */
  publish(payload: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Joins `topic` as one more attachment of the broker, for apps whose fan-out needs per-peer
 * decisions (chat: presence and typing skip the member's own tabs; push: each peer's cursor,
 * and SSE streams that are no WebSocket peers) and so cannot hand frames to `peer.publish`.
 * The broker delivers what other processes publish; this process's own publishes are the
 * caller's to deliver locally.
 */
export function openBrokerChannel(
  broker: RedisBroker,
  topic: string,
  onMessage: (payload: string) => void,
  onError: (error: Error) => void,
): BrokerChannel {
  const decoder = new TextDecoder();
  const attachment = broker.attach((_topic, payload) => {
    onMessage(typeof payload === 'string' ? payload : decoder.decode(payload));
  }, onError);
  void Promise.resolve(attachment.topicOpened?.(topic)).catch(onError);
  return {
    async publish(payload) {
      try {
        await attachment.publish(topic, payload);
      } catch (error) {
        onError(error as Error);
      }
    },
    async close() {
      await attachment.detach();
    },
  };
}
