// Runs with `node` in a fresh npm project where only the packed @wskit/core tarball is installed.
import assert from 'node:assert/strict';
import { CloseCode, isValidUtf8, WebSocketError } from '@wskit/core';

const error = new WebSocketError('WS_ERR_INVALID_UTF8', 'invalid UTF-8 in a text frame', {
  closeCode: CloseCode.INVALID_PAYLOAD,
});
assert.ok(error instanceof Error);
assert.equal(error.code, 'WS_ERR_INVALID_UTF8');
assert.equal(error.closeCode, 1007);

assert.equal(isValidUtf8(new TextEncoder().encode('héllo')), true);
assert.equal(isValidUtf8(Uint8Array.of(0xc3, 0x28)), false);

// The protocol engine end to end: a client frame decoded by a server connection.
import { Connection, computeAccept } from '@wskit/core';

assert.equal(computeAccept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
const received = [];
const server = new Connection({
  role: 'server',
  handler: { onMessage: (data) => received.push(new TextDecoder().decode(data)) },
});
const client = new Connection({ role: 'client', handler: { onMessage() {} } });
client.sendText('hello from the tarball');
for (const chunk of client.takeOutput()) server.receiveData(chunk);
assert.deepEqual(received, ['hello from the tarball']);
