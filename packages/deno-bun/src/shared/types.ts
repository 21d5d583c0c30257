import type { Peer, SendData, SendOptions } from '@wskit/core';
import type { CloseServerOptions } from '@wskit/server';

/** What the upgrade helper of every runtime offers besides its `handleUpgrade`. */
export interface AdapterControls<Data> {
  /** The open peers (and those closing), in connection order. */
  readonly peers: ReadonlySet<Peer<Data>>;
  /** Sends `data` to every subscriber of `topic`; returns how many subscribers there are. */
  publish(topic: string, data: SendData, options?: SendOptions): number;
  subscriberCount(topic: string): number;
  /**
   * Graceful shutdown of the WebSocket side: refuse new upgrades (503), send 1001 to every
   * peer, wait for the closing handshakes up to `timeout`, then drop whoever is left. Your
   * own server keeps running: stop it afterwards.
   */
  close(options?: CloseServerOptions): Promise<void>;
}

/** What `serve()` returns on every runtime. */
export interface ServerHandle<Data> extends AdapterControls<Data> {
  /** The port the server listens on (useful with `port: 0`). */
  readonly port: number;
  readonly hostname: string;
  /** `ws://hostname:port/`. */
  readonly url: string;
  /** Graceful shutdown: `AdapterControls.close`, then the HTTP server stops. */
  close(options?: CloseServerOptions): Promise<void>;
}
