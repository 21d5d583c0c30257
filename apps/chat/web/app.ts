/**
 * The chat page. Everything the server sends is validated (shared/protocol.ts) before use, and
 * user content reaches the DOM through `textContent` only. The connection is a
 * ReconnectingWebSocket; after each reconnect the page rejoins its rooms with the last message
 * id it saw, and the server replays what it missed.
 */
import { ReconnectingWebSocket } from '@wskit/browser';
import {
  type ChatMessage,
  type ClientMessage,
  encode,
  type Member,
  PROTOCOL_VERSION,
  parseServerMessage,
  type ServerMessage,
} from '../shared/protocol.js';

const v = PROTOCOL_VERSION;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

const ui = {
  status: element('status'),
  statusText: element('status-text'),
  nick: element<HTMLInputElement>('nick'),
  rooms: element<HTMLUListElement>('rooms'),
  createRoom: element<HTMLFormElement>('create-room'),
  newRoom: element<HTMLInputElement>('new-room'),
  members: element<HTMLUListElement>('members'),
  memberCount: element('member-count'),
  roomTitle: element('room-title'),
  leave: element<HTMLButtonElement>('leave'),
  messages: element<HTMLOListElement>('messages'),
  typing: element('typing'),
  composer: element<HTMLFormElement>('composer'),
  text: element<HTMLInputElement>('text'),
  send: element<HTMLButtonElement>('send'),
  notice: element('notice'),
  roomsToggle: element<HTMLButtonElement>('rooms-toggle'),
  roomsToggleBadge: element('rooms-toggle-badge'),
  backdrop: element('drawer-backdrop'),
};

/** Without an ack by then (while connected), a message is shown as failed, with a retry. */
const ACK_TIMEOUT_MS = 10_000;

/** One id per browser profile: the tabs of one user share it (and so their nickname). */
function userId(): string {
  const key = 'wskit-chat-user';
  let id = localStorage.getItem(key);
  if (id === null) {
    id = crypto.randomUUID();
    localStorage.setItem(key, id);
  }
  return id;
}

interface RoomView {
  nick: string;
  lastSeen: number | undefined;
  messages: Map<number, ChatMessage>;
  members: Map<string, Member>;
  typing: Map<string, ReturnType<typeof setTimeout>>;
  notices: string[];
  /** Messages from others that arrived while another room was shown. */
  unread: number;
}

interface Pending {
  room: string;
  text: string;
  sent: number;
  /** The connection it was last sent on (0: not sent yet): resent once per new connection. */
  sentOn: number;
  /** Why the server refused it (rate limit, no ack): shown with a Retry button. */
  failed: string | undefined;
  ackTimer: ReturnType<typeof setTimeout> | undefined;
}

const me = userId();
const joined = new Map<string, RoomView>();
/** Messages written and not yet acknowledged, by client id: resent after a reconnect. */
const pending = new Map<string, Pending>();
/** Client ids → server ids of acknowledged own messages, to mark them delivered. */
const acked = new Map<string, number>();
let active: string | undefined;
let rooms: { name: string; online: number }[] = [];
let connectedOnce = false;
/** Counts the connections opened so far; `Pending.sentOn` refers to it. */
let connection = 0;
let typingSentAt = 0;
let typingStop: ReturnType<typeof setTimeout> | undefined;

ui.nick.value = localStorage.getItem('wskit-chat-nick') ?? '';

