/**
 * Rolling restart of the chat, measured (issue 15, "restarts without loss"): redis-server, two
 * chat processes (dist/server/node.js, REDIS_URL), nginx in front with both in its upstream,
 * members of the lobby writing messages throughout: Node clients that follow the page's rules
 * (web/app.ts: resend unacknowledged messages once per new connection after rejoining with
 * `lastSeen`; an error naming the message, or no ack within 10 s while connected, marks it
 * failed) and real Chromium pages typing into the actual page. Process A gets SIGTERM, is
 * started again, then B. At the end every message written is classified: acknowledged and
 * received by every member exactly once, or reported failed to its sender; anything else
 * (never acknowledged nor failed, or acknowledged but missing at a member) is a silent loss.
 *
 * `resume: false` is the control: clients rejoin without `lastSeen` and never resend, so
 * messages written or broadcast during an outage are counted as lost.
 *
 * Used by scripts/restart.mjs (the full run and its report) and test/restart.test.ts (small).
 */
import { fileURLToPath } from 'node:url';
import { ReconnectingWebSocket } from '@wskit/browser';
import { chromium } from 'playwright-core';
import { WebSocket as WsWebSocket } from 'ws';
import { upstreamName } from '../../../scripts/lib/restart-processes.mjs';
import {
  reconnectsAfter1012,
  rollingRestart,
  scenarioClock,
  startAppStack,
} from '../../../scripts/lib/restart-run.mjs';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const ROOM = 'lobby';
/** The page's settings (web/app.ts). */
const RETRY = { initialDelay: 250, maxDelay: 5_000, minUptime: 2_000 };
const ACK_TIMEOUT_MS = 10_000;
const CHROMIUM = '/usr/bin/chromium';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A member: the page's send/ack/resend logic over the page's ReconnectingWebSocket. */
function nodeMember(index, url, processes, { resume, t0 }) {
  const userId = `user-${index}`;
  const record = {
    id: `node-${index}`,
    kind: 'node',
    userId,
    receipts: [],
    opens: [],
    closes: [],
    sent: new Map(),
  };
  let current;
  const Traced = class extends WsWebSocket {
    constructor(...args) {
      super(...args);
      current = this;
      this.once('upgrade', (response) => {
        this.upstream = response.headers['x-upstream'];
      });
    }
  };
  const socket = new ReconnectingWebSocket(url, { ...RETRY, WebSocket: Traced });
  let connection = 0;
  let joined = false;
  let lastSeen;
  const pending = new Map();
  const send = (message) => {
    if (socket.readyState !== 1) return false;
    socket.send(JSON.stringify({ v: 1, ...message }));
    return true;
  };
  const transmit = (ref) => {
    const entry = pending.get(ref);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    if (send({ type: 'say', room: ROOM, id: ref, text: entry.text })) {
      entry.sentOn = connection;
      record.sent.get(ref).transmissions += 1;
      entry.timer = setTimeout(() => {
        if (pending.get(ref) === entry && socket.readyState === 1) fail(ref, 'no ack');
      }, ACK_TIMEOUT_MS);
    }
  };
  const fail = (ref, why) => {
    const entry = pending.get(ref);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    pending.delete(ref);
    Object.assign(record.sent.get(ref), { state: 'failed', why });
  };
  socket.addEventListener('open', () => {
    connection += 1;
    record.opens.push({ t: Date.now() - t0, on: upstreamName(current?.upstream, processes) });
    const join = { type: 'join', room: ROOM, nick: `n${index}`, userId };
    if (resume && lastSeen !== undefined) join.lastSeen = lastSeen;
    send(join);
  });
  socket.addEventListener('close', (event) => {
    joined = false;
    record.closes.push({ t: Date.now() - t0, code: event.code });
    for (const entry of pending.values()) clearTimeout(entry.timer);
  });
  const receive = (message, source) => {
    record.receipts.push({ id: message.id, userId: message.userId, ref: message.ref, source });
    if (lastSeen === undefined || message.id > lastSeen) lastSeen = message.id;
  };
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data));
    switch (message.type) {
      case 'joined':
        joined = true;
        // The control takes the history of its first join only, and gives up messages not
        // acknowledged silently instead of resending them.
        if (resume || lastSeen === undefined) {
          for (const entry of message.history) receive(entry, 'replay');
        }
        if (!resume) pending.clear();
        for (const [ref, entry] of pending) if (entry.sentOn !== connection) transmit(ref);
        break;
      case 'message':
        receive(message.message, 'live');
        break;
      case 'ack': {
        const entry = pending.get(message.id);
        if (entry !== undefined) clearTimeout(entry.timer);
        pending.delete(message.id);
        const sent = record.sent.get(message.id);
        if (sent !== undefined)
          Object.assign(sent, { state: 'acked', messageId: message.messageId });
        break;
      }
      case 'error':
        if (message.ref !== undefined) fail(message.ref, message.code);
        break;
    }
  });
  let count = 0;
  return {
    record,
    ready: () => joined,
    connectedTo: () => (socket.readyState === 1 ? record.opens.at(-1)?.on : undefined),
    say() {
      const ref = `${userId}-m${count++}`;
      const text = `message ${ref}`;
      record.sent.set(ref, { ref, state: 'pending', transmissions: 0, t: Date.now() - t0 });
      pending.set(ref, { text, sentOn: 0, timer: undefined });
      // Like the page: written while disconnected, it waits for the rejoin.
      if (joined) transmit(ref);
    },
    pending: () => pending.size,
    close: () => socket.close(),
  };
}

