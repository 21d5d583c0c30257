// Runs our client through an Autobahn fuzzingserver (or any server speaking its protocol):
//   pnpm --filter @wskit/node autobahn-client --url ws://127.0.0.1:9001 --agent wskit
// /getCaseCount → for each case /runCase?case=N&agent=A, echoing every message until the
// server closes → /updateReports?agent=A. Default client options, as the issue asks.
import { connect } from '../dist/index.js';
import { flag } from './args.mjs';

const base = flag('url', 'ws://127.0.0.1:9001').replace(/\/$/, '');
const agent = flag('agent', 'wskit');

/** Opens one connection and resolves when it closes; `onMessage` sees every message. */
async function session(path, onMessage) {
  let socket;
  try {
    socket = await connect(`${base}${path}`, { maxMessageSize: 64 * 1024 * 1024 });
  } catch (error) {
    console.error(`${path}: ${error.message}`);
    return;
  }
  await new Promise((resolve) => {
    socket.on('message', (data, isBinary) => onMessage(socket, data, isBinary));
    socket.on('error', () => {});
    socket.on('close', resolve);
  });
}

let count = 0;
await session('/getCaseCount', (_socket, data) => {
  count = Number(data.toString());
});
console.log(`${count} cases`);
for (let index = 1; index <= count; index++) {
  await session(
    `/runCase?case=${index}&agent=${encodeURIComponent(agent)}`,
    (socket, data, isBinary) => {
      if (socket.readyState === socket.OPEN)
        socket.send(isBinary ? data : data.toString('utf8'), () => {});
    },
  );
  if (index % 50 === 0) console.log(`ran ${index}/${count}`);
}
await session(`/updateReports?agent=${encodeURIComponent(agent)}`, () => {});
console.log('reports updated');
