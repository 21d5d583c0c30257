/**
 * Base classes for the package's own events and event targets, safe to evaluate anywhere.
 * `class X extends Event {}` throws a ReferenceError while the module loads in a runtime
 * without `Event` (React Native, embedded engines), and importing must never throw. Where a
 * global is missing, its stand-in imports fine and throws a TypeError only when constructed.
 */

function missing<T>(name: string): T {
  const stand = class {
    constructor() {
      throw new TypeError(`@wskit/browser: this runtime has no global ${name}`);
    }
  };
  Object.defineProperty(stand, 'name', { value: name });
  return stand as unknown as T;
}

const scope = globalThis as { Event?: unknown; EventTarget?: unknown; DOMException?: unknown };

/** The runtime's `Event`, or a stand-in that throws when constructed. */
export const EventBase: typeof Event =
  typeof scope.Event === 'function' ? (scope.Event as typeof Event) : missing('Event');

/** The runtime's `EventTarget`, or a stand-in that throws when constructed. */
export const EventTargetBase: typeof EventTarget =
  typeof scope.EventTarget === 'function'
    ? (scope.EventTarget as typeof EventTarget)
    : missing('EventTarget');

/** The runtime's `DOMException`, or a stand-in that throws when constructed. */
export const DOMExceptionBase: typeof DOMException =
  typeof scope.DOMException === 'function'
    ? (scope.DOMException as typeof DOMException)
    : missing('DOMException');
