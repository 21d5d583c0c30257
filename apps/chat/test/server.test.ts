// The chat server on Node with `ws` clients: validation and limits, then the chat features.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { type NodeChat, startNodeChat } from '../server/node-server.js';
import { ChatClient } from './clients.js';

let chat: NodeChat;
let url: string;
const clients: ChatClient[] = [];

async function connect(options?: WebSocket.ClientOptions): Promise<ChatClient> {
  const client = await ChatClient.connect(url, options);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  chat = await startNodeChat({
    port: 0,
    webDir: '/nonexistent',
    rateLimit: { burst: 30, perSecond: 30 },
    historySize: 5,
    allowedOrigins: ['https://allowed.example'],
  });
  url = `ws://127.0.0.1:${chat.port}/ws`;
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

afterAll(async () => {
  await chat.close();
});

let roomCounter = 0;
async function freshRoom(client: ChatClient): Promise<string> {
  roomCounter += 1;
  const room = `room-${roomCounter}`;
  client.send({ v: 1, type: 'create', room });
  await client.next('created', (created) => created.room === room);
  return room;
}

describe('bad input gets an error reply, never a crash', () => {
  test('invalid JSON, wrong version, unknown type, bad fields, binary', async () => {
    const client = await connect();
    client.sendRaw('{not json');
    expect(await client.next('error')).toMatchObject({ code: 'bad-json' });
    client.sendRaw(JSON.stringify({ v: 9, type: 'list' }));
    expect(await client.next('error')).toMatchObject({ code: 'unsupported-version' });
    client.sendRaw(JSON.stringify({ v: 1, type: 'explode' }));
    expect(await client.next('error')).toMatchObject({ code: 'bad-message' });
    client.sendRaw(JSON.stringify({ v: 1, type: 'say', room: 'lobby', id: 'x', text: 42 }));
    expect(await client.next('error')).toMatchObject({ code: 'bad-message' });
    client.sendRaw(Buffer.from([1, 2, 3]));
    expect(await client.next('error')).toMatchObject({ code: 'bad-message' });
    // Still served afterwards.
    client.send({ v: 1, type: 'list' });
    expect((await client.next('rooms')).rooms.map((room) => room.name)).toContain('lobby');
  });

  test('writing to a room not joined, joining a missing room, creating an existing one', async () => {
    const client = await connect();
    client.send({ v: 1, type: 'say', room: 'lobby', id: 'c1', text: 'hi' });
    expect(await client.next('error')).toMatchObject({ code: 'not-joined', ref: 'c1' });
    client.send({ v: 1, type: 'join', room: 'nowhere', nick: 'ada', userId: 'u1' });
    expect(await client.next('error')).toMatchObject({ code: 'no-such-room' });
    client.send({ v: 1, type: 'create', room: 'lobby' });
    expect(await client.next('error')).toMatchObject({ code: 'room-exists' });
  });
});

describe('limits', () => {
  test('a message over the protocol limit gets too-big; over the transport limit, close 1009', async () => {
    const client = await connect();
    client.send({ v: 1, type: 'say', room: 'lobby', id: 'c1', text: 'x'.repeat(9_000) });
    expect(await client.next('error')).toMatchObject({ code: 'too-big' });
    const closed = new Promise<number>((resolve) => client.socket.once('close', resolve));
    client.sendRaw('x'.repeat(100_000));
    expect(await closed).toBe(1009);
  });

  test('a burst over the rate limit is refused with rate-limited', async () => {
    const client = await connect();
    for (let index = 0; index < 40; index++) client.send({ v: 1, type: 'list' });
    expect(await client.next('error')).toMatchObject({ code: 'rate-limited' });
  });

  test('a refused say carries its id back, so the page can offer a retry', async () => {
    const client = await connect();
    await client.join('lobby', 'ada', 'u-ada');
    for (let index = 0; index < 40; index++) {
      client.send({ v: 1, type: 'say', room: 'lobby', id: `c${index}`, text: `m${index}` });
    }
    const refused = await client.next('error', (error) => error.code === 'rate-limited');
    expect(refused.ref).toMatch(/^c\d+$/);
  });

  test('Origin: same-origin and the allow-list pass, others get 403', async () => {
    const same = await connect({ origin: `http://127.0.0.1:${chat.port}` });
    const listed = await connect({ origin: 'https://allowed.example' });
    expect(same.socket.readyState).toBe(WebSocket.OPEN);
    expect(listed.socket.readyState).toBe(WebSocket.OPEN);
    const refused = new WebSocket(url, { origin: 'https://evil.example' });
    const status = await new Promise<number>((resolve, reject) => {
      refused.once('unexpected-response', (_request, response) =>
        resolve(response.statusCode ?? 0),
      );
      refused.once('open', () => reject(new Error('opened')));
      refused.once('error', () => {});
    });
    expect(status).toBe(403);
  });
});

describe('rooms, nicknames, presence, history, acks, resync', () => {
  test('create, join, list, leave', async () => {
    const ada = await connect();
    const room = await freshRoom(ada);
    const joined = await ada.join(room, 'ada', 'u-ada');
    expect(joined).toMatchObject({
      nick: 'ada',
      members: [{ userId: 'u-ada', nick: 'ada' }],
      history: [],
    });
    ada.send({ v: 1, type: 'list' });
    expect((await ada.next('rooms')).rooms).toContainEqual({ name: room, online: 1 });
    ada.send({ v: 1, type: 'leave', room });
    await ada.next('left', (left) => left.room === room);
    ada.send({ v: 1, type: 'list' });
    expect((await ada.next('rooms')).rooms).toContainEqual({ name: room, online: 0 });
  });

  test('nicknames are unique per room, but one user may open several tabs', async () => {
    const ada = await connect();
    const room = await freshRoom(ada);
    await ada.join(room, 'ada', 'u-ada');
    const impostor = await connect();
    impostor.send({ v: 1, type: 'join', room, nick: 'ada', userId: 'u-other' });
    expect(await impostor.next('error')).toMatchObject({ code: 'nick-taken' });
    await impostor.join('lobby', 'ada', 'u-other');
    const secondTab = await connect();
    const joined = await secondTab.join(room, 'ada', 'u-ada');
    expect(joined.members).toEqual([{ userId: 'u-ada', nick: 'ada' }]);
    // Both tabs get the messages; the user leaves only when the last tab does.
    const bob = await connect();
    await bob.join(room, 'bob', 'u-bob');
    bob.send({ v: 1, type: 'say', room, id: 'b1', text: 'hello tabs' });
    await ada.next('message', (message) => message.message.text === 'hello tabs');
    await secondTab.next('message', (message) => message.message.text === 'hello tabs');
    await ada.close();
    await secondTab.close();
    expect(await bob.next('presence', (presence) => presence.event === 'leave')).toMatchObject({
      member: { nick: 'ada' },
    });
    expect(
      bob.received.filter((message) => message.type === 'presence' && message.event === 'leave'),
    ).toHaveLength(1);
  });

  test('presence, typing, acks and history on join', async () => {
    const ada = await connect();
    const room = await freshRoom(ada);
    await ada.join(room, 'ada', 'u-ada');
    const bob = await connect();
    await bob.join(room, 'bob', 'u-bob');
    expect(await ada.next('presence')).toMatchObject({ event: 'join', member: { nick: 'bob' } });
    bob.send({ v: 1, type: 'typing', room, typing: true });
    expect(await ada.next('typing')).toMatchObject({ nick: 'bob', typing: true });
    for (let index = 1; index <= 7; index++) {
      bob.send({ v: 1, type: 'say', room, id: `b${index}`, text: `message ${index}` });
    }
    const acks = [];
    for (let index = 1; index <= 7; index++)
      acks.push(await bob.next('ack', (ack) => ack.id === `b${index}`));
    expect(acks.map((ack) => ack.messageId)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await ada.next('message', (message) => message.message.id === 7);
    const carol = await connect();
    const joined = await carol.join(room, 'carol', 'u-carol');
    // historySize is 5 in this suite.
    expect(joined.history.map((message) => message.text)).toEqual([
      'message 3',
      'message 4',
      'message 5',
      'message 6',
      'message 7',
    ]);
    expect(joined.members.map((member) => member.nick).sort()).toEqual(['ada', 'bob', 'carol']);
  });

  test('a resent message id is acknowledged again, not repeated', async () => {
    const ada = await connect();
    const room = await freshRoom(ada);
    await ada.join(room, 'ada', 'u-ada');
    ada.send({ v: 1, type: 'say', room, id: 'same', text: 'once' });
    const first = await ada.next('ack');
    ada.send({ v: 1, type: 'say', room, id: 'same', text: 'once' });
    expect(await ada.next('ack')).toEqual(first);
    ada.send({ v: 1, type: 'say', room, id: 'other', text: 'twice' });
    expect((await ada.next('ack', (ack) => ack.id === 'other')).messageId).toBe(
      first.messageId + 1,
    );
    const joined = await (await connect()).join(room, 'bob', 'u-bob');
    expect(joined.history.map((message) => message.text)).toEqual(['once', 'twice']);
  });

  test('resync: a rejoin with lastSeen replays only what was missed', async () => {
    const ada = await connect();
    const room = await freshRoom(ada);
    await ada.join(room, 'ada', 'u-ada');
    ada.send({ v: 1, type: 'say', room, id: 'a1', text: 'one' });
    const first = await ada.next('ack');
    await ada.close();
    const bob = await connect();
    await bob.join(room, 'bob', 'u-bob');
    bob.send({ v: 1, type: 'say', room, id: 'b1', text: 'two' });
    bob.send({ v: 1, type: 'say', room, id: 'b2', text: 'three' });
    await bob.next('ack', (ack) => ack.id === 'b2');
    const back = await connect();
    const joined = await back.join(room, 'ada', 'u-ada', first.messageId);
    expect(joined.replayed).toBe(true);
    expect(joined.history.map((message) => message.text)).toEqual(['two', 'three']);
  });
});
