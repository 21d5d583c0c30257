/**
 * Restarts without loss (issue 15): runs the rolling-restart scenarios of the push app and the
 * chat (apps/push/scripts/restart-scenario.mjs, apps/chat/scripts/restart-scenario.mjs) at full
 * size, then their controls (clients without resume, which the same counters must catch), and
 * writes the report: report.md, report.json and SVG charts.
 *
 *   npx -y pnpm@12.4.2 exec turbo run build --filter @wskit/app-push --filter @wskit/app-chat
 *   node scripts/restart.mjs [--report docs/restart] [--push-clients 150] [--push-pages 3]
 *        [--rate 20] [--chat-clients 30] [--chat-pages 2] [--chat-rate 0.5] [--steady-ms 5000]
 *
 * Needs redis-server, nginx and /usr/bin/chromium. Exits 1 when a run lost, duplicated or
 * reordered anything, or when a control did not count losses.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runChatRestart } from '../apps/chat/scripts/restart-scenario.mjs';
import { runPushRestart } from '../apps/push/scripts/restart-scenario.mjs';
import { lineChart } from './lib/svg-chart.mjs';

const { values } = parseArgs({
  options: {
    report: { type: 'string', default: 'docs/restart' },
    'push-clients': { type: 'string', default: '150' },
    'push-pages': { type: 'string', default: '3' },
    rate: { type: 'string', default: '20' },
    'chat-clients': { type: 'string', default: '30' },
    'chat-pages': { type: 'string', default: '2' },
    'chat-rate': { type: 'string', default: '0.5' },
    'steady-ms': { type: 'string', default: '5000' },
  },
});
const number = (name) => {
  const value = Number(values[name]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number`);
  return value;
};
const log = (line) => console.log(line);
const steadyMs = number('steady-ms');

console.log('push: rolling restart');
const push = await runPushRestart({
  nodeClients: number('push-clients'),
  browserPages: number('push-pages'),
  rate: number('rate'),
  steadyMs,
  log,
});
console.log('push: control (no resume by sequence number)');
const pushControl = await runPushRestart({
  nodeClients: 20,
  browserPages: 0,
  rate: number('rate'),
  steadyMs: 2_000,
  resume: false,
  log,
});
console.log('chat: rolling restart');
const chat = await runChatRestart({
  nodeClients: number('chat-clients'),
  browserPages: number('chat-pages'),
  messagesPerSecondPerClient: number('chat-rate'),
  steadyMs,
  log,
});
console.log('chat: control (no resend, no replay)');
const chatControl = await runChatRestart({
  nodeClients: 10,
  browserPages: 0,
  messagesPerSecondPerClient: 2,
  steadyMs: 2_000,
  resume: false,
  log,
});

// ---- figures --------------------------------------------------------------------------------

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function reconnectStats(result, kind) {
  const delays = result.clients
    .filter((c) => kind === undefined || c.kind === kind)
    .flatMap((c) => c.reconnectMs)
    .sort((a, b) => a - b);
  return {
    count: delays.length,
    p50: percentile(delays, 50),
    p95: percentile(delays, 95),
    max: delays.at(-1) ?? 0,
  };
}

/** Counts per `binMs` of the times in `ts`, as a rate per second, divided by `per`. */
function ratePoints(ts, end, binMs, per = 1) {
  const bins = new Array(Math.ceil(end / binMs) + 1).fill(0);
  for (const t of ts) bins[Math.floor(t / binMs)] += 1;
  return bins.map((n, i) => [(i * binMs) / 1000, (n * 1000) / binMs / per]);
}

/** Restart markers for the charts: SIGTERM and healthy again, per process. */
function marks(result) {
  return result.events
    .filter((e) => /^SIGTERM|healthy again$/.test(e.name))
    .map((e) => ({
      x: e.t / 1000,
      name: e.name.startsWith('SIGTERM') ? `${e.name.slice(8)} stop` : `${e.name[0]} up`,
    }));
}

function connectionChart(result, title) {
  const names = Object.keys(result.timeline[0]?.connected ?? {});
  return lineChart({
    title,
    xLabel: 'time (s)',
    yLabel: 'connected clients',
    marks: marks(result),
    series: names.map((name) => ({
      name: `on process ${name}`,
      points: result.timeline.map((s) => [s.t / 1000, s.connected[name]]),
    })),
  });
}

