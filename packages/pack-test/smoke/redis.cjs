// CommonJS: the same checks as redis.mjs through require().
const assert = require('node:assert/strict');
const { createRedisBroker } = require('@wskit/redis');

assert.throws(() => createRedisBroker({ url: 'redis://127.0.0.1', channelPrefx: 'x' }), {
  code: 'WS_ERR_INVALID_ARGUMENT',
  message: '[@wskit/redis] unknown option channelPrefx; did you mean channelPrefix?',
});
const broker = createRedisBroker({
  url: 'redis://127.0.0.1:6379',
  redisOptions: { lazyConnect: true },
});
broker.close().then(() => {});
