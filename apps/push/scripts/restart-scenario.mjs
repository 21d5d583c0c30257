/**
 * Rolling restart of the push app, measured (issue 15, "restarts without loss"): redis-server,
 * two push processes (the built dist/server/node.js, REDIS_URL), nginx in front with both in
 * its upstream, subscribers (Node clients speaking the page's protocol with the page's
 * ReconnectingWebSocket settings, plus real Chromium pages loading the actual page), and a
 * publisher POSTing at a steady rate through nginx. Process A gets SIGTERM, is started again
 * and waited for, then B, while publishing goes on. At the end every subscriber's receipts are
 * compared with the topic's log in Redis: lost, duplicated, out of order.
 *
 * `resume: false` is the control: clients resubscribe without their `after` cursor, as a
 * client that ignores sequence numbers would; the same counters then report the notifications
 * published while a client was away as lost, which is how the counters are known to work.
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
const TOKEN = 'restart-test-token';
const TOPIC = 'restart';
/** The page's reconnect settings (web/app.ts defaults: retryMs 500, maxRetryMs 5000). */
const RETRY = { initialDelay: 500, maxDelay: 5_000 };
const CHROMIUM = '/usr/bin/chromium';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** ws's WebSocket, remembering which app process nginx sent the handshake to. */
class TracedWebSocket extends WsWebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    this.upstream = undefined;
    this.once('upgrade', (response) => {
      this.upstream = response.headers['x-upstream'];
    });
  }
}

/** What every subscriber records: receipts, connections (where, when) and closes (code). */
function newRecord(id, kind) {
  return { id, kind, receipts: [], opens: [], closes: [], errors: [] };
}

/** A Node subscriber: the page's transport (subscribe with `after`, resume on reconnect). */
function nodeSubscriber(id, url, processes, { resume, t0 }) {
  const record = newRecord(id, 'node');
  let cursor = null;
  let current;
  // The underlying socket is not exposed: the last one constructed is the one that opens.
  const Traced = class extends TracedWebSocket {
    constructor(...args) {
      super(...args);
      current = this;
    }
  };
  const live = new ReconnectingWebSocket(url, { ...RETRY, WebSocket: Traced });
  live.addEventListener('open', () => {
    record.opens.push({ t: Date.now() - t0, on: upstreamName(current?.upstream, processes) });
    const after = resume ? cursor : null;
    live.send(
      JSON.stringify({
        v: 1,
        type: 'subscribe',
        topics: [after === null ? { topic: TOPIC } : { topic: TOPIC, after }],
      }),
    );
  });
  live.addEventListener('error', (event) => {
    record.errors.push({ t: Date.now() - t0, message: event.message });
  });
  live.addEventListener('close', (event) => {
    record.closes.push({ t: Date.now() - t0, code: event.code, reason: event.reason });
  });
  live.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data));
    if (message.type === 'subscribed' && cursor === null) cursor = message.head;
    if (message.type !== 'notification') return;
    record.receipts.push({ seq: message.seq, t: Date.now() - t0 });
    if (message.seq > (cursor ?? 0)) cursor = message.seq;
  });
  return {
    record,
    connectedTo: () => (live.readyState === 1 ? record.opens.at(-1)?.on : undefined),
    ready: () => cursor !== null,
    close: () => live.close(),
  };
}

/**
 * Injected into the real page before its scripts run: wraps WebSocket to note every
 * notification frame and every close code, without changing what the page does with them.
 */
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
          if (message.type === 'notification') {
            log.receipts.push({ seq: message.seq, at: Date.now() });
          }
        } catch {}
      });
      this.addEventListener('close', (event) => {
        log.closes.push({ code: event.code, reason: event.reason, at: Date.now() });
      });
    }
  };
}

