/**
 * The inbox page: subscribes to topics over a ReconnectingWebSocket, remembers the last
 * sequence number seen per topic (localStorage) and sends it on every (re)connect, so the
 * server replays whatever was missed. Every server message is validated with the shared
 * schema; user content only ever reaches the DOM through textContent.
 */
import { ReconnectingWebSocket } from '@wskit/browser';
import { encode, isTopic, parseServerMessage, type StoredNotification } from '../shared/schema.js';

type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

const params = new URLSearchParams(location.search);
const STORAGE_KEY = 'push:cursors';

function loadCursors(): Record<string, number> {
  try {
    const value = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, number>) : {};
  } catch {
    return {};
  }
}

/** Last sequence number seen per topic; a topic subscribed but never seen maps to null. */
const cursors = new Map<string, number | null>();
const saved = loadCursors();
const initialTopics = (params.get('topics') ?? Object.keys(saved).join(',') ?? '')
  .split(',')
  .filter(isTopic);
for (const topic of initialTopics.length > 0 ? initialTopics : ['general']) {
  const seq = saved[topic];
  cursors.set(topic, typeof seq === 'number' ? seq : null);
}

function saveCursors(): void {
  const out: Record<string, number> = {};
  for (const [topic, seq] of cursors) out[topic] = seq ?? 0;
  localStorage.setItem(STORAGE_KEY, JSON.stringify(out));
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

function setState(state: ConnectionState): void {
  statusElement.dataset.state = state;
  (statusElement.querySelector('.label') as HTMLElement).textContent = LABELS[state];
}

function node(tag: string, className: string, text: string): HTMLElement {
  const result = document.createElement(tag);
  result.className = className;
  result.textContent = text;
  return result;
}

function render(notification: StoredNotification): void {
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

  const toast = document.createElement('div');
  toast.className = 'toast';
  toast.append(node('div', 'title', notification.title), node('div', 'body', notification.body));
  toasts.append(toast);
  while (toasts.childElementCount > 4) toasts.firstElementChild?.remove();
  setTimeout(() => toast.remove(), 6_000);

  if ('Notification' in window && Notification.permission === 'granted' && document.hidden) {
    new Notification(notification.title, { body: notification.body, tag: notification.id });
  }
}

function renderTopics(): void {
  const list = element('topics');
  list.replaceChildren();
  for (const topic of cursors.keys()) {
    const chip = document.createElement('li');
    chip.append(topic);
    const remove = node('button', '', '×');
    remove.setAttribute('aria-label', `Unsubscribe from ${topic}`);
    remove.addEventListener('click', () => {
      cursors.delete(topic);
      saveCursors();
      renderTopics();
      if (socket.readyState === 1)
        socket.send(encode({ v: 1, type: 'unsubscribe', topics: [topic] }));
    });
    chip.append(remove);
    list.append(chip);
  }
}

function subscribeMessage(topics: string[]): string {
  return encode({
    v: 1,
    type: 'subscribe',
    topics: topics.map((topic) => {
      const after = cursors.get(topic);
      return after === null || after === undefined ? { topic } : { topic, after };
    }),
  });
}

const wsUrl =
  params.get('ws') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
const socket = new ReconnectingWebSocket(wsUrl, {
  initialDelay: Number(params.get('retryMs') ?? 500),
  maxDelay: Number(params.get('maxRetryMs') ?? 5_000),
});

setState('connecting');
socket.addEventListener('open', () => {
  setState('live');
  socket.send(subscribeMessage([...cursors.keys()]));
});
socket.addEventListener('close', (event) => {
  setState(event.willReconnect ? (navigator.onLine ? 'reconnecting' : 'offline') : 'offline');
});
socket.addEventListener('reconnecting', () =>
  setState(navigator.onLine ? 'reconnecting' : 'offline'),
);
window.addEventListener('offline', () => setState('offline'));
socket.addEventListener('message', (event) => {
  if (typeof event.data !== 'string') return;
  const parsed = parseServerMessage(event.data);
  if (!parsed.ok) {
    console.warn('push: ignored a malformed server message:', parsed.error);
    return;
  }
  const message = parsed.value;
  if (message.type === 'subscribed') {
    // First subscription: start from the head (nothing old is replayed to a new reader).
    if (cursors.get(message.topic) === null) {
      cursors.set(message.topic, message.head);
      saveCursors();
    }
  } else if (message.type === 'notification') {
    const last = cursors.get(message.topic);
    if (last === undefined || (last !== null && message.seq <= last)) return;
    cursors.set(message.topic, message.seq);
    saveCursors();
    render(message);
  } else if (message.type === 'error') {
    console.warn(`push: server error ${message.code}: ${message.message}`);
  }
});

element<HTMLFormElement>('topic-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = element<HTMLInputElement>('topic-input');
  const topic = input.value.trim();
  if (!isTopic(topic) || cursors.has(topic)) return;
  cursors.set(topic, null);
  input.value = '';
  renderTopics();
  if (socket.readyState === 1) socket.send(subscribeMessage([topic]));
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
renderTopics();
saveCursors();

/** For tests and debugging: the state the page shows. */
(window as unknown as { push: unknown }).push = {
  state: () => statusElement.dataset.state,
  cursors: () => Object.fromEntries(cursors),
};
