// Type-checked in a fresh npm project as ESM (.mts) and CommonJS (.cts) under
// `moduleResolution: node16` (the "node" condition: our class) and as .ts under
// `moduleResolution: bundler` (no "node" condition: the native entry's types). Only the WHATWG
// surface both entries share is used here.
import { CloseEvent, WebSocket, type WebSocketLike } from '@wskit/browser';

export const ws: WebSocketLike = new WebSocket('ws://127.0.0.1:1', ['chat']);
ws.binaryType = 'arraybuffer';
ws.onmessage = (event: MessageEvent) => {
  const data: unknown = event.data;
  if (typeof data === 'string') ws.send(data.toUpperCase());
};
ws.addEventListener('close', (event: CloseEvent) => {
  const summary: string = `${event.code} ${event.reason} ${event.wasClean}`;
  return summary;
});
export const state: number = ws.readyState === WebSocket.OPEN ? ws.bufferedAmount : -1;
export const made: CloseEvent = new CloseEvent('close', { code: 1000 });
