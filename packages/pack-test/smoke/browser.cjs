// CommonJS twin of browser.mjs. Runs in a fresh npm project where the packed @wskit/browser,
// @wskit/node and @wskit/core tarballs are installed.
const assert = require('node:assert/strict');
const { CloseEvent, WebSocket } = require('@wskit/browser');

(async () => {
  assert.equal(Object.prototype.toString.call(WebSocket.prototype), '[object WebSocket]');
  assert.deepEqual(
    [WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED],
    [0, 1, 2, 3],
  );
  const ws = new WebSocket('ws://127.0.0.1:1');
  const events = [];
  await new Promise((resolve) => {
    ws.addEventListener('error', (event) => events.push(event.type));
    ws.addEventListener('close', (event) => {
      assert.ok(event instanceof CloseEvent);
      events.push(`${event.type} ${event.code} ${event.wasClean}`);
      resolve();
    });
  });
  assert.deepEqual(events, ['error', 'close 1006 false']);
  assert.equal(ws.readyState, WebSocket.CLOSED);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
