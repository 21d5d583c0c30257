/** WebSocketServer options: bad values throw clear errors before anything listens. */
import * as http from 'node:http';
import { describe, expect, test } from 'vitest';
import { type ServerOptions, WebSocketError, WebSocketServer } from '../src/index.js';

function optionErrorOf(options: unknown): WebSocketError {
  try {
    new WebSocketServer(options as ServerOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(WebSocketError);
    expect((error as WebSocketError).code).toBe('WS_ERR_INVALID_ARGUMENT');
    return error as WebSocketError;
  }
  throw new Error(`no error for ${JSON.stringify(options)}`);
}

describe('bad options throw clear errors', () => {
  const server = http.createServer();

  test.each([
    ['no mode', {}, /exactly one of: port, server, noServer/],
    ['two modes: port and noServer', { port: 0, noServer: true }, /exactly one of/],
    ['two modes: port and server', { port: 0, server }, /exactly one of/],
    ['not an object', null, /options object/],
    ['path without a leading slash', { noServer: true, path: 'chat' }, /path must start with '\/'/],
    ['heartbeat interval 0', { noServer: true, heartbeat: { interval: 0 } }, /heartbeat.interval/],
    [
      'heartbeat timeout negative',
      { noServer: true, heartbeat: { timeout: -1 } },
      /heartbeat.timeout/,
    ],
    ['heartbeat not an object', { noServer: true, heartbeat: 5 }, /heartbeat must be/],
    [
      'heartbeat interval NaN',
      { noServer: true, heartbeat: { interval: Number.NaN } },
      /heartbeat.interval/,
    ],
    ['maxMessageSize negative', { noServer: true, maxMessageSize: -1 }, /maxMessageSize/],
    ['maxBufferedAmount a string', { noServer: true, maxBufferedAmount: '1' }, /maxBufferedAmount/],
    ['handshakeTimeout negative', { noServer: true, handshakeTimeout: -5 }, /handshakeTimeout/],
    ['allowedOrigins a string', { noServer: true, allowedOrigins: 'https://a' }, /allowedOrigins/],
    ['perMessageDeflate a number', { noServer: true, perMessageDeflate: 1 }, /perMessageDeflate/],
    ['port not a number', { port: 'eighty' }, /port/],
    ['selectProtocol not a function', { noServer: true, selectProtocol: 'json' }, /selectProtocol/],
    ['hooks not an object', { noServer: true, hooks: 'nope' }, /hooks/],
    ['a hook not a function', { noServer: true, hooks: { message: 'echo' } }, /hook message/],
    ['server not a server', { server: {} }, /http.Server/],
    ['tls without port', { noServer: true, tls: {} }, /tls needs port/],
  ])('%s', (_name, options, message) => {
    expect(optionErrorOf(options).message).toMatch(message);
  });

  test('a bad option does not leave a listening server behind', () => {
    const before = process
      .getActiveResourcesInfo()
      .filter((resource) => resource === 'TCPServerWrap').length;
    optionErrorOf({ port: 0, heartbeat: { interval: -1 } });
    const after = process
      .getActiveResourcesInfo()
      .filter((resource) => resource === 'TCPServerWrap').length;
    expect(after).toBe(before);
  });

  test('valid options construct', async () => {
    const valid = new WebSocketServer({
      noServer: true,
      path: '/ws',
      heartbeat: false,
      idleTimeout: 0,
      allowedOrigins: () => true,
      perMessageDeflate: { threshold: 0 },
    });
    await valid.close();
  });
});
