import { invalidState } from '../errors.js';
import { decodeUtf8 } from '../text/utf8.js';

/**
 * A received message with lazy views (the shared server API, ARCHITECTURE.md). Nothing is
 * decoded or copied until a view is asked for; `text()` is decoded once and cached.
 */
export interface Message {
  /** True for binary messages (opcode 0x2), false for text (opcode 0x1). */
  readonly isBinary: boolean;
  /** The payload size in bytes. */
  readonly byteLength: number;
  /** The payload decoded as UTF-8 (text messages are already validated). */
  text(): string;
  /** `JSON.parse(text())`; throws a SyntaxError on invalid JSON. */
  json<T = unknown>(): T;
  /** The payload bytes. A view: copy it if you keep it past the handler and mutate it. */
  bytes(): Uint8Array;
  /** The payload in its own ArrayBuffer. */
  arrayBuffer(): ArrayBuffer;
}

export class WebSocketMessage implements Message {
  readonly isBinary: boolean;
  readonly #data: Uint8Array;
  #text: string | undefined;

  constructor(data: Uint8Array, isBinary: boolean) {
    this.#data = data;
    this.isBinary = isBinary;
  }

  get byteLength(): number {
    return this.#data.length;
  }

  text(): string {
    if (this.#text === undefined) this.#text = decodeUtf8(this.#data);
    return this.#text;
  }

  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }

  bytes(): Uint8Array {
    return this.#data;
  }

  arrayBuffer(): ArrayBuffer {
    const data = this.#data;
    if (
      data.byteOffset === 0 &&
      data.byteLength === data.buffer.byteLength &&
      data.buffer instanceof ArrayBuffer
    ) {
      return data.buffer;
    }
    return data.slice().buffer as ArrayBuffer;
  }

  toString(): string {
    return this.isBinary ? `[binary message, ${this.byteLength} bytes]` : this.text();
  }
}

/** Builds a message from a runtime's native payload (Bun and Deno hand us strings too). */
export function messageFrom(data: string | Uint8Array | ArrayBuffer, isBinary?: boolean): Message {
  if (typeof data === 'string') return new TextMessage(data);
  if (data instanceof ArrayBuffer)
    return new WebSocketMessage(new Uint8Array(data), isBinary ?? true);
  if (data instanceof Uint8Array) return new WebSocketMessage(data, isBinary ?? true);
  throw invalidState('message payload must be a string, Uint8Array or ArrayBuffer');
}

/** A text message that arrived already decoded (native runtimes): encoded only if asked. */
class TextMessage implements Message {
  readonly isBinary = false;
  readonly #text: string;
  #bytes: Uint8Array | undefined;

  constructor(text: string) {
    this.#text = text;
  }

  get byteLength(): number {
    return this.bytes().length;
  }

  text(): string {
    return this.#text;
  }

  json<T = unknown>(): T {
    return JSON.parse(this.#text) as T;
  }

  bytes(): Uint8Array {
    if (this.#bytes === undefined) this.#bytes = new TextEncoder().encode(this.#text);
    return this.#bytes;
  }

  arrayBuffer(): ArrayBuffer {
    return this.bytes().slice().buffer as ArrayBuffer;
  }

  toString(): string {
    return this.#text;
  }
}
