import type { WebSocketError, WebSocketErrorCode } from '@wskit/core';
import { prefixedError } from '@wskit/server';

/** Every error this package throws starts with this, so logs say where it came from. */
export const PREFIX = '[@wskit/deno-bun]';

export type RuntimeName = 'Bun' | 'Deno';

/** A `WebSocketError` with the package prefix; `code` stays machine-readable. */
export function adapterError(
  message: string,
  code: WebSocketErrorCode = 'WS_ERR_INVALID_ARGUMENT',
): WebSocketError {
  return prefixedError(PREFIX, message, code);
}

/** The runtime the current process runs on, or a description of it for error messages. */
export function detectRuntime(): RuntimeName | undefined {
  const global = globalThis as { Bun?: unknown; Deno?: { version?: unknown } };
  if (typeof global.Bun === 'object' && global.Bun !== null) return 'Bun';
  if (typeof global.Deno === 'object' && global.Deno !== null) return 'Deno';
  return undefined;
}

function describeRuntime(): string {
  const runtime = detectRuntime();
  if (runtime !== undefined) return runtime;
  const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return process?.versions?.node !== undefined
    ? `Node.js ${process.versions.node}`
    : 'an unknown runtime';
}

/** Fails fast when a runtime-specific entry point is used elsewhere. */
export function assertRuntime(expected: RuntimeName, entry: string): void {
  if (detectRuntime() === expected) return;
  const hint =
    detectRuntime() === undefined
      ? ' On Node.js use @wskit/node (WebSocketServer) with the same hooks.'
      : ` Import @wskit/deno-bun/${detectRuntime()?.toLowerCase()} or @wskit/deno-bun instead.`;
  throw adapterError(
    `${entry} needs ${expected}, but this is ${describeRuntime()}.${hint}`,
    'WS_ERR_INVALID_STATE',
  );
}
