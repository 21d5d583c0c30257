import {
  PeerState,
  prepareServerMessage,
  type SendData,
  type SendOptions,
  WebSocketError,
} from '@wskit/core';
import type { WebSocket } from './websocket.js';

/**
 * Pub/sub for one server: topic → subscribers. A publish frames the message once
 * (`prepareServerMessage`: server frames are unmasked, so the same bytes go to every peer)
 * instead of encoding it per subscriber. Published messages are sent uncompressed: with
 * context takeover each peer's compressor state differs, so one compressed frame could not
 * serve them all.
 */
export class TopicRegistry {
  readonly #subscribers = new Map<string, Set<WebSocket<unknown>>>();

  add(topic: string, peer: WebSocket<unknown>): void {
    let set = this.#subscribers.get(topic);
    if (set === undefined) {
      set = new Set();
      this.#subscribers.set(topic, set);
    }
    set.add(peer);
  }

  remove(topic: string, peer: WebSocket<unknown>): void {
    const set = this.#subscribers.get(topic);
    if (set === undefined) return;
    set.delete(peer);
    if (set.size === 0) this.#subscribers.delete(topic);
  }

  subscriberCount(topic: string): number {
    return this.#subscribers.get(topic)?.size ?? 0;
  }

  /** Sends `data` to every subscriber of `topic` except `exclude`; returns how many got it. */
  publish(
    topic: string,
    data: SendData,
    _options: SendOptions | undefined,
    exclude?: WebSocket<unknown>,
  ): number {
    if (typeof topic !== 'string') {
      throw new WebSocketError('WS_ERR_INVALID_ARGUMENT', 'publish expects a topic string');
    }
    // Checked before the early return: a bad payload is a bug even with no subscriber.
    const payload = toPayload(data);
    const set = this.#subscribers.get(topic);
    if (set === undefined || set.size === 0) return 0;
    const message = prepareServerMessage(payload);
    let count = 0;
    for (const peer of set) {
      // A closing peer stays subscribed until its socket closes, but gets nothing more.
      if (peer === exclude || peer.readyState !== PeerState.OPEN) continue;
      peer.sendPrepared(message);
      count++;
    }
    return count;
  }
}

function toPayload(data: SendData): string | Uint8Array {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new WebSocketError(
    'WS_ERR_INVALID_ARGUMENT',
    'publish expects a string, an ArrayBuffer or an ArrayBufferView',
  );
}
