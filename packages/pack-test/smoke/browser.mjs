// Runs with `node` in a fresh npm project where the packed @wskit/browser tarball (and the
// @wskit/node and @wskit/core it depends on) are installed. On Node the "node" export
// condition must give our WHATWG class; a refused connection fails as a browser's would.
import assert from 'node:assert/strict';
import { CloseEvent, WebSocket } from '@wskit/browser';

assert.equal(typeof WebSocket, 'function');
assert.equal(Object.prototype.toString.call(WebSocket.prototype), '[object WebSocket]');
assert.deepEqual(
  [WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED],
  [0, 1, 2, 3],
);
// Not the runtime's class (Node 20 has none without a flag): ours, which takes options.
assert.notEqual(WebSocket, globalThis.WebSocket);

const ws = new WebSocket('ws://127.0.0.1:1', [], { handshakeTimeout: 5_000 });
assert.equal(ws.readyState, WebSocket.CONNECTING);
assert.equal(ws.OPEN, 1);
const events = [];
await new Promise((resolve) => {
  ws.onerror = (event) => events.push(event.type);
  ws.onclose = (event) => {
    assert.ok(event instanceof CloseEvent);
    events.push(`${event.type} ${event.code} ${event.wasClean}`);
    resolve();
  };
});
assert.deepEqual(events, ['error', 'close 1006 false']);
assert.equal(ws.readyState, WebSocket.CLOSED);