const socket = new ReconnectingWebSocket(
  `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
  { initialDelay: 250, maxDelay: 5_000, minUptime: 2_000 },
);

function setStatus(state: 'connecting' | 'live' | 'reconnecting' | 'offline', text: string): void {
  ui.status.dataset.state = state;
  ui.statusText.textContent = text;
}

function send(message: ClientMessage): boolean {
  if (socket.readyState !== ReconnectingWebSocket.OPEN) return false;
  socket.send(encode(message));
  return true;
}

function showNotice(text: string): void {
  ui.notice.textContent = text;
  ui.notice.hidden = false;
  setTimeout(() => {
    if (ui.notice.textContent === text) ui.notice.hidden = true;
  }, 5_000);
}

/** Sends (or resends) a pending message; the ack timer starts only if it really went out. */
function transmit(id: string): void {
  const entry = pending.get(id);
  if (entry === undefined) return;
  entry.failed = undefined;
  clearTimeout(entry.ackTimer);
  if (send({ v, type: 'say', room: entry.room, id, text: entry.text })) {
    entry.sentOn = connection;
    entry.ackTimer = setTimeout(() => {
      if (pending.get(id) === entry && socket.readyState === ReconnectingWebSocket.OPEN) {
        entry.failed = 'no answer from the server';
        render();
      }
    }, ACK_TIMEOUT_MS);
  }
  render();
}

function setDrawer(open: boolean): void {
  document.body.classList.toggle('drawer-open', open);
  ui.roomsToggle.setAttribute('aria-expanded', String(open));
}

socket.addEventListener('open', () => {
  connection += 1;
  setStatus('live', 'Live');
  send({ v, type: 'list' });
  if (connectedOnce) {
    // Resync: rejoin every room with the last id seen; the server replays the rest.
    for (const [room, view] of joined) {
      const message: ClientMessage = { v, type: 'join', room, nick: view.nick, userId: me };
      if (view.lastSeen !== undefined) message.lastSeen = view.lastSeen;
      send(message);
    }
  } else if (ui.nick.value.trim() !== '') {
    join('lobby');
  }
  connectedOnce = true;
});
socket.addEventListener('close', (event) => {
  // Unacknowledged messages are resent after the reconnect, not failed for the outage.
  for (const entry of pending.values()) clearTimeout(entry.ackTimer);
  if (event.willReconnect) setStatus('reconnecting', 'Reconnecting…');
  else setStatus('offline', 'Offline');
  render();
});
socket.addEventListener('reconnecting', (event) => {
  const seconds = Math.max(1, Math.round(event.delay / 1000));
  setStatus(
    navigator.onLine ? 'reconnecting' : 'offline',
    navigator.onLine
      ? `Reconnecting (attempt ${event.attempt}, ${seconds} s)…`
      : 'Offline: waiting for the network',
  );
});
addEventListener('offline', () => setStatus('offline', 'Offline: waiting for the network'));
socket.addEventListener('message', (event) => {
  if (typeof event.data !== 'string') return;
  const parsed = parseServerMessage(event.data);
  if (!parsed.ok) {
    console.warn('chat: ignored a message from the server:', parsed.message);
    return;
  }
  receive(parsed.value);
});

function receive(message: ServerMessage): void {
  switch (message.type) {
    case 'welcome':
      return;
    case 'rooms':
      rooms = message.rooms;
      renderRooms();
      return;
    case 'created':
      send({ v, type: 'list' });
      join(message.room);
      return;
    case 'joined': {
      const view: RoomView = joined.get(message.room) ?? {
        nick: message.nick,
        lastSeen: undefined,
        messages: new Map(),
        members: new Map(),
        typing: new Map(),
        notices: [],
        unread: 0,
      };
      view.unread = 0;
      view.nick = message.nick;
      view.members = new Map(message.members.map((member) => [member.userId, member]));
      for (const entry of message.history) addMessage(view, entry);
      joined.set(message.room, view);
      localStorage.setItem('wskit-chat-nick', message.nick);
      active = message.room;
      setDrawer(false);
      // Unacknowledged messages of this room go out again now that the server knows us: once
      // per connection (the server acknowledges a known id again rather than storing it twice).
      // Failed ones wait for the user's Retry.
      for (const [id, entry] of pending) {
        if (
          entry.room === message.room &&
          entry.failed === undefined &&
          entry.sentOn !== connection
        )
          transmit(id);
      }
      send({ v, type: 'list' });
      render();
      return;
    }
    case 'left':
      joined.delete(message.room);
      if (active === message.room) active = joined.keys().next().value;
      send({ v, type: 'list' });
      render();
      return;
    case 'message': {
      const view = joined.get(message.message.room);
      if (view === undefined) return;
      const known = view.messages.has(message.message.id);
      addMessage(view, message.message);
      if (message.message.room === active) render();
      else if (!known && message.message.userId !== me) {
        view.unread += 1;
        renderRooms();
      }
      return;
    }
    case 'ack':
      clearTimeout(pending.get(message.id)?.ackTimer);
      pending.delete(message.id);
      acked.set(message.id, message.messageId);
      render();
      return;
    case 'presence': {
      const view = joined.get(message.room);
      if (view === undefined) return;
      if (message.event === 'join') view.members.set(message.member.userId, message.member);
      else view.members.delete(message.member.userId);
      view.notices.push(`${message.member.nick} ${message.event === 'join' ? 'joined' : 'left'}`);
      addNoticeMarker(view);
      send({ v, type: 'list' });
      render();
      return;
    }
    case 'typing': {
      const view = joined.get(message.room);
      if (view === undefined) return;
      clearTimeout(view.typing.get(message.nick));
      if (message.typing) {
        view.typing.set(
          message.nick,
          setTimeout(() => {
            view.typing.delete(message.nick);
            renderTyping();
          }, 5_000),
        );
      } else {
        view.typing.delete(message.nick);
      }
      renderTyping();
      return;
    }
    case 'error': {
      const refused = message.ref === undefined ? undefined : pending.get(message.ref);
      if (refused !== undefined) {
        clearTimeout(refused.ackTimer);
        refused.failed = message.message;
        render();
      }
      showNotice(message.message);
      return;
    }
  }
}

/** Presence notices sit between messages: keyed by the last message id when they happened. */
const noticeMarkers = new WeakMap<RoomView, { after: number; text: string }[]>();

function addNoticeMarker(view: RoomView): void {
  const list = noticeMarkers.get(view) ?? [];
  list.push({ after: view.lastSeen ?? 0, text: view.notices[view.notices.length - 1] ?? '' });
  noticeMarkers.set(view, list);
}

function addMessage(view: RoomView, message: ChatMessage): void {
  view.messages.set(message.id, message);
  if (view.lastSeen === undefined || message.id > view.lastSeen) view.lastSeen = message.id;
}

function join(room: string): void {
  const nick = ui.nick.value.trim();
  if (nick === '') {
    showNotice('Choose a nickname first.');
    ui.nick.focus();
    return;
  }
  const view = joined.get(room);
  if (view !== undefined && view.nick === nick) {
    active = room;
    view.unread = 0;
    setDrawer(false);
    render();
    return;
  }
  send({ v, type: 'join', room, nick, userId: me });
}

// Rendering: DOM nodes and textContent only, never HTML strings. ----------------------------

function renderRooms(): void {
  const items = rooms.map((room) => {
    const item = document.createElement('li');
    if (room.name === active) item.className = 'active';
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.room = room.name;
    const name = document.createElement('span');
    name.textContent = `# ${room.name}`;
    const online = document.createElement('span');
    online.className = 'online';
    online.textContent = `${room.online} online`;
    button.append(name);
    const unread = joined.get(room.name)?.unread ?? 0;
    if (unread > 0 && room.name !== active) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = String(unread);
      badge.setAttribute('aria-label', `${unread} unread`);
      button.append(badge);
    }
    button.append(online);
    button.addEventListener('click', () => join(room.name));
    item.append(button);
    return item;
  });
  ui.rooms.replaceChildren(...items);
  let total = 0;
  for (const [name, view] of joined) if (name !== active) total += view.unread;
  ui.roomsToggleBadge.textContent = String(total);
  ui.roomsToggleBadge.hidden = total === 0;
  document.title = total > 0 ? `(${total}) wskit chat` : 'wskit chat';
}

