// The WebSocket classes the ReconnectingWebSocket and WebSocketStream tests run against: our
// Node class (src/node.ts, over @wskit/node); the `ws` package's client, WHATWG-compatible
// enough (addEventListener with handleEvent objects, MessageEvent/CloseEvent-like events,
// binaryType 'arraybuffer'); and a subclass of it with the pause hooks of
// src/stream-backpressure.ts, done with ws's own pause()/resume().
import WS from 'ws';
import { WebSocket as OurWebSocket } from '../../src/node.js';
import { kPause, kResume } from '../../src/stream-backpressure.js';
import type { WebSocketLikeConstructor } from '../../src/websocket-like.js';

/** ws's typings differ from the WHATWG interface (binaryType 'nodebuffer'...); its behaviour fits. */
export const WsWebSocket = WS as unknown as WebSocketLikeConstructor;

/** ws with the symbol-keyed pause hooks: stands for a class that can stop reading its socket. */
export class PausableWs extends WS {
  [kPause](): void {
    this.pause();
  }
  [kResume](): void {
    this.resume();
  }
}

export const PausableWsWebSocket = PausableWs as unknown as WebSocketLikeConstructor;

export interface WebSocketClassCase {
  readonly name: string;
  readonly WebSocket: WebSocketLikeConstructor;
  /** Whether it implements kPause/kResume (real read backpressure). */
  readonly pausable: boolean;
}

export const WEBSOCKET_CLASSES: readonly WebSocketClassCase[] = [
  { name: 'ws', WebSocket: WsWebSocket, pausable: false },
  { name: '@wskit/browser (Node class)', WebSocket: OurWebSocket, pausable: true },
];
