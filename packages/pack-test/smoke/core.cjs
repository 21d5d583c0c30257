// Runs with `node` in a fresh npm project where only the packed @wskit/core tarball is installed.
const assert = require('node:assert/strict');
const { CloseCode, isValidUtf8, WebSocketError } = require('@wskit/core');

const error = new WebSocketError('WS_ERR_INVALID_UTF8', 'invalid UTF-8 in a text frame', {
  closeCode: CloseCode.INVALID_PAYLOAD,
});
assert.ok(error instanceof Error);
assert.equal(error.code, 'WS_ERR_INVALID_UTF8');
assert.equal(error.closeCode, 1007);

assert.equal(isValidUtf8(new TextEncoder().encode('héllo')), true);
assert.equal(isValidUtf8(Uint8Array.of(0xc3, 0x28)), false);
