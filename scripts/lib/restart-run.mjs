/**
 * The parts of a rolling-restart scenario that do not depend on the app (issue 15, "restarts
 * without loss"): the scenario's clock and event log, the restart of each process in turn, and
 * where each client went after a 1012. Used by apps/push and apps/chat scripts/restart-scenario.mjs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { appProcess, freePort, startNginx, startRedis, waitHealthy } from './restart-processes.mjs';

/** The scenario's start, its events in ms since then, and `mark` to add (and log) one. */
export function scenarioClock(log) {
  const t0 = Date.now();
  const events = [];
  return {
    t0,
    events,
    mark(name) {
      events.push({ t: Date.now() - t0, name });
      log(`${((Date.now() - t0) / 1000).toFixed(1)} s ${name}`);
    },
  };
}

/**
 * What a scenario runs on: redis-server, two processes of the app's built Node server (`A` and
 * `B`, with `REDIS_URL` and `env`) and nginx in front with the app's own nginx.conf, whose
 * `upstream` and `listen` lines are replaced to point at them. Everything started is pushed
 * onto `cleanup` to stop, in the order it must be stopped when read backwards.
 */
export async function startAppStack({ appDir, env = {}, upstream, listen, cleanup }) {
  const redis = await startRedis();
  cleanup.push(() => redis.stop());
  const entry = `${appDir}dist/server/node.js`;
  const processEnv = { REDIS_URL: redis.url, ...env };
  const processes = [
    appProcess('A', entry, await freePort(), processEnv),
    appProcess('B', entry, await freePort(), processEnv),
  ];
  for (const app of processes) {
    await app.start();
    cleanup.push(() => app.stop());
  }
  const nginx = await startNginx({
    configPath: `${appDir}nginx.conf`,
    upstream,
    listen,
    upstreamPorts: processes.map((p) => p.port),
    wsLocation: 'location /ws {',
  });
  cleanup.push(() => nginx.stop());
  return { processes, nginx };
}

/**
 * Restarts each process in turn while the traffic goes on: SIGTERM, wait for its exit, `downMs`
 * later start it again, wait until it answers /healthz, then `steadyMs` of steady traffic.
 * Returns one record per restart; `exitedAt` is on the scenario's clock.
 */
export async function rollingRestart(processes, { clock, downMs, steadyMs }) {
  const restarts = [];
  for (const app of processes) {
    clock.mark(`SIGTERM ${app.name}`);
    const started = Date.now();
    const exit = await app.stop('SIGTERM');
    const stopMs = Date.now() - started;
    const exitedAt = Date.now() - clock.t0;
    clock.mark(`${app.name} exited (code ${exit.code}, ${stopMs} ms)`);
    await sleep(downMs);
    await app.start();
    await waitHealthy(`http://127.0.0.1:${app.port}/healthz`);
    clock.mark(`${app.name} healthy again`);
    restarts.push({
      process: app.name,
      exitCode: exit.code,
      signal: exit.signal,
      stopMs,
      exitedAt,
    });
    await sleep(steadyMs);
  }
  return restarts;
}

/**
 * Where a client went after each 1012 it got: `record.opens` ({t, on}: when and on which
 * process each connection opened) and `record.closes` ({t, code}) on the scenario's clock.
 * A reconnect is "moved" when it reached another process, or the same name after the old
 * process had exited (a late reconnect may meet the restarted one); "stayed" when the process
 * that sent the 1012 took it, which it must not, as it stops listening before it closes its
 * peers. `reconnectMs`: from the 1012 to the next open connection (the backoff's jittered
 * delay, plus failed attempts).
 */
export function reconnectsAfter1012(record, restarts) {
  let movedAfter1012 = 0;
  let stayedAfter1012 = 0;
  const reconnectMs = [];
  for (let k = 1; k < record.opens.length; k++) {
    // The close that ended connection k − 1 (failed attempts may follow it).
    const ended = record.closes.find((c) => c.t >= record.opens[k - 1].t);
    if (ended?.code !== 1012) continue;
    const opened = record.opens[k];
    reconnectMs.push(opened.t - ended.t);
    const exitedAt = restarts.find(
      (r) => r.process === opened.on && r.exitedAt >= ended.t,
    )?.exitedAt;
    const sameProcess =
      opened.on === record.opens[k - 1].on && (exitedAt === undefined || exitedAt > opened.t);
    if (sameProcess) stayedAfter1012 += 1;
    else movedAfter1012 += 1;
  }
  return { movedAfter1012, stayedAfter1012, reconnectMs };
}
