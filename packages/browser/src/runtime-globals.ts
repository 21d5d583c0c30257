/**
 * Base classes for the package's own events and event targets, safe to evaluate anywhere.
 * `class X extends Event {}` throws a ReferenceError while the module loads in a runtime
 * without `Event` (React Native, embedded engines), and importing must never throw. Where a
 * global is missing, its stand-in imports fine and throws a TypeError only when constructed.
 */

/** The runtime's global `name` when it is a class, else a stand-in; pure, so unused ones drop. */
function globalClass<T>(name: string): T {
  const value = (globalThis as Record<string, unknown>)[name];
  // The stand-in is a function, not a class: as constructible (and extendable), and smaller.
  // biome-ignore lint/complexity/useArrowFunction: an arrow function cannot be constructed or extended.
  const standIn = function () {
    throw new TypeError(`@wskit/browser: this runtime has no global ${name}`);
  };
  return (typeof value === 'function' ? value : standIn) as T;
}

/** The runtime's `Event`, or a stand-in that throws when constructed. */
export const EventBase: typeof Event = /* @__PURE__ */ globalClass('Event');

/** The runtime's `EventTarget`, or a stand-in that throws when constructed. */
export const EventTargetBase: typeof EventTarget = /* @__PURE__ */ globalClass('EventTarget');

/** The runtime's `DOMException`, or a stand-in that throws when constructed. */
export const DOMExceptionBase: typeof DOMException = /* @__PURE__ */ globalClass('DOMException');
