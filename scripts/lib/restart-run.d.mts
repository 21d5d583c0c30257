// Types of restart-run.mjs, for the apps' restart-scenario.d.mts.
/** One process restarted by `rollingRestart`; `exitedAt` in ms on the scenario's clock. */
export interface RestartRecord {
  process: string;
  exitCode: number | null;
  signal: string | null;
  stopMs: number;
  exitedAt: number;
}
