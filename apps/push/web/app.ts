/**
 * The inbox page. On load it shows the feed kept in localStorage, asks the server's history
 * endpoint for what it missed (or, for a topic seen for the first time, its latest
 * notifications), then continues live over the WebSocket, or over Server-Sent Events where a
 * proxy refuses WebSockets (web/transport.ts). The last sequence number seen per topic is
 * sent on every (re)connect, so the server replays the rest. Every server message is
 * validated with the shared schema; user content reaches the DOM through textContent only.
 */
import { isTopic, parseHistoryPage, type StoredNotification } from '../shared/schema.js';
import { type ConnectionState, connect, type TransportKind } from './transport.js';

const params = new URLSearchParams(location.search);
const KEYS = { cursors: 'push:cursors', read: 'push:read', feed: 'push:feed' };
/** Notifications kept in localStorage for the feed across reloads. */
const FEED_KEPT = 100;
/** What a topic seen for the first time shows from its history. */
const FIRST_VISIT_HISTORY = 20;

function load(key: string): unknown {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

function loadNumbers(key: string): Record<string, number> {
  const value = load(key);
  const out: Record<string, number> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [topic, seq] of Object.entries(value)) {
    if (isTopic(topic) && Number.isSafeInteger(seq)) out[topic] = seq as number;
  }
  return out;
}

/** Last sequence number shown per topic; a topic subscribed but never seen maps to null. */
const cursors = new Map<string, number | null>();
/** Last sequence number the user has read per topic (the rest count as unread). */
const read = new Map<string, number>(Object.entries(loadNumbers(KEYS.read)));
const savedCursors = loadNumbers(KEYS.cursors);
const initialTopics = (params.get('topics') ?? Object.keys(savedCursors).join(','))
  .split(',')
  .filter(isTopic);
for (const topic of initialTopics.length > 0 ? initialTopics : ['general']) {
  cursors.set(topic, savedCursors[topic] ?? null);
}

/** The feed as stored: oldest first, at most FEED_KEPT, each validated again on load. */
const feedItems: StoredNotification[] = [];
const storedFeed = parseHistoryPage({ topic: 'feed', head: 0, notifications: load(KEYS.feed) });
if (storedFeed.ok) feedItems.push(...storedFeed.value.notifications);

function save(): void {
  const out: Record<string, number> = {};
  for (const [topic, seq] of cursors) out[topic] = seq ?? 0;
  localStorage.setItem(KEYS.cursors, JSON.stringify(out));
  localStorage.setItem(KEYS.read, JSON.stringify(Object.fromEntries(read)));
  localStorage.setItem(KEYS.feed, JSON.stringify(feedItems.slice(-FEED_KEPT)));
}

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const statusElement = element('status');
const feed = element<HTMLOListElement>('feed');
const toasts = element('toasts');

const LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};
const TRANSPORT_LABELS: Record<TransportKind, string> = { websocket: 'WebSocket', sse: 'SSE' };

function setState(state: ConnectionState, kind: TransportKind): void {
  statusElement.dataset.state = state;
  statusElement.dataset.transport = kind;
  (statusElement.querySelector('.label') as HTMLElement).textContent =
    `${LABELS[state]} · ${TRANSPORT_LABELS[kind]}`;
}

function node(tag: string, className: string, text: string): HTMLElement {
  const result = document.createElement(tag);
  result.className = className;
  result.textContent = text;
  return result;
}

function unread(topic: string): number {
  const cursor = cursors.get(topic);
  if (cursor === null || cursor === undefined) return 0;
  return Math.max(0, cursor - (read.get(topic) ?? cursor));
}

function renderUnread(): void {
  let total = 0;
  for (const chip of element('topics').querySelectorAll<HTMLElement>('li[data-topic]')) {
    const count = unread(chip.dataset.topic as string);
    total += count;
    const badge = chip.querySelector('.badge') as HTMLElement;
    badge.textContent = String(count);
    badge.hidden = count === 0;
  }
  for (const item of feed.querySelectorAll<HTMLElement>('li[data-topic]')) {
    const topic = item.dataset.topic as string;
    item.classList.toggle('unread', Number(item.dataset.seq) > (read.get(topic) ?? Infinity));
  }
  document.title = total > 0 ? `(${total}) Push · wskit` : 'Push · wskit';
  element('mark-read').hidden = total === 0;
}

function markRead(topic: string): void {
  const cursor = cursors.get(topic);
  if (cursor !== null && cursor !== undefined) read.set(topic, cursor);
  save();
  renderUnread();
}

function renderItem(notification: StoredNotification): void {
  element('empty').hidden = true;
  const item = document.createElement('li');
  item.dataset.topic = notification.topic;
  item.dataset.seq = String(notification.seq);
  item.append(
    node(
      'div',
      'meta',
      `${notification.topic} #${notification.seq} · ${new Date(notification.time).toLocaleTimeString()}`,
    ),
    node('div', 'title', notification.title),
    node('div', 'body', notification.body),
  );
  feed.prepend(item);
}

