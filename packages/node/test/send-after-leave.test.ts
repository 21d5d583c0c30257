/**
 * Nothing throws because of the peer's timing: a handler that awaits something and then
 * answers a client that already left must not crash the process. One check per public method,
 * each racing the call against a peer that is gone (its socket reset).
 */
import { once } from 'node:events';
import { afterEach, describe, expect, test } from 'vitest';
import { connect, type Peer, type WebSocket, WebSocketServer } from '../src/index.js';

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close({ timeout: 100 });
});

type Outcome = 'returned' | `threw ${string}`;

function attempt(run: () => unknown): Outcome {
  try {
    run();
    return 'returned';
  } catch (error) {
    return `threw ${(error as Error).message}`;
  }
}

function callbackError(run: (callback: (error?: Error | null) => void) => void): Promise<unknown> {
  return new Promise((resolve) => run((error) => resolve(error ?? 'no error')));
}

/** A server whose message hook waits until the client left, then hands the peer to `late`. */
async function raceAgainstLeave(late: (peer: Peer<unknown> & WebSocket<unknown>) => Promise<void>) {
  let left!: () => void;
  const gone = new Promise<void>((resolve) => {
    left = resolve;
  });
  const finished: Promise<void>[] = [];
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    hooks: {
      message(peer) {
        finished.push(gone.then(() => late(peer as Peer<unknown> & WebSocket<unknown>)));
      },
      close: () => left(),
    },
  });
  servers.push(server);
  await once(server, 'listening');
  const client = await connect(`ws://127.0.0.1:${server.port}/`);
  client.send('answer me later');
  // Let the message arrive, then leave without a closing handshake.
  await new Promise((resolve) => setTimeout(resolve, 20));
  client.terminate();
  await gone;
  await Promise.all(finished);
}

describe('server peer methods after the client left', () => {
  test('send, ping, pong, close, terminate, subscribe, unsubscribe, publish: none throws', async () => {
    const outcomes: Record<string, Outcome> = {};
    await raceAgainstLeave(async (peer) => {
      outcomes.send = attempt(() => peer.send('late'));
      outcomes.ping = attempt(() => peer.ping());
      outcomes.pong = attempt(() => peer.pong());
      outcomes.close = attempt(() => peer.close(1000, 'bye'));
      outcomes.terminate = attempt(() => peer.terminate());
      outcomes.subscribe = attempt(() => peer.subscribe('news'));
      outcomes.unsubscribe = attempt(() => peer.unsubscribe('news'));
      outcomes.publish = attempt(() => peer.publish('news', 'late'));
    });
    expect(outcomes).toEqual({
      send: 'returned',
      ping: 'returned',
      pong: 'returned',
      close: 'returned',
      terminate: 'returned',
      subscribe: 'returned',
      unsubscribe: 'returned',
      publish: 'returned',
    });
  });

  test('the callbacks and sendAsync report WS_ERR_INVALID_STATE instead', async () => {
    const errors: Record<string, unknown> = {};
    await raceAgainstLeave(async (peer) => {
      errors.send = await callbackError((done) => peer.send('late', done));
      errors.ping = await callbackError((done) => peer.ping(undefined, done));
      errors.pong = await callbackError((done) => peer.pong(undefined, done));
      errors.sendAsync = await peer.sendAsync('late').then(
        () => 'resolved',
        (error: unknown) => error,
      );
    });
    for (const name of ['send', 'ping', 'pong', 'sendAsync']) {
      expect(errors[name], name).toMatchObject({ code: 'WS_ERR_INVALID_STATE' });
    }
  });

  test('a subscription attempted after leaving is not kept', async () => {
    let topics = -1;
    await raceAgainstLeave(async (peer) => {
      peer.subscribe('news');
      topics = peer.topics.size;
    });
    expect(topics).toBe(0);
    expect(servers[0]?.subscriberCount('news')).toBe(0);
  });
});

describe('client methods after the server left', () => {
  test('send, ping, pong, close, terminate: none throws; callbacks get the error', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    servers.push(server);
    await once(server, 'listening');
    server.on('connection', (socket) => socket.terminate());
    const client = await connect(`ws://127.0.0.1:${server.port}/`);
    await once(client, 'close');
    expect(attempt(() => client.send('late'))).toBe('returned');
    expect(attempt(() => client.ping())).toBe('returned');
    expect(attempt(() => client.pong())).toBe('returned');
    expect(attempt(() => client.close())).toBe('returned');
    expect(attempt(() => client.terminate())).toBe('returned');
    expect(await callbackError((done) => client.send('late', done))).toMatchObject({
      code: 'WS_ERR_INVALID_STATE',
    });
  });
});
