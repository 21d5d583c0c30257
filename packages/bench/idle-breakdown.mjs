// Where the RSS of idle connections goes: one server process (server.mjs, pinned to CPU 0) and
// the load generator (load.mjs, CPU 1); the server's memory before and after opening N idle
// connections, per connection: RSS, by kind of mapping (/proc/PID/smaps: the brk heap of
// malloc, other anonymous memory, file-backed), and V8's committed and used bytes per space.
// RSS that V8 does not account for (committed heap) is native memory: malloc and libuv.
//
//   node idle-breakdown.mjs [--impl wskit,ws,floor] [--count 10000] [--warmup 0] [--repeat 1]
//     [--settle 500] [--env NAME=VALUE,...]
//
// --settle: ms between opening the connections and the second sample. After about 8 s of no
// allocation V8's memory reducer gives back the young generation (run.mjs waits 25 s).
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { JsonLinesChild } from './child.mjs';
import { optionValue } from './options.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const impls = optionValue('--impl', 'wskit,ws,floor').split(',');
const count = Number(optionValue('--count', 10_000));
/** Connections opened and closed before the first sample: code paged in once is not counted. */
const warmup = Number(optionValue('--warmup', 0));
/** Milliseconds the connections sit idle before the second sample. */
const settle = Number(optionValue('--settle', 500));
/** Runs per implementation, taking turns; each figure is the median of the runs. */
const repeat = Number(optionValue('--repeat', 1));
const env = Object.fromEntries(
  (optionValue('--env', '') || '')
    .split(',')
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);

/** Resident bytes of a process by kind of mapping. */
function residentByKind(pid) {
  const kinds = { brk: 0, anonymous: 0, file: 0 };
  let kind = 'anonymous';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      const name = mapping[1];
      kind = name === '[heap]' ? 'brk' : name === '' || name.startsWith('[') ? 'anonymous' : 'file';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kinds[kind] += Number(rss[1]) * 1024;
  }
  return kinds;
}

async function sample(server) {
  const memory = await server.request('memory');
  return { ...memory, kinds: residentByKind(server.pid) };
}

const runs = new Map(impls.map((impl) => [impl, []]));
for (let run = 0; run < repeat; run++) {
  for (const impl of impls) runs.get(impl).push(await measure(impl));
}
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};
const rows = new Map(
  impls.map((impl) => {
    const all = runs.get(impl);
    return [
      impl,
      Object.fromEntries(
        Object.keys(all[0]).map((key) => [key, median(all.map((row) => row[key]))]),
      ),
    ];
  }),
);

async function measure(impl) {
  const [name, flavour] = impl.split(':');
  const serverEnv = { ...env, ...(flavour === undefined ? {} : { WSKIT_API: flavour }) };
  const server = new JsonLinesChild(
    0,
    process.execPath,
    ['--expose-gc', resolvePath(here, 'server.mjs'), '--impl', name, '--broadcast'],
    { cwd: here, env: serverEnv, stderr: 'inherit' },
  );
  const ready = await server.next();
  const load = new JsonLinesChild(1, process.execPath, [resolvePath(here, 'load.mjs')], {
    cwd: here,
  });
  await load.next();
  if (warmup > 0) {
    await load.request('open', { port: ready.port, count: warmup });
    await load.request('closeAll');
  }
  const before = await sample(server);
  await load.request('open', { port: ready.port, count });
  await sleep(settle);
  const after = await sample(server);
  if (after.clients !== count) throw new Error(`${impl}: ${after.clients} clients, not ${count}`);
  const per = (a, b) => Math.round((a - b) / count);
  const row = {
    rss: per(after.rss, before.rss),
    'rss brk': per(after.kinds.brk, before.kinds.brk),
    'rss anon': per(after.kinds.anonymous, before.kinds.anonymous),
    'rss file': per(after.kinds.file, before.kinds.file),
    'heap committed': per(after.heapTotal, before.heapTotal),
    'heap used': per(after.heapUsed, before.heapUsed),
    external: per(after.external, before.external),
    arrayBuffers: per(after.arrayBuffers, before.arrayBuffers),
    'allocated on the heap': per(after.allocated, before.allocated),
    'rss - heap committed': per(after.rss - after.heapTotal, before.rss - before.heapTotal),
  };
  for (const space of Object.keys(after.spaces)) {
    const a = after.spaces[space];
    const b = before.spaces[space] ?? { size: 0, used: 0, physical: 0 };
    row[`${space} committed`] = per(a.size, b.size);
    row[`${space} resident`] = per(a.physical, b.physical);
    row[`${space} used`] = per(a.used, b.used);
  }
  await load.stop();
  await server.stop();
  return row;
}

const names = [...rows.keys()];
console.log(
  `bytes per idle connection at ${count} (after - before) / ${count}, ${settle} ms after ` +
    `opening, median of ${repeat}`,
);
console.log(['what'.padEnd(32), ...names.map((name) => name.padStart(12))].join(''));
for (const key of Object.keys(rows.get(names[0]))) {
  const values = names.map((name) => String(rows.get(name)[key] ?? '').padStart(12));
  if (values.every((value) => value.trim() === '0')) continue;
  console.log([key.padEnd(32), ...values].join(''));
}