function toast(notification: StoredNotification): void {
  const card = document.createElement('div');
  card.className = 'toast';
  card.append(node('div', 'title', notification.title), node('div', 'body', notification.body));
  toasts.append(card);
  while (toasts.childElementCount > 4) toasts.firstElementChild?.remove();
  setTimeout(() => card.remove(), 6_000);
  if ('Notification' in window && Notification.permission === 'granted' && document.hidden) {
    new Notification(notification.title, { body: notification.body, tag: notification.id });
  }
}

/** Shows a notification once: anything at or below the topic's cursor was shown already. */
function receive(notification: StoredNotification, live: boolean): void {
  const last = cursors.get(notification.topic);
  if (last === undefined || (last !== null && notification.seq <= last)) return;
  cursors.set(notification.topic, notification.seq);
  if (!read.has(notification.topic)) read.set(notification.topic, notification.seq - 1);
  feedItems.push(notification);
  if (feedItems.length > FEED_KEPT) feedItems.splice(0, feedItems.length - FEED_KEPT);
  renderItem(notification);
  if (live) toast(notification);
  save();
  renderUnread();
}

function renderTopics(): void {
  const list = element('topics');
  list.replaceChildren();
  for (const topic of cursors.keys()) {
    const chip = document.createElement('li');
    chip.dataset.topic = topic;
    const name = node('button', 'chip-name', topic) as HTMLButtonElement;
    name.type = 'button';
    name.title = `Mark ${topic} as read`;
    const badge = node('span', 'badge', '');
    badge.hidden = true;
    name.append(badge);
    name.addEventListener('click', () => markRead(topic));
    const remove = node('button', 'chip-remove', '×');
    remove.setAttribute('aria-label', `Unsubscribe from ${topic}`);
    remove.addEventListener('click', () => {
      cursors.delete(topic);
      read.delete(topic);
      save();
      renderTopics();
      transport.remove(topic);
    });
    chip.append(name, remove);
    list.append(chip);
  }
  renderUnread();
}

/**
 * Fills the feed from the history endpoint: what was missed since the cursor, or the latest
 * few of a topic never seen. A failure is not fatal: the live replay covers the gap.
 */
async function restore(topic: string): Promise<void> {
  const cursor = cursors.get(topic) ?? null;
  const query = cursor === null ? `limit=${FIRST_VISIT_HISTORY}` : `after=${cursor}&limit=200`;
  try {
    const response = await fetch(`/api/topics/${encodeURIComponent(topic)}/notifications?${query}`);
    const page = parseHistoryPage(await response.json());
    if (!page.ok) return;
    if (cursor === null) {
      // First visit: the topic's recent history is shown as already read.
      const first = page.value.notifications[0];
      cursors.set(topic, first === undefined ? page.value.head : first.seq - 1);
      read.set(topic, page.value.head);
    } else if (page.value.head < cursor) {
      // The server's store was reset: start over from its start.
      cursors.set(topic, 0);
      read.set(topic, 0);
    }
    for (const notification of page.value.notifications) receive(notification, false);
  } catch (error) {
    console.warn(`push: history of ${topic} unavailable:`, error);
  }
}

const transport = connect(
  {
    state: setState,
    cursor: (topic) => cursors.get(topic) ?? null,
    message(message) {
      if (message.type === 'subscribed') {
        // First subscription without history: start from the head.
        if (cursors.get(message.topic) === null) {
          cursors.set(message.topic, message.head);
          read.set(message.topic, message.head);
          save();
        }
      } else if (message.type === 'notification') {
        receive(message, true);
      } else if (message.type === 'error') {
        console.warn(`push: server error ${message.code}: ${message.message}`);
      }
    },
  },
  {
    wsUrl:
      params.get('ws') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
    retryMs: Number(params.get('retryMs') ?? 500),
    maxRetryMs: Number(params.get('maxRetryMs') ?? 5_000),
    forceSse: params.get('transport') === 'sse',
  },
);

element<HTMLFormElement>('topic-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = element<HTMLInputElement>('topic-input');
  const topic = input.value.trim();
  if (!isTopic(topic) || cursors.has(topic)) return;
  cursors.set(topic, null);
  input.value = '';
  renderTopics();
  await restore(topic);
  transport.add([topic]);
});

element('mark-read').addEventListener('click', () => {
  for (const topic of cursors.keys()) markRead(topic);
});

const permissionState = element('permission-state');
function showPermission(): void {
  permissionState.textContent =
    'Notification' in window ? Notification.permission : 'not supported';
}
element('permission').addEventListener('click', async () => {
  if ('Notification' in window) await Notification.requestPermission();
  showPermission();
});
showPermission();

/** For tests and debugging: the state the page shows. */
(window as unknown as { push: unknown }).push = {
  state: () => statusElement.dataset.state,
  transport: () => transport.kind,
  cursors: () => Object.fromEntries(cursors),
  unread: () => Object.fromEntries([...cursors.keys()].map((topic) => [topic, unread(topic)])),
};

// The stored feed first (only topics still subscribed), then the server's, then live.
for (const notification of feedItems) {
  if (cursors.has(notification.topic)) renderItem(notification);
}
renderTopics();
await Promise.all([...cursors.keys()].map(restore));
save();
renderUnread();
transport.add([...cursors.keys()]);
