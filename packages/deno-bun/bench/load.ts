// Load generator, run by Bun (its native WebSocket client is fast enough not to be the
// bottleneck): CONNECTIONS sockets, each keeping WINDOW messages of SIZE bytes in flight,
// counts echoes for DURATION ms after WARMUP ms. Prints one JSON line.
declare const process: { argv: string[]; exit(code: number): never };
const [url, connections = '32', window = '16', size = '64', warmup = '1000', duration = '3000'] =
  process.argv.slice(2);
const payload = 'x'.repeat(Number(size));
let counting = false;
let received = 0;
const sockets: WebSocket[] = [];
await Promise.all(
  Array.from({ length: Number(connections) }, () => {
    const socket = new WebSocket(url as string);
    sockets.push(socket);
    socket.onmessage = () => {
      if (counting) received++;
      socket.send(payload);
    };
    return new Promise<void>((resolve, reject) => {
      socket.onopen = () => {
        for (let i = 0; i < Number(window); i++) socket.send(payload);
        resolve();
      };
      socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
  }),
);
await new Promise((resolve) => setTimeout(resolve, Number(warmup)));
counting = true;
// The runner samples the server's CPU time between these two lines.
console.log('counting');
const started = performance.now();
await new Promise((resolve) => setTimeout(resolve, Number(duration)));
counting = false;
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ messages: received, seconds, rate: received / seconds }));
for (const socket of sockets) socket.close();
process.exit(0);

export {};