/** A real Chromium page on the push page; the app process of each handshake comes from CDP. */
async function pageSubscriber(browser, id, base, processes, t0) {
  const record = newRecord(id, 'chromium');
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(instrumentPage);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const sockets = new Map();
  let open;
  cdp.on('Network.webSocketHandshakeResponseReceived', ({ requestId, response }) => {
    const header = response.headers['X-Upstream'] ?? response.headers['x-upstream'];
    const on = upstreamName(header, processes);
    sockets.set(requestId, on);
    open = on;
    record.opens.push({ t: Date.now() - t0, on });
  });
  cdp.on('Network.webSocketClosed', ({ requestId }) => {
    if (sockets.get(requestId) === open) open = undefined;
  });
  await page.goto(`${base}/?topics=${TOPIC}`);
  await page.waitForFunction(() => window.push?.state() === 'live', null, { timeout: 15_000 });
  return {
    record,
    connectedTo: () => open,
    ready: () => record.opens.length > 0,
    async collect() {
      const log = await page.evaluate(() => window.__restart);
      record.receipts = log.receipts.map((r) => ({ seq: r.seq, t: r.at - t0 }));
      record.closes = log.closes.map((c) => ({ code: c.code, reason: c.reason, t: c.at - t0 }));
      // What the user sees: the feed's items (the page shows a sequence number once).
      record.shown = await page.$$eval('#feed li[data-seq]', (items) =>
        items.map((item) => Number(item.dataset.seq)),
      );
    },
    close: () => context.close(),
  };
}

