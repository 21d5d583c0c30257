// @wskit/node with the same echo hooks (default options).
import { WebSocketServer } from '@wskit/node';
import { echoHooks } from '../../examples/echo-hooks.mjs';

const server = new WebSocketServer({ port: 0, host: '127.0.0.1', hooks: echoHooks });
server.once('listening', () => console.log(`listening on ${server.port}`));
