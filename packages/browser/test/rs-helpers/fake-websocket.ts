// A scripted WebSocket for schedule tests under fake timers: no network, the test decides when
// each socket opens, receives, errors or closes. Real sockets cover the behaviour elsewhere.
import { CloseEvent } from '../../src/close-event.js';
import type { BinaryType, WebSocketLikeConstructor } from '../../src/websocket-like.js';

export class FakeWebSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  /** Every instance made, in order; reset with `FakeWebSocket.reset()`. */
  static instances: FakeWebSocket[] = [];

  static reset(): void {
    FakeWebSocket.instances = [];
  }

  static get last(): FakeWebSocket {
    const socket = FakeWebSocket.instances.at(-1);
    if (socket === undefined) throw new Error('no FakeWebSocket was made');
    return socket;
  }

  readonly url: string;
  readonly protocols: string | string[] | undefined;
  readyState = 0;
  bufferedAmount = 0;
  protocol = '';
  extensions = '';
  binaryType: BinaryType = 'blob';
  onopen = null;
  onmessage = null;
  onerror = null;
  onclose = null;
  /** What `send` accepted while open. */
  readonly sent: unknown[] = [];
  readonly closeCalls: Array<[code: number | undefined, reason: string | undefined]> = [];

  constructor(url: string | URL, protocols?: string | string[]) {
    super();
    this.url = String(url);
    this.protocols = protocols;
    FakeWebSocket.instances.push(this);
  }

  send(data: unknown): void {
    if (this.readyState === 0) throw new DOMException('still connecting', 'InvalidStateError');
    if (this.readyState === 1) this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    this.closeCalls.push([code, reason]);
    if (this.readyState < 2) this.readyState = 2;
  }

  // Scripted peer -----------------------------------------------------------------------

  open(protocol = '', extensions = ''): void {
    this.protocol = protocol;
    this.extensions = extensions;
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }

  receive(data: unknown): void {
    this.dispatchEvent(new MessageEvent('message', { data }));
  }

  /** A connection that could not be made: error, then close 1006. */
  fail(): void {
    this.readyState = 3;
    this.dispatchEvent(new Event('error'));
    this.dispatchEvent(new CloseEvent('close', { code: 1006, reason: '', wasClean: false }));
  }

  /** The connection ends with this close code. */
  closed(code: number, reason = '', wasClean = code !== 1006): void {
    this.readyState = 3;
    this.dispatchEvent(new CloseEvent('close', { code, reason, wasClean }));
  }
}

export const FakeWebSocketClass = FakeWebSocket as unknown as WebSocketLikeConstructor;

type Listener = Parameters<EventTarget['addEventListener']>[1];

/** An online/offline source the test switches by hand, counting its listeners. */
export class FakeConnectivity extends EventTarget {
  onLine = true;
  listeners = 0;

  override addEventListener(type: string, listener: Listener): void {
    this.listeners++;
    super.addEventListener(type, listener);
  }

  override removeEventListener(type: string, listener: Listener): void {
    this.listeners--;
    super.removeEventListener(type, listener);
  }

  goOffline(): void {
    this.onLine = false;
    this.dispatchEvent(new Event('offline'));
  }

  goOnline(): void {
    this.onLine = true;
    this.dispatchEvent(new Event('online'));
  }
}