/** POSTs one notification per 1/rate s through nginx; a refused POST is retried (same title). */
function publisher(base, rate, t0) {
  const accepted = [];
  const failures = [];
  let stopped = false;
  let index = 0;
  const done = (async () => {
    const start = Date.now();
    while (!stopped) {
      const i = index++;
      const due = start + (i * 1000) / rate;
      if (due > Date.now()) await sleep(due - Date.now());
      if (stopped) break;
      for (let attempt = 1; attempt <= 20; attempt++) {
        try {
          const response = await fetch(`${base}/api/notify`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
            body: JSON.stringify({ topic: TOPIC, title: `n${i}`, body: `published #${i}` }),
          });
          if (response.status === 202) {
            const { seq } = await response.json();
            accepted.push({ i, seq, t: Date.now() - t0, attempts: attempt });
            break;
          }
          failures.push({ i, t: Date.now() - t0, status: response.status });
        } catch (error) {
          failures.push({ i, t: Date.now() - t0, status: String(error.cause?.code ?? error) });
        }
        await sleep(100);
      }
    }
  })();
  return {
    accepted,
    failures,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/** The whole topic log, from the store (Redis) straight from one process, page by page. */
async function readLog(base) {
  const log = [];
  let after = 0;
  for (;;) {
    const response = await fetch(
      `${base}/api/topics/${TOPIC}/notifications?after=${after}&limit=200`,
    );
    if (!response.ok) throw new Error(`GET ${response.url}: ${response.status}`);
    const page = await response.json();
    log.push(...page.notifications);
    if (page.notifications.length === 0 || after >= page.head) return log;
    after = page.notifications.at(-1).seq;
    if (after >= page.head) return log;
  }
}

/** Lost, duplicated and out-of-order receipts of one subscriber against the log's seqs. */
export function countReceipts(expected, receipts) {
  const seen = new Map();
  let outOfOrder = 0;
  let last = 0;
  for (const { seq } of receipts) {
    seen.set(seq, (seen.get(seq) ?? 0) + 1);
    if (seq < last) outOfOrder += 1;
    last = Math.max(last, seq);
  }
  let lost = 0;
  for (const seq of expected) if (!seen.has(seq)) lost += 1;
  let duplicated = 0;
  for (const count of seen.values()) if (count > 1) duplicated += count - 1;
  const unexpected = [...seen.keys()].filter((seq) => !expected.has(seq)).length;
  return { received: receipts.length, lost, duplicated, outOfOrder, unexpected };
}

/**
 * Runs the scenario; returns the counts per subscriber, the totals, the restart events and a
 * timeline (per 250 ms: deliveries, and subscribers connected to each process).
 */
export async function runPushRestart({
  nodeClients = 20,
  browserPages = 1,
  rate = 10,
  steadyMs = 2_000,
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
      env: { PUSH_TOKEN: TOKEN, PUSH_MAX_PER_TOPIC: '100000' },
      upstream: 'server 127.0.0.1:3001;',
      listen: 'listen 8080;',
      cleanup,
    });
    const base = `http://127.0.0.1:${nginx.port}`;
    mark('processes up');

    const subscribers = [];
    for (let i = 0; i < nodeClients; i++) {
      const subscriber = nodeSubscriber(`node-${i}`, `ws://127.0.0.1:${nginx.port}/ws`, processes, {
        resume,
        t0,
      });
      subscribers.push(subscriber);
      cleanup.push(() => subscriber.close());
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
        subscribers.push(await pageSubscriber(browser, `page-${i}`, base, processes, t0));
      }
    }
    const deadline = Date.now() + 20_000;
    while (!subscribers.every((s) => s.ready())) {
      if (Date.now() > deadline) throw new Error('subscribers did not all subscribe');
      await sleep(50);
    }
    mark('subscribers ready');

    const sampler = setInterval(() => {
      const connected = Object.fromEntries(processes.map((p) => [p.name, 0]));
      for (const s of subscribers) {
        const on = s.connectedTo();
        if (on !== undefined && on in connected) connected[on] += 1;
      }
      timeline.push({ t: Date.now() - t0, connected });
    }, 250);
    cleanup.push(() => clearInterval(sampler));

    const publishing = publisher(base, rate, t0);
    mark('publishing');
    await sleep(steadyMs);
    const restarts = await rollingRestart(processes, { clock, downMs, steadyMs });
    await publishing.stop();
    mark('publishing stopped');

    const published = await readLog(`http://127.0.0.1:${processes[0].port}`);
    const last = published.at(-1)?.seq ?? 0;
    // Everyone should reach the last seq; wait for the stragglers (bounded), then count.
    const settle = Date.now() + 10_000;
    while (Date.now() < settle) {
      const behind = subscribers.filter(
        (s) => s.record.kind === 'node' && (s.record.receipts.at(-1)?.seq ?? 0) < last,
      );
      if (behind.length === 0) break;
      await sleep(100);
    }
    await sleep(500);
    for (const s of subscribers) await s.collect?.();
    mark('counted');

    const expected = new Set(published.map((n) => n.seq));
    const titles = new Map();
    for (const n of published) titles.set(n.title, (titles.get(n.title) ?? 0) + 1);
    const acceptedMissing = publishing.accepted.filter((a) => !expected.has(a.seq)).length;
    const clients = subscribers.map(({ record }) => {
      const counts = countReceipts(expected, record.receipts);
      const closes1012 = record.closes.filter((c) => c.code === 1012).length;
      const { movedAfter1012, stayedAfter1012, reconnectMs } = reconnectsAfter1012(
        record,
        restarts,
      );
      const shown =
        record.shown === undefined
          ? undefined
          : countReceipts(expected, record.shown.map((seq) => ({ seq })).reverse());
      return {
        id: record.id,
        kind: record.kind,
        ...counts,
        closes: record.closes.map((c) => c.code),
        errors: record.errors.map((e) => e.message),
        closes1012,
        connections: record.opens.map((o) => o.on),
        trace: [
          ...record.opens.map((o) => ({ t: o.t, open: o.on })),
          ...record.closes.map((c) => ({ t: c.t, close: c.code })),
        ].sort((a, b) => a.t - b.t),
        movedAfter1012,
        stayedAfter1012,
        reconnectMs,
        ...(shown === undefined ? {} : { shown }),
      };
    });
    const sum = (key) => clients.reduce((total, c) => total + c[key], 0);
    const deliveries = subscribers.flatMap((s) => s.record.receipts.map((r) => r.t));
    return {
      app: 'push',
      config: { nodeClients, browserPages, rate, steadyMs, downMs, resume },
      published: {
        count: published.length,
        lastSeq: last,
        accepted: publishing.accepted.length,
        acceptedMissingFromLog: acceptedMissing,
        postFailures: publishing.failures.length,
        postFailureStatuses: [...new Set(publishing.failures.map((f) => String(f.status)))],
        publisherDuplicates: [...titles.values()].filter((n) => n > 1).length,
        retriedPosts: publishing.accepted.filter((a) => a.attempts > 1).length,
      },
      totals: {
        subscribers: clients.length,
        received: sum('received'),
        lost: sum('lost'),
        duplicated: sum('duplicated'),
        outOfOrder: sum('outOfOrder'),
        unexpected: sum('unexpected'),
        closes1012: sum('closes1012'),
        otherCloses: clients.reduce((n, c) => n + c.closes.filter((x) => x !== 1012).length, 0),
        reconnects: clients.reduce((n, c) => n + c.connections.length - 1, 0),
        movedAfter1012: sum('movedAfter1012'),
        stayedAfter1012: sum('stayedAfter1012'),
      },
      restarts,
      events,
      timeline,
      deliveries,
      publishTimes: publishing.accepted.map((a) => a.t),
      clients,
    };
  } finally {
    for (const step of cleanup.reverse()) await step()?.catch?.(() => undefined);
  }
}
