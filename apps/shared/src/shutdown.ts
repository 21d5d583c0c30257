/**
 * How every app entry (Node, Bun, Deno) stops on SIGTERM and SIGINT: close every peer with
 * 1012 "service restart", so pages reconnect at once to another process, within a bounded
 * time. Bun and Deno 2 both implement Node's `process.on(signal)`, so one helper serves all.
 */

/** 1012 "Service Restart", from the IANA close code registry (RFC 6455 §11.7): reconnect now. */
export const SERVICE_RESTART = { code: 1012, reason: 'service restart' } as const;
/** How long a signal waits for closing handshakes and requests in flight. */
export const SHUTDOWN_TIMEOUT_MS = 3_000;

/** What a signal handler needs from the runtime: Node's `process`, as Bun and Deno expose it. */
export interface SignalProcess {
  on(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  exit(code: number): never;
}

/**
 * On the first SIGINT or SIGTERM, runs `stop` (given SERVICE_RESTART and the timeout) and
 * exits 0, or 1 if it failed. Later signals are ignored. Whatever hangs (a broker that does not
 * answer), the process exits 1 after three timeouts.
 */
export function stopOnSignals(
  app: string,
  stop: (close: { code: number; reason: string; timeout: number }) => Promise<void>,
  runtime: SignalProcess = (globalThis as unknown as { process: SignalProcess }).process,
): void {
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    const deadline = setTimeout(() => runtime.exit(1), 3 * SHUTDOWN_TIMEOUT_MS);
    // Deno's timers are numbers; Node's and Bun's have unref.
    (deadline as { unref?: () => void }).unref?.();
    stop({ ...SERVICE_RESTART, timeout: SHUTDOWN_TIMEOUT_MS }).then(
      () => runtime.exit(0),
      (error: unknown) => {
        console.error(`${app}: shutdown failed:`, error);
        runtime.exit(1);
      },
    );
  };
  runtime.on('SIGINT', onSignal);
  runtime.on('SIGTERM', onSignal);
}