function renderTyping(): void {
  const view = active === undefined ? undefined : joined.get(active);
  const names = view === undefined ? [] : [...view.typing.keys()];
  ui.typing.textContent =
    names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`;
}

function messageItem(
  message: ChatMessage,
  own: boolean,
  state: 'pending' | 'failed' | 'delivered' | undefined,
  failure?: string,
): HTMLLIElement {
  const item = document.createElement('li');
  item.className = own ? 'own' : '';
  if (state === 'pending' || state === 'failed') item.classList.add(state);
  item.dataset.id = String(message.id);
  const meta = document.createElement('div');
  meta.className = 'meta';
  const nick = document.createElement('span');
  nick.className = 'nick';
  nick.textContent = message.nick;
  const time = document.createElement('time');
  time.textContent = new Date(message.ts).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit',
  });
  meta.append(nick, time);
  if (state !== undefined) {
    const delivery = document.createElement('span');
    delivery.className = 'delivery';
    delivery.textContent =
      state === 'pending' ? 'sending…' : state === 'failed' ? 'not sent' : '✓ delivered';
    meta.append(delivery);
    if (state === 'failed') {
      delivery.title = failure ?? '';
      const retry = document.createElement('button');
      retry.type = 'button';
      retry.className = 'retry';
      retry.textContent = 'Retry';
      // Renders are coalesced, so a button can outlive its failure by a frame: a second click
      // while the retry is in flight must not send the message again.
      retry.addEventListener('click', () => {
        if (pending.get(message.ref)?.failed !== undefined) transmit(message.ref);
      });
      meta.append(retry);
    }
  }
  const body = document.createElement('div');
  body.className = 'body';
  body.textContent = message.text;
  item.append(meta, body);
  return item;
}

let renderPending = false;

/**
 * Asks for a render: one per animation frame at most (or per 100 ms where frames do not run,
 * in a background tab). The view is rebuilt from the state, so renders coalesce: a page that
 * falls behind (a busy room after a reconnect, a slow phone) catches up with one render per
 * frame instead of one per message, which kept a starved page seconds behind the socket and
 * made it rejoin too late for the replay (docs/restart/report.md).
 */
function render(): void {
  if (renderPending) return;
  renderPending = true;
  let frame = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
    if (!renderPending) return;
    renderPending = false;
    renderNow();
  };
  frame = requestAnimationFrame(run);
  timer = setTimeout(run, 100);
}

function renderNow(): void {
  renderRooms();
  const view = active === undefined ? undefined : joined.get(active);
  const live = socket.readyState === ReconnectingWebSocket.OPEN;
  ui.composer.dataset.room = active ?? '';
  ui.text.disabled = view === undefined;
  ui.send.disabled = view === undefined;
  ui.leave.hidden = view === undefined;
  if (view === undefined || active === undefined) {
    ui.roomTitle.textContent = 'Pick a nickname, then a room';
    ui.messages.replaceChildren();
    ui.members.replaceChildren();
    ui.memberCount.textContent = '';
    renderTyping();
    return;
  }
  ui.roomTitle.textContent = `# ${active} · you are ${view.nick}${live ? '' : ' (not connected)'}`;
  const members = [...view.members.values()].sort((a, b) => a.nick.localeCompare(b.nick));
  ui.members.replaceChildren(
    ...members.map((member) => {
      const item = document.createElement('li');
      item.textContent = member.userId === me ? `${member.nick} (you)` : member.nick;
      return item;
    }),
  );
  ui.memberCount.textContent = `(${members.length})`;
  const ownDelivered = new Set(acked.values());
  const markers = noticeMarkers.get(view) ?? [];
  const items: HTMLLIElement[] = [];
  const sorted = [...view.messages.values()].sort((a, b) => a.id - b.id);
  let markerIndex = 0;
  const flushMarkers = (upTo: number) => {
    while (markerIndex < markers.length && (markers[markerIndex]?.after ?? 0) <= upTo) {
      const item = document.createElement('li');
      item.className = 'notice';
      item.textContent = markers[markerIndex]?.text ?? '';
      items.push(item);
      markerIndex += 1;
    }
  };
  for (const message of sorted) {
    flushMarkers(message.id - 1);
    const own = message.userId === me;
    items.push(
      messageItem(message, own, own && ownDelivered.has(message.id) ? 'delivered' : undefined),
    );
  }
  flushMarkers(Number.MAX_SAFE_INTEGER);
  for (const [id, entry] of pending) {
    if (entry.room !== active) continue;
    items.push(
      messageItem(
        {
          id: 0,
          room: entry.room,
          userId: me,
          nick: view.nick,
          text: entry.text,
          ref: id,
          ts: entry.sent,
        },
        true,
        entry.failed === undefined ? 'pending' : 'failed',
        entry.failed,
      ),
    );
  }
  ui.messages.replaceChildren(...items);
  ui.messages.scrollTop = ui.messages.scrollHeight;
  renderTyping();
}

