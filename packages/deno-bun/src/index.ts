/**
 * @wskit/deno-bun: the shared WebSocket server API (hooks + peer, the same as @wskit/node's)
 * on Bun and Deno. This entry point picks the runtime when called, never when imported, so a
 * module that imports it still loads on Node (where serve() throws a prefixed error that
 * points at @wskit/node). `@wskit/deno-bun/bun` and `@wskit/deno-bun/deno` are the typed,
 * runtime-specific entry points.
 */
import * as bun from './bun.js';
import * as deno from './deno.js';
import { adapterError, detectRuntime } from './shared/errors.js';
import type { AdapterOptions } from './shared/options.js';
import type { ListenOptions } from './shared/serve.js';

export type { ListenOptions } from './shared/serve.js';

import type { ServerHandle } from './shared/types.js';

export {
  type CloseDetails,
  defineHooks,
  type Hooks,
  type Message,
  type Peer,
  type UpgradeRequest,
  type UpgradeResult,
  WebSocketError,
} from '@wskit/core';
export type { CloseServerOptions } from '@wskit/server';
export type { BunAdapter, BunServer, BunServerHandle } from './bun.js';
export type { DenoAdapter, DenoServeHandlerInfo, DenoServerHandle } from './deno.js';
export { detectRuntime, PREFIX, type RuntimeName } from './shared/errors.js';
export type {
  AdapterOptions,
  DeflateOptions,
  HeartbeatOptions,
  OriginPolicy,
} from './shared/options.js';
export type { AdapterControls, ServerHandle } from './shared/types.js';

export interface ServeOptions<Data = unknown>
  extends AdapterOptions<Data>,
    ListenOptions<(request: Request) => Response | Promise<Response>> {}

function notSupported(entry: string): never {
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions
    ?.node;
  throw adapterError(
    `${entry} runs on Bun or Deno, but this is ${node !== undefined ? `Node.js ${node}` : 'an unknown runtime'}. On Node.js use @wskit/node's WebSocketServer with the same hooks.`,
    'WS_ERR_INVALID_STATE',
  );
}

/** Starts a server on the current runtime (Bun.serve or Deno.serve) with the shared hooks. */
export function serve<Data = unknown>(options: ServeOptions<Data>): ServerHandle<Data> {
  const runtime = detectRuntime();
  if (runtime === 'Bun') return bun.serve<Data>(options);
  if (runtime === 'Deno') return deno.serve<Data>(options);
  return notSupported('serve()');
}

/**
 * The upgrade helper of the current runtime: on Bun a `BunAdapter` (pass `websocket` to
 * Bun.serve, call `handleUpgrade(request, server)`), on Deno a `DenoAdapter`
 * (`handleUpgrade(request, info)`). Use the runtime entry points for precise types.
 */
export function createAdapter<Data = unknown>(
  options: AdapterOptions<Data> = {},
): bun.BunAdapter<Data> | deno.DenoAdapter<Data> {
  const runtime = detectRuntime();
  if (runtime === 'Bun') return bun.createAdapter<Data>(options);
  if (runtime === 'Deno') return deno.createAdapter<Data>(options);
  return notSupported('createAdapter()');
}
