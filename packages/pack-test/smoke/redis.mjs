// Runs with `node` in a fresh npm project where only the packed @wskit/redis tarball (and the
// @wskit packages it needs, ioredis from the registry) is installed.
import assert from 'node:assert/strict';
import { createRedisBroker } from '@wskit/redis';

assert.throws(() => createRedisBroker({ url: 'http://127.0.0.1:6379' }), {
  code: 'WS_ERR_INVALID_ARGUMENT',
  message: '[@wskit/redis] option url must use redis:// or rediss:// (TLS), not http://',
});
// lazyConnect: no Redis is needed to build, attach and close a broker.
const broker = createRedisBroker({
  url: 'redis://127.0.0.1:6379',
  redisOptions: { lazyConnect: true },
});
const attachment = broker.attach(
  () => {},
  () => {},
);
assert.equal(typeof attachment.publish, 'function');
attachment.detach();
await broker.close();