const pushStart = push.events.find((e) => e.name === 'publishing').t;
const pushEnd = push.events.find((e) => e.name === 'counted').t;
const chatEnd = chat.events.find((e) => e.name === 'counted').t;
const chatReceived = chat.timeline.map((s, i) => [
  s.t / 1000,
  i === 0
    ? 0
    : ((s.received - chat.timeline[i - 1].received) * 1000) /
      (s.t - chat.timeline[i - 1].t) /
      chat.totals.members,
]);

const charts = {
  'push-deliveries.svg': lineChart({
    title: `Push: notifications per second (${push.totals.subscribers} subscribers, 500 ms bins)`,
    xLabel: 'time (s)',
    yLabel: 'notifications / s',
    marks: marks(push),
    series: [
      {
        name: 'published (accepted by the API)',
        points: ratePoints(push.publishTimes, pushEnd, 500),
      },
      {
        name: 'received, per subscriber (mean)',
        points: ratePoints(push.deliveries, pushEnd, 500, push.totals.subscribers),
      },
    ].map((s) => ({ ...s, points: s.points.filter(([x]) => x * 1000 >= pushStart - 1000) })),
  }),
  'push-connections.svg': connectionChart(push, 'Push: subscribers connected to each process'),
  'chat-messages.svg': lineChart({
    title: `Chat: messages received per second, per member (${chat.totals.members} members)`,
    xLabel: 'time (s)',
    yLabel: 'messages / s',
    marks: marks(chat),
    series: [{ name: 'received, per member (mean, 250 ms samples)', points: chatReceived }],
  }),
  'chat-connections.svg': connectionChart(chat, 'Chat: members connected to each process'),
};

const summary = {
  date: new Date().toISOString(),
  node: process.version,
  push: strip(push),
  pushControl: strip(pushControl),
  chat: strip(chat),
  chatControl: strip(chatControl),
  reconnect: {
    push: reconnectStats(push),
    pushNode: reconnectStats(push, 'node'),
    pushChromium: reconnectStats(push, 'chromium'),
    chat: reconnectStats(chat),
    chatNode: reconnectStats(chat, 'node'),
    chatChromium: reconnectStats(chat, 'chromium'),
  },
};

/** report.json keeps the counts and events, not every receipt time. */
function strip({ deliveries, publishTimes, timeline, ...rest }) {
  return rest;
}

const pushOk =
  push.totals.lost === 0 &&
  push.totals.duplicated === 0 &&
  push.totals.outOfOrder === 0 &&
  push.published.acceptedMissingFromLog === 0;
const chatOk =
  chat.totals.unresolved === 0 &&
  chat.totals.lostAtMembers === 0 &&
  chat.totals.storedTwice === 0 &&
  chat.totals.duplicatedReceipts === 0;
const controlsCaught =
  pushControl.totals.lost > 0 &&
  chatControl.totals.unresolved + chatControl.totals.lostAtMembers > 0;

const dir = values.report;
mkdirSync(dir, { recursive: true });
for (const [name, svg] of Object.entries(charts)) writeFileSync(join(dir, name), svg);
writeFileSync(join(dir, 'report.json'), `${JSON.stringify(summary, null, 2)}\n`);
writeFileSync(join(dir, 'report.md'), markdown());
console.log(`report written to ${dir}`);
console.log(JSON.stringify({ push: push.totals, chat: chat.totals }, null, 2));
process.exit(pushOk && chatOk && controlsCaught ? 0 : 1);

function delays(stats) {
  return `${stats.p50} / ${stats.p95} / ${stats.max} ms (${stats.count} reconnects)`;
}

function restartsLine(result) {
  return result.restarts
    .map((r) => `${r.process}: exit code ${r.exitCode} after ${r.stopMs} ms`)
    .join('; ');
}

/** Every chat member that missed acknowledged messages, and the Chromium pages' end state. */
function chatPagesSection() {
  const lines = [
    '| Member | Received | Missing (acknowledged) | Connections | End state of the page |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const client of chat.clients) {
    if (client.kind !== 'chromium' && client.missing.length === 0) continue;
    const missing = client.missing;
    const ranges =
      missing.length === 0 ? 'none' : `${missing.length}: ids ${compactRanges(missing)}`;
    const state = client.pageState
      ? `"${client.pageState.status}", ${client.pageState.shown} shown, ${client.typingFailures} messages it could not type`
      : '';
    lines.push(
      `| ${client.id} | ${client.received} | ${ranges} | ${client.connections.join(' → ')} | ${state} |`,
    );
  }
  return lines.join('\n');
}