// User actions ------------------------------------------------------------------------------

ui.nick.addEventListener('change', () => {
  if (ui.nick.value.trim() !== '' && joined.size === 0) join('lobby');
});

ui.createRoom.addEventListener('submit', (event) => {
  event.preventDefault();
  const room = ui.newRoom.value.trim();
  if (room === '') return;
  if (ui.nick.value.trim() === '') {
    showNotice('Choose a nickname first.');
    return;
  }
  if (send({ v, type: 'create', room })) ui.newRoom.value = '';
});

ui.leave.addEventListener('click', () => {
  if (active !== undefined) send({ v, type: 'leave', room: active });
});

ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.text.value;
  if (active === undefined || text.trim() === '') return;
  const id = crypto.randomUUID();
  pending.set(id, {
    room: active,
    text,
    sent: Date.now(),
    sentOn: 0,
    failed: undefined,
    ackTimer: undefined,
  });
  transmit(id);
  ui.text.value = '';
  clearTimeout(typingStop);
  if (typingSentAt !== 0) send({ v, type: 'typing', room: active, typing: false });
  typingSentAt = 0;
  render();
});

ui.text.addEventListener('input', () => {
  if (active === undefined) return;
  const room = active;
  if (Date.now() - typingSentAt > 2_000) {
    send({ v, type: 'typing', room, typing: true });
    typingSentAt = Date.now();
  }
  clearTimeout(typingStop);
  typingStop = setTimeout(() => {
    send({ v, type: 'typing', room, typing: false });
    typingSentAt = 0;
  }, 3_000);
});

ui.roomsToggle.addEventListener('click', () =>
  setDrawer(!document.body.classList.contains('drawer-open')),
);
ui.backdrop.addEventListener('click', () => setDrawer(false));

setStatus('connecting', 'Connecting…');
// A first visit starts on the nickname (in the drawer, on a phone).
setDrawer(ui.nick.value.trim() === '');
render();
