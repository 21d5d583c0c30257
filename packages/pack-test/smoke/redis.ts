// Type-checked in a fresh npm project as ESM (.mts) and CommonJS (.cts) under
// `moduleResolution: node16`, and as .ts under `moduleResolution: bundler`.
import { createRedisBroker, type RedisBroker, type RedisBrokerOptions } from '@wskit/redis';
import type { TopicBroker } from '@wskit/server';

const options: RedisBrokerOptions = {
  url: 'rediss://127.0.0.1:6380',
  channelPrefix: 'app:',
  redisOptions: { tls: { rejectUnauthorized: true } },
  onError: (error: Error) => void error.message,
};
export const broker: RedisBroker = createRedisBroker(options);
export const asBroker: TopicBroker = broker;
export const ready: Promise<void> = broker.ready();