/** Chat pages that missed acknowledged messages in this run: stated, never hidden. */
function stuckPagesNote() {
  const missed = chat.clients.filter(
    (client) => client.kind === 'chromium' && client.missing.length > 0,
  );
  if (missed.length === 0) return '';
  return `- **In this run ${missed.length} of ${chat.config.browserPages} Chromium chat pages missed
  acknowledged messages** (table above): the issue's "zero lost" is not met for them.
`;
}

/** [1, 2, 3, 7, 8] → "1–3, 7–8". */
function compactRanges(ids) {
  const out = [];
  let start = ids[0];
  let previous = ids[0];
  for (const id of [...ids.slice(1), Number.NaN]) {
    if (id === previous + 1) {
      previous = id;
      continue;
    }
    out.push(start === previous ? `${start}` : `${start}–${previous}`);
    start = id;
    previous = id;
  }
  return out.join(', ');
}

function markdown() {
  const p = push.totals;
  const c = chat.totals;
  const rp = summary.reconnect.push;
  const rc = summary.reconnect.chat;
  const pages = push.clients.filter((x) => x.kind === 'chromium');
  return `# Restarts without loss

Produced by \`node scripts/restart.mjs\` on ${summary.date} (Node ${summary.node}); the figures
below are copied from [report.json](report.json). Small versions of both scenarios run in CI:
\`apps/push/test/restart.test.ts\` and \`apps/chat/test/restart.test.ts\`.

The setup, for each app: redis-server; two app processes (A and B, the built
\`dist/server/node.js\` with \`REDIS_URL\`); nginx in front, with the app's own \`nginx.conf\` and
both processes in its upstream (\`max_fails=0\`, see below). Clients connect through nginx:
Node clients that speak the page's protocol with the page's \`ReconnectingWebSocket\` settings,
and headless Chromium pages loading the real page. While the traffic goes on, A gets SIGTERM,
is started again and waited for (\`/healthz\`), then ${steadyMs / 1000} s later the same for B.
On SIGTERM a process stops listening, closes every WebSocket with **1012 (service restart)**,
waits for the closing handshakes and requests in flight (at most 3 s), and exits 0.

Which process a connection landed on comes from an \`X-Upstream\` header nginx adds to the
101 response (read by the Node clients from the handshake, by the pages through the DevTools
protocol). The counters compare receipts with the source of truth: the push topic's log read
back from Redis; for the chat, the messages each sender wrote, acknowledged or failed.

## Push: ${push.config.nodeClients} Node subscribers + ${push.config.browserPages} Chromium pages, ${push.config.rate} notifications/s

![Notifications per second](push-deliveries.svg)

![Subscribers per process](push-connections.svg)

| Figure | Value |
| --- | --- |
| Notifications published (topic log in Redis) | ${push.published.count} |
| POSTs accepted (202) / missing from the log | ${push.published.accepted} / ${push.published.acceptedMissingFromLog} |
| POSTs refused by nginx and retried by the publisher | ${push.published.postFailures} |
| Subscribers | ${p.subscribers} |
| Receipts (expected: subscribers × published) | ${p.received} (${p.subscribers * push.published.count}) |
| **Lost** | **${p.lost}** |
| **Duplicated** | **${p.duplicated}** |
| **Out of order** | **${p.outOfOrder}** |
| Closes with 1012 / with another code | ${p.closes1012} / ${p.otherCloses} |
| Reconnects after a 1012: to another process (or the restarted one) / to the closing one | ${p.movedAfter1012} / ${p.stayedAfter1012} |
| From a 1012 to the new connection: median / p95 / max | ${delays(rp)} |
| … Node clients (all in the script's one process) | ${delays(summary.reconnect.pushNode)} |
| … Chromium pages | ${delays(summary.reconnect.pushChromium)} |
| Process shutdowns | ${restartsLine(push)} |
| Chromium pages: feed items shown, lost, duplicated | ${pages.map((x) => `${x.shown.received}, ${x.shown.lost}, ${x.shown.duplicated}`).join('; ')} |

How it holds: the page (and the Node clients) resubscribe with \`{ topic, after: lastSeq }\`;
the server replays the log after that sequence number and only then sends live ones (a
durable topic of @wskit/redis, packages/redis/README.md), so an outage shows as a later
arrival, not a gap.

Control, same scenario with ${pushControl.config.nodeClients} clients that resubscribe
**without** \`after\`: ${pushControl.totals.lost} notifications counted lost, ${pushControl.totals.duplicated} duplicated,
over ${pushControl.totals.closes1012} closes with 1012. The counters do catch a client that does not resume.

## Chat: ${chat.config.nodeClients} Node members + ${chat.config.browserPages} Chromium pages, each writing ${chat.config.messagesPerSecondPerClient} messages/s

![Messages per second](chat-messages.svg)

![Members per process](chat-connections.svg)

| Figure | Value |
| --- | --- |
| Members of the room (all write, all read) | ${c.members} |
| Messages written | ${c.written} |
| Acknowledged to their sender | ${c.acked} |
| Shown as failed to their sender | ${c.failed} (of which stored anyway: ${c.failedButDelivered}) |
| **Neither acknowledged nor failed (silent loss)** | **${c.unresolved}** |
| **Acknowledged but missing at a member** | **${c.lostAtMembers}** |
| **Stored twice (shown twice)** | **${c.storedTwice}** (on the pages: ${c.shownTwice}) |
| Received twice the same way | ${c.duplicatedReceipts} |
| Received live and again in a rejoin's replay (merged by id) | ${c.redundantReplays} |
| Messages resent after a reconnect | ${c.resent} |
| Closes with 1012 / with another code | ${c.closes1012} / ${c.otherCloses} |
| Reconnects after a 1012: to another process (or the restarted one) / to the closing one | ${c.movedAfter1012} / ${c.stayedAfter1012} |
| From a 1012 to the new connection: median / p95 / max | ${delays(rc)} |
| … Node clients (all in the script's one process) | ${delays(summary.reconnect.chatNode)} |
| … Chromium pages | ${delays(summary.reconnect.chatChromium)} |
| Process shutdowns | ${restartsLine(chat)} |

How it holds: a message written while the page is reconnecting waits and goes out after the
rejoin; an unacknowledged one is resent once per new connection and the server acknowledges a
known \`(user, id)\` again instead of storing it twice; the rejoin carries \`lastSeen\` and the
server replays what came after it from the history. On SIGTERM the process closes the peers
first and waits for their close hooks (a \`say\` being stored and published, the rooms being
left) before it closes the broker, so a message received is not half-handled.

${chatPagesSection()}

Control, ${chatControl.config.nodeClients} members that rejoin without \`lastSeen\` and never resend:
${chatControl.totals.unresolved} messages unresolved and ${chatControl.totals.lostAtMembers} missing at members, out of ${chatControl.totals.written} written.

## What the runs showed besides the counts

- **nginx's defaults break rolling restarts of WebSocket upstreams.** With \`max_fails=1
  fail_timeout=10s\` (the default) the first runs of this script answered 502 ("no live
  upstreams") to reconnects for several seconds after the second process went down: a process
  that refused one connection during its restart stays "failed" until a request to it *ends*
  well, and a WebSocket ends only when it closes. \`fail_timeout=1s\` was not enough for the
  chat (all its traffic is WebSockets). With \`max_fails=0\` a refused connection (the process
  shutting down has stopped listening) is retried on the other process at once, which is what
  the figures above use; both apps' \`nginx.conf\` say so next to the upstream.
${stuckPagesNote()}- **A slow chat page lost messages; fixed.** The first full runs (before commit "Chat page:
  renders coalesce…") had both Chromium chat pages miss acknowledged messages (e.g. 105 and 55
  of 287): each message made the page rebuild its whole message list, so a page short of CPU
  fell behind its socket, by up to 48 s for the 1012 itself (the DevTools protocol saw the
  socket close 48 s after the process exited), and rejoined with a \`lastSeen\` more than 50
  messages old: the server replays at most the last 50, so the rest was silently missing. The
  page now renders at most once per animation frame; the run above is with that change.
- The time from a 1012 to the new connection includes the backoff's first delay (push page:
  250–500 ms, chat page: 125–250 ms, jittered so the peers of one process do not all come back
  at once), the closing handshake and the new one. The Node clients all live in this script's
  process, next to the publisher, and share one event loop on a 2-core machine used by other
  work too, so their figures include that process's own delays (in an earlier, busier run:
  median 2.6 s for them, 0.3 s for the Chromium pages); the pages' are what a user sees.
- The chat's replay after a reconnect still covers the history kept per room (the last 50
  messages): a member away for longer than that misses the older ones without being told,
  although message ids are consecutive per room and the page could show the gap. Not changed
  here.
`;
}
