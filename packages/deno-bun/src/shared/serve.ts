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

/**
 * The handle serve() returns on every runtime: the address, the adapter's controls, and a
 * close that shuts the WebSocket side down gracefully before stopping the HTTP server.
 */
export function serverHandle<Data, Server>(
  server: Server,
  address: { port: number; hostname: string },
  adapter: AdapterControls<Data>,
  stopServer: () => Promise<void> | void,
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
        await adapter.close(closeOptions);
        await stopServer();
      })();
      return closing;
    },
  };
}
