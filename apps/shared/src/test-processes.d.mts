// Types of test-processes.mjs.
import type { ChildProcess } from 'node:child_process';

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number>;
/** Collects a child's stdout and stderr (the last 20,000 characters); the function reads them. */
export function captureOutput(child: ChildProcess): () => string;
/** Waits until `port` accepts TCP connections; fails early if `child` exits. */
export function waitForPort(
  port: number,
  child: ChildProcess,
  output: () => string,
  timeoutMs?: number,
): Promise<void>;
/** A redis-server on `port` with its data in `dir` (append-only with fsync when `persist`). */
export function startRedisServer(
  port: number,
  dir: string,
  options?: { persist?: boolean; cpu?: number },
): Promise<{ child: ChildProcess; output: () => string }>;
/** Sends `signal` and waits for the exit (SIGKILL after `killAfterMs`, default 5 s). */
export function stopChild(
  child: ChildProcess | undefined,
  signal?: NodeJS.Signals,
  killAfterMs?: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
