// The server side of bench/replay.mjs: a @wskit/node WebSocketServer whose peers ask for a
// durable topic from a position ({"topic", "after"}) and get one frame per message
// ({"seq", "data"}), then {"caughtUp": seq}. Prints its port once listening.
import { WebSocketServer } from '@wskit/node';
import { createDurableTopics } from '../dist/index.js';

const [redisUrl, pageSize] = [process.argv[2], Number(process.argv[3])];
const topics = createDurableTopics({ url: redisUrl, keyPrefix: 'bench:', pageSize });
await topics.ready();
const server = new WebSocketServer({
  port: 0,
  host: '127.0.0.1',
  hooks: {
    message(peer, message) {
      const { topic, after } = JSON.parse(message.text());
      const subscription = topics.subscribe(
        topic,
        { after },
        { message: ({ seq, data }) => peer.send(`{"seq":${seq},"data":${JSON.stringify(data)}}`) },
      );
      subscription.caughtUp().then((seq) => peer.send(JSON.stringify({ caughtUp: seq })));
      peer.data = subscription;
    },
    close(peer) {
      peer.data?.close();
    },
  },
});
if (server.port === 0) await new Promise((resolve) => server.once('listening', resolve));
console.log(JSON.stringify({ port: server.port }));
process.on('SIGTERM', async () => {
  await server.close();
  await topics.close();
  process.exit(0);
});
