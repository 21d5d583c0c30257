// Runs with `node` in a fresh npm project where only the packed (CommonJS) @wskit/server tarball (and
// @wskit/core, its dependency) is installed.
const assert = require('node:assert/strict');
const { DEFAULTS, resolveServerOptions, TopicRegistry } = require('@wskit/server');

const spec = { prefix: '[smoke]', runtime: 'Node' };
assert.equal(resolveServerOptions({}, spec).maxMessageSize, DEFAULTS.maxMessageSize);
assert.throws(() => resolveServerOptions({ maxPayload: 1 }, spec), {
  code: 'WS_ERR_INVALID_ARGUMENT',
  message: "[smoke] unknown option maxPayload: use maxMessageSize (ws's maxPayload)",
});

const received = [];
const topics = new TopicRegistry((payload) => `frame:${payload}`);
topics.subscribe({ readyState: 1, deliverPublished: (message) => received.push(message) }, 'news');
assert.equal(topics.publish('news', 'hello'), 1);
assert.deepEqual(received, ['frame:hello']);