/** Injected into the real page: notes the chat messages it receives and its close codes. */
function instrumentPage() {
  const log = { receipts: [], closes: [] };
  window.__restart = log;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        try {
          const message = JSON.parse(event.data);
          if (message.type === 'message') log.receipts.push({ ...message.message, source: 'live' });
          if (message.type === 'joined') {
            for (const entry of message.history) log.receipts.push({ ...entry, source: 'replay' });
          }
        } catch {}
      });
      this.addEventListener('close', (event) =>
        log.closes.push({ code: event.code, at: Date.now() }),
      );
    }
  };
}

/** A real Chromium page: types into the composer; its sends are judged by what it shows. */
async function pageMember(browser, index, base, processes, t0, log) {
  const record = {
    id: `page-${index}`,
    kind: 'chromium',
    userId: undefined,
    receipts: [],
    opens: [],
    closes: [],
    sent: new Map(),
  };
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(instrumentPage);
  page.on('pageerror', (error) => log(`page-${index}: error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      log(`page-${index}: console ${message.type()}: ${message.text()}`);
    }
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  let open;
  const sockets = new Map();
  record.cdp = [];
  const note = (what) => record.cdp.push(`${Date.now() - t0} ${what}`);
  cdp.on('Network.webSocketCreated', ({ requestId }) => note(`created ${requestId}`));
  cdp.on('Network.webSocketFrameError', ({ requestId, errorMessage }) =>
    note(`frame error ${requestId} ${errorMessage}`),
  );
  cdp.on('Network.webSocketClosed', ({ requestId }) => note(`closed ${requestId}`));
  cdp.on('Network.webSocketHandshakeResponseReceived', ({ requestId, response }) =>
    note(
      `response ${requestId} ${response.status} ${response.headers['X-Upstream'] ?? response.headers['x-upstream']}`,
    ),
  );
  cdp.on('Network.webSocketHandshakeResponseReceived', ({ requestId, response }) => {
    open = upstreamName(
      response.headers['X-Upstream'] ?? response.headers['x-upstream'],
      processes,
    );
    sockets.set(requestId, open);
    record.opens.push({ t: Date.now() - t0, on: open });
  });
  cdp.on('Network.webSocketClosed', ({ requestId }) => {
    if (sockets.get(requestId) === open) open = undefined;
  });
  await page.goto(base);
  await page.waitForSelector('#status[data-state="live"]');
  await page.fill('#nick', `page${index}`);
  await page.press('#nick', 'Enter');
  await page.locator('#nick').blur();
  await page.waitForFunction(() =>
    document.querySelector('#room-title')?.textContent?.includes('# lobby'),
  );
  record.userId = await page.evaluate(() => localStorage.getItem('wskit-chat-user'));
  let count = 0;
  return {
    record,
    ready: () => true,
    connectedTo: () => open,
    async say() {
      const text = `message page-${index}-m${count++}`;
      record.sent.set(text, { ref: text, state: 'pending', t: Date.now() - t0 });
      // Bounded: a page starved of CPU must not hold the scenario up; a message that could
      // not be typed is not counted as written.
      try {
        await page.fill('#text', text, { timeout: 5_000 });
        await page.press('#text', 'Enter', { timeout: 5_000 });
      } catch (error) {
        record.sent.delete(text);
        record.typingFailures = (record.typingFailures ?? 0) + 1;
        log(`page-${index}: could not type a message: ${error.message.split('\n')[0]}`);
      }
    },
    pending: () => 0,
    /** The page's own view: each own message shown once, as delivered, failed or sending. */
    async collect() {
      record.status = await page.evaluate(() => ({
        status: document.querySelector('#status-text')?.textContent,
        title: document.querySelector('#room-title')?.textContent,
        shown: document.querySelectorAll('#messages li:not(.notice)').length,
        textDisabled: document.querySelector('#text')?.disabled,
      }));
      const log = await page.evaluate(() => window.__restart);
      record.receipts = log.receipts.map((m) => ({
        id: m.id,
        userId: m.userId,
        ref: m.ref,
        text: m.text,
        source: m.source,
      }));
      record.closes = log.closes.map((c) => ({ code: c.code, t: c.at - t0 }));
      const shown = await page.$$eval('#messages li.own', (items) =>
        items.map((item) => ({
          text: item.querySelector('.body')?.textContent ?? '',
          state: item.classList.contains('failed')
            ? 'failed'
            : item.classList.contains('pending')
              ? 'pending'
              : item.querySelector('.delivery') !== null
                ? 'acked'
                : 'shown',
        })),
      );
      for (const sent of record.sent.values()) {
        const items = shown.filter((item) => item.text === sent.ref);
        sent.shownTimes = items.length;
        sent.state = items[0]?.state ?? 'missing';
        // The server's id for an acknowledged own message, from what the page received.
        sent.messageId = record.receipts.find((m) => m.text === sent.ref)?.id;
      }
    },
    close: () => context.close(),
  };
}

/** Classifies every message written, against what every member received. */
export function countMessages(members) {
  const byId = new Map();
  for (const member of members) {
    for (const receipt of member.record.receipts) byId.set(receipt.id, receipt);
  }
  const result = {
    written: 0,
    acked: 0,
    failed: 0,
    failedButDelivered: 0,
    unresolved: 0,
    lostAtMembers: 0,
    storedTwice: 0,
    duplicatedReceipts: 0,
    redundantReplays: 0,
  };
  // A message written once and stored under two ids would be shown twice.
  const idsByRef = new Map();
  for (const receipt of byId.values()) {
    const key = `${receipt.userId}/${receipt.ref}`;
    idsByRef.set(key, (idsByRef.get(key) ?? new Set()).add(receipt.id));
  }
  for (const ids of idsByRef.values()) if (ids.size > 1) result.storedTwice += ids.size - 1;
  for (const member of members) {
    const seen = new Map();
    for (const receipt of member.record.receipts) {
      const before = seen.get(receipt.id);
      if (before === undefined) seen.set(receipt.id, receipt.source);
      // The same id live and in a rejoin's replay (or twice live) is merged by id on the page.
      else if (before !== receipt.source) result.redundantReplays += 1;
      else result.duplicatedReceipts += 1;
    }
    member.seenIds = new Set(seen.keys());
  }
  for (const member of members) {
    for (const sent of member.record.sent.values()) {
      result.written += 1;
      const messageId =
        sent.messageId ?? [...(idsByRef.get(`${member.record.userId}/${sent.ref}`) ?? [])][0];
      if (sent.state === 'acked') {
        result.acked += 1;
        for (const other of members) {
          if (messageId === undefined || !other.seenIds.has(messageId)) {
            result.lostAtMembers += 1;
            other.missing = [...(other.missing ?? []), messageId];
          }
        }
      } else if (sent.state === 'failed') {
        result.failed += 1;
        if (messageId !== undefined) result.failedButDelivered += 1;
      } else {
        result.unresolved += 1;
      }
    }
  }
  return result;
}

/**
 * Runs the scenario; returns the counts, the restart events and a timeline (per 250 ms: messages
 * received, and members connected to each process).
 */
export async function runChatRestart({
  nodeClients = 10,
  browserPages = 1,
  messagesPerSecondPerClient = 0.5,
  steadyMs = 2_500,
  downMs = 300,
  resume = true,
  log = () => {},
} = {}) {
  const cleanup = [];
  const timeline = [];
  const clock = scenarioClock(log);
  const { t0, events, mark } = clock;
  try {
    const { processes, nginx } = await startAppStack({
      appDir: APP_DIR,
      upstream: 'server 127.0.0.1:3000;',
      listen: 'listen 127.0.0.1:8080;',
      cleanup,
    });
    const base = `http://127.0.0.1:${nginx.port}/`;
    mark('processes up');

    const members = [];
    for (let i = 0; i < nodeClients; i++) {
      const member = nodeMember(i, `ws://127.0.0.1:${nginx.port}/ws`, processes, { resume, t0 });
      members.push(member);
      cleanup.push(() => member.close());
    }
    if (browserPages > 0) {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--disable-background-networking',
        ],
      });
      cleanup.push(() => browser.close());
      for (let i = 0; i < browserPages; i++) {
        members.push(await pageMember(browser, i, base, processes, t0, log));
      }
    }
    const deadline = Date.now() + 20_000;
    while (!members.every((m) => m.ready())) {
      if (Date.now() > deadline) throw new Error('members did not all join');
      await sleep(50);
    }
    mark('members joined');

    const sampler = setInterval(() => {
      const connected = Object.fromEntries(processes.map((p) => [p.name, 0]));
      for (const m of members) {
        const on = m.connectedTo();
        if (on !== undefined && on in connected) connected[on] += 1;
      }
      const received = members.reduce((n, m) => n + m.record.receipts.length, 0);
      timeline.push({ t: Date.now() - t0, connected, received });
    }, 250);
    cleanup.push(() => clearInterval(sampler));

    // Every member writes at its own steady pace, offset so the writes are spread out.
    let writing = true;
    const writers = members.map(async (member, i) => {
      const interval = 1000 / messagesPerSecondPerClient;
      await sleep((interval * i) / members.length);
      while (writing) {
        await member.say();
        await sleep(interval);
      }
    });
    mark('writing');
    await sleep(steadyMs);
    const restarts = await rollingRestart(processes, { clock, downMs, steadyMs });
    writing = false;
    await Promise.all(writers);
    mark('writing stopped');
    // Acks outstanding are answered, or time out as failed (10 s), like on the page.
    const settle = Date.now() + ACK_TIMEOUT_MS + 2_000;
    while (Date.now() < settle && members.some((m) => m.pending() > 0)) await sleep(100);
    await sleep(1_000);
    for (const m of members) await m.collect?.();
    mark('counted');
    if (process.env.RESTART_DEBUG) log(nginx.output());

    const counts = countMessages(members);
    const clients = members.map(({ record, missing = [] }) => {
      const { movedAfter1012, stayedAfter1012, reconnectMs } = reconnectsAfter1012(
        record,
        restarts,
      );
      const sent = [...record.sent.values()];
      return {
        id: record.id,
        kind: record.kind,
        written: sent.length,
        acked: sent.filter((s) => s.state === 'acked').length,
        failed: sent.filter((s) => s.state === 'failed').length,
        unresolved: sent.filter((s) => s.state !== 'acked' && s.state !== 'failed').length,
        resent: sent.filter((s) => (s.transmissions ?? 0) > 1).length,
        shownTwice: sent.filter((s) => (s.shownTimes ?? 1) > 1).length,
        received: new Set(record.receipts.map((r) => r.id)).size,
        highestId: Math.max(0, ...record.receipts.map((r) => r.id)),
        /** Acknowledged messages this member never received (their ids, sorted). */
        missing: missing.sort((a, b) => a - b),
        closes: record.closes.map((c) => c.code),
        closes1012: record.closes.filter((c) => c.code === 1012).length,
        ...(record.status === undefined
          ? {}
          : {
              pageState: record.status,
              typingFailures: record.typingFailures ?? 0,
              ...(process.env.RESTART_DEBUG ? { cdp: record.cdp, pageCloses: record.closes } : {}),
            }),
        connections: record.opens.map((o) => o.on),
        movedAfter1012,
        stayedAfter1012,
        reconnectMs,
      };
    });
    const sum = (key) => clients.reduce((total, c) => total + c[key], 0);
    return {
      app: 'chat',
      config: { nodeClients, browserPages, messagesPerSecondPerClient, steadyMs, downMs, resume },
      totals: {
        members: members.length,
        ...counts,
        resent: sum('resent'),
        shownTwice: sum('shownTwice'),
        closes1012: sum('closes1012'),
        otherCloses: clients.reduce((n, c) => n + c.closes.filter((x) => x !== 1012).length, 0),
        reconnects: clients.reduce((n, c) => n + c.connections.length - 1, 0),
        movedAfter1012: sum('movedAfter1012'),
        stayedAfter1012: sum('stayedAfter1012'),
      },
      restarts,
      events,
      timeline,
      clients,
    };
  } finally {
    for (const step of cleanup.reverse()) await step()?.catch?.(() => undefined);
  }
}
