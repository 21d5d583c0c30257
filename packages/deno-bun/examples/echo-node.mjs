// The same echo hooks on Node through @wskit/node, from the repository root after a build:
//   node packages/deno-bun/examples/echo-node.mjs --port 8080
import { WebSocketServer } from '@wskit/node';
import { echoHooks, portFrom } from './echo-hooks.mjs';

const server = new WebSocketServer({
  port: portFrom(process.argv.slice(2)),
  host: '127.0.0.1',
  hooks: echoHooks,
});
server.once('listening', () => console.log(`listening on ${server.port}`));
