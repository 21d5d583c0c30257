import { adapterError } from './errors.js';
import { checkListenOptions } from './options.js';
import type { AdapterControls, ServerHandle } from './types.js';

/** What `serve()` takes on every runtime besides the adapter's options. */
export interface ListenOptions<Fetch> {
  /** Port to listen on; 0 (default) picks a free one: read it from the returned `port`. */
  port?: number;
  /** Address to bind. Default: the runtime's (all interfaces). */
  hostname?: string;
  /** Answers requests that are not WebSocket upgrades. Default: 426 Upgrade Required. */
  fetch?: Fetch;
}

/**
 * Splits serve()'s options into its own (checked here) and the adapter's (checked by the
 * shared layer when the adapter is created).
 */
export function splitServeOptions<Options extends ListenOptions<unknown>>(
  options: Options | undefined,
  fetchSignature: string,
): {
  listen: ListenOptions<Options['fetch']>;
  adapterOptions: Omit<Options, keyof ListenOptions<unknown>>;
} {
  const { port, hostname, fetch, ...adapterOptions } = options ?? ({} as Options);
  checkListenOptions(port, hostname);
  if (fetch !== undefined && typeof fetch !== 'function') {
    throw adapterError(`option fetch must be a function ${fetchSignature}`);
  }
  return { listen: { port, hostname, fetch: fetch as Options['fetch'] }, adapterOptions };
}

/** How serve() stops its runtime's server: listening first, then everything. */
export interface ServerStop {
  /**
   * Stops accepting connections and lets open ones go on; the promise settles once the
   * server is fully stopped (or at once if `finish` does that).
   */
  stopListening(): Promise<void> | void;
  /** Stops what is left, after every peer closed or was cut off. */
  finish(): Promise<void> | void;
}

/**
 * The handle serve() returns on every runtime: the address, the adapter's controls, and a
 * close that first stops listening (as @wskit/node does: a page reconnecting during a rolling
 * restart must reach another process, not be refused by this one), then shuts the WebSocket
 * side down gracefully, then stops the HTTP server.
 */
export function serverHandle<Data, Server>(
  server: Server,
  address: { port: number; hostname: string },
  adapter: AdapterControls<Data>,
  stop: ServerStop,
): ServerHandle<Data> & { readonly server: Server } {
  const { port, hostname } = address;
  let closing: Promise<void> | undefined;
  return {
    server,
    port,
    hostname,
    url: `ws://${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}/`,
    peers: adapter.peers,
    publish: (topic, data, sendOptions) => adapter.publish(topic, data, sendOptions),
    subscriberCount: (topic) => adapter.subscriberCount(topic),
    close(closeOptions) {
      closing ??= (async () => {
        const stopped = stop.stopListening();
        await adapter.close(closeOptions);
        await stop.finish();
        await stopped;
      })();
      return closing;
    },
  };
}
