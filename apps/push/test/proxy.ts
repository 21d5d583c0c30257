// A loopback TCP proxy the tests can cut: `block()` drops every connection through it and
// refuses new ones (the browser sees its network go away), `unblock()` lets them through again.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class CuttableProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #blocked = false;
  port = 0;

  constructor(targetPort: number) {
    this.#server = createServer((client) => {
      if (this.#blocked) {
        client.destroy();
        return;
      }
      const upstream = connect({ host: '127.0.0.1', port: targetPort });
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
    return this.port;
  }

  block(): void {
    this.#blocked = true;
    for (const socket of this.#sockets) socket.destroy();
  }

  unblock(): void {
    this.#blocked = false;
  }

  async close(): Promise<void> {
    this.block();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
