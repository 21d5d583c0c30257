/**
 * `CloseEvent` (https://websockets.spec.whatwg.org/#the-closeevent-interface) for runtimes
 * without one: Node 20 has Event and MessageEvent but no CloseEvent (Node 23 added it). The
 * entries export the runtime's own class when there is one, this one otherwise.
 * Runtime-neutral: the native entry may carry it.
 */

import { EventBase } from './runtime-globals.js';
import {
  argumentLengthCheck,
  illegalInvocation,
  toDOMString,
  toUnsignedShort,
  toUSVString,
} from './webidl.js';

/** The dictionary the constructor takes (bubbles, cancelable, composed come from EventInit). */
export interface CloseEventInit {
  bubbles?: boolean;
  cancelable?: boolean;
  composed?: boolean;
  wasClean?: boolean;
  code?: number;
  reason?: string;
}

/** The event fired at a WebSocket once its connection is closed. */
export interface CloseEvent extends Event {
  /** True if the connection closed cleanly (both close frames exchanged, then TCP closed). */
  readonly wasClean: boolean;
  /** The close code the server sent; 1005 if its close frame had none, 1006 if none came. */
  readonly code: number;
  /** The reason the server sent, decoded from UTF-8. */
  readonly reason: string;
}

/** The type of the `CloseEvent` class: the runtime's own, or ours where the runtime has none. */
export interface CloseEventConstructor {
  new (type: string, eventInitDict?: CloseEventInit): CloseEvent;
  readonly prototype: CloseEvent;
}

/**
 * Ours, for runtimes without one. A class expression: its `name` is 'CloseEvent'. Made inside
 * a function called as pure, so a bundle that never uses CloseEvent drops all of it.
 */
function createCloseEvent(): CloseEventConstructor {
  const native = (globalThis as { CloseEvent?: CloseEventConstructor }).CloseEvent;
  if (native !== undefined) return native;
  const CloseEventPolyfill = class CloseEvent extends EventBase {
    readonly #wasClean: boolean;
    readonly #code: number;
    readonly #reason: string;

    constructor(type: string, eventInitDict: CloseEventInit = {}) {
      // biome-ignore lint/complexity/noArguments: WebIDL counts the arguments actually passed.
      argumentLengthCheck(arguments.length, 1, "Failed to construct 'CloseEvent'");
      const init = eventInitDict ?? {};
      if (typeof init !== 'object' && typeof init !== 'function') {
        throw new TypeError(
          "Failed to construct 'CloseEvent': The provided value is not of type 'CloseEventInit'.",
        );
      }
      super(toDOMString(type), init);
      // WebIDL dictionary defaults: wasClean false, code 0, reason "".
      this.#wasClean = init.wasClean === undefined ? false : Boolean(init.wasClean);
      this.#code = init.code === undefined ? 0 : toUnsignedShort(init.code);
      this.#reason = init.reason === undefined ? '' : toUSVString(init.reason);
    }

    get wasClean(): boolean {
      if (!(#wasClean in this)) throw illegalInvocation();
      return this.#wasClean;
    }

    get code(): number {
      if (!(#code in this)) throw illegalInvocation();
      return this.#code;
    }

    get reason(): string {
      if (!(#reason in this)) throw illegalInvocation();
      return this.#reason;
    }
  };

  // WebIDL attributes are enumerable accessors; the class also reports its own tag.
  Object.defineProperties(CloseEventPolyfill.prototype, {
    wasClean: { enumerable: true },
    code: { enumerable: true },
    reason: { enumerable: true },
    [Symbol.toStringTag]: { value: 'CloseEvent', configurable: true },
  });

  return CloseEventPolyfill;
}

/** The runtime's CloseEvent where there is one (browsers, Deno, Bun, Node 23+), else ours. */
export const CloseEvent: CloseEventConstructor = /* @__PURE__ */ createCloseEvent();
