/**
 * The option errors every runtime must raise the same way: one table, evaluated on Node
 * (in-process), on Bun and on Deno (in the fixtures, against the built package). The expected
 * text is what a user reads after the package prefix ('[@wskit/node] ', '[@wskit/deno-bun] ').
 * Imports nothing, so the Bun and Deno fixtures can load it as is.
 */
export interface OptionParityCase {
  /** What a user wrote: spread into the server options next to `port: 0`. */
  readonly options: Record<string, unknown>;
  readonly code: 'WS_ERR_INVALID_ARGUMENT';
  readonly message: string;
}

export const OPTION_PARITY_CASES: readonly OptionParityCase[] = [
  {
    options: { maxPayload: 1024 },
    code: 'WS_ERR_INVALID_ARGUMENT',
    message: "unknown option maxPayload: use maxMessageSize (ws's maxPayload)",
  },
  {
    options: { verifyClient: () => false },
    code: 'WS_ERR_INVALID_ARGUMENT',
    message:
      'unknown option verifyClient: use the upgrade hook (hooks.upgrade): return { status: 401 } or a Response to refuse a request',
  },
  {
    options: { handleProtocols: () => false },
    code: 'WS_ERR_INVALID_ARGUMENT',
    message:
      'unknown option handleProtocols: use selectProtocol(protocols, request) (or return { protocol } from hooks.upgrade)',
  },
  {
    options: { maxMesageSize: 1024 },
    code: 'WS_ERR_INVALID_ARGUMENT',
    message: 'unknown option maxMesageSize; did you mean maxMessageSize?',
  },
  {
    options: { heartbeat: { intervall: 1_000 } },
    code: 'WS_ERR_INVALID_ARGUMENT',
    message: 'unknown option heartbeat.intervall; did you mean interval?',
  },
  {
    options: { hooks: { mesage() {} } },
    code: 'WS_ERR_INVALID_ARGUMENT',
    message: 'unknown option hooks.mesage; did you mean message?',
  },
  {
    options: { colour: 'blue' },
    code: 'WS_ERR_INVALID_ARGUMENT',
    message: 'unknown option colour',
  },
  {
    options: { maxMessageSize: -1 },
    code: 'WS_ERR_INVALID_ARGUMENT',
    message: 'option maxMessageSize must be a non-negative number, got -1',
  },
  {
    options: { hooks: { message: 'echo' } },
    code: 'WS_ERR_INVALID_ARGUMENT',
    message: 'hook message must be a function, got string',
  },
  {
    options: { broker: 'redis://127.0.0.1:6379' },
    code: 'WS_ERR_INVALID_ARGUMENT',
    message:
      'option broker must be a TopicBroker: an object with attach(deliver, reportError) (e.g. createRedisBroker() from @wskit/redis)',
  },
  {
    options: { adapter: {} },
    code: 'WS_ERR_INVALID_ARGUMENT',
    message:
      "unknown option adapter: use broker (socket.io's adapter): e.g. createRedisBroker() from @wskit/redis",
  },
];

/** What the fixtures report per case: the error's code and its message without the prefix. */
export interface OptionParityResult {
  readonly code: string;
  readonly message: string;
}

/** Runs every case through `create` and reports what it threw. */
export function runOptionParity(
  create: (options: Record<string, unknown>) => unknown,
): OptionParityResult[] {
  return OPTION_PARITY_CASES.map(({ options }) => {
    try {
      create(options);
      return { code: '(none)', message: '(did not throw)' };
    } catch (error) {
      const { code, message } = error as { code?: string; message: string };
      return { code: code ?? '(no code)', message: message.replace(/^\[@wskit\/[a-z-]+\] /, '') };
    }
  });
}
