/**
 * What a browser takes from the page's environment when it opens a WebSocket, found on Node
 * where it exists: the base URL and origin (`globalThis.location`: Deno's `--location`, a Node
 * program or test harness that sets it), the URL's credentials, and the rule that handshakes
 * to one host run one at a time. Node only (our WebSocket class); the native entry never
 * imports this.
 */
import { Buffer } from 'node:buffer';

/** `globalThis.location` when it looks like one (an object with a string `href`). */
function environmentLocation(): { href: string; origin: string } | undefined {
  const location = (globalThis as { location?: unknown }).location;
  if (typeof location !== 'object' || location === null) return undefined;
  const { href, origin } = location as { href?: unknown; origin?: unknown };
  if (typeof href !== 'string') return undefined;
  return { href, origin: typeof origin === 'string' ? origin : new URL(href).origin };
}

/**
 * The "API base URL" of the WebSocket constructor's step 1: where the environment has a
 * location, relative URLs resolve against it; without one there is no base and a relative URL
 * fails to parse (a SyntaxError).
 */
export function apiBaseURL(): string | undefined {
  return environmentLocation()?.href;
}

/**
 * The Origin a browser sends (Fetch: the request's client's origin), serialized; undefined
 * where the environment has no origin. An opaque origin serializes as "null", sent as such.
 */
export function environmentOrigin(): string | undefined {
  return environmentLocation()?.origin;
}

type HeaderList = Record<string, string> | ReadonlyArray<readonly [string, string]>;

function hasHeader(headers: HeaderList | undefined, name: string): boolean {
  if (headers === undefined) return false;
  const names = Array.isArray(headers)
    ? headers.map(([key]) => key)
    : Object.keys(headers as Record<string, string>);
  return names.some((key) => key.toLowerCase() === name);
}

function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Browsers send a URL's credentials (`ws://user:pass@host/`) as HTTP Basic authentication
 * (RFC 7617) on the opening handshake. Returns the headers with `Authorization` added, unless
 * there are no credentials or the caller already set that header. The credentials themselves
 * never go on the request line (`urlRecord` is left as it is; see `withoutCredentials`).
 */
export function withCredentials(
  urlRecord: URL,
  headers: HeaderList | undefined,
): HeaderList | undefined {
  if (urlRecord.username === '' && urlRecord.password === '') return headers;
  if (hasHeader(headers, 'authorization')) return headers;
  const userPass = `${percentDecode(urlRecord.username)}:${percentDecode(urlRecord.password)}`;
  const authorization = `Basic ${Buffer.from(userPass, 'utf8').toString('base64')}`;
  const list: Array<readonly [string, string]> = Array.isArray(headers)
    ? [...headers]
    : Object.entries((headers ?? {}) as Record<string, string>);
  list.push(['Authorization', authorization]);
  return list;
}

/** The URL to connect to: the same one without user and password. */
export function withoutCredentials(urlRecord: URL): URL {
  if (urlRecord.username === '' && urlRecord.password === '') return urlRecord;
  const target = new URL(urlRecord.href);
  target.username = '';
  target.password = '';
  return target;
}

/**
 * RFC 6455 §4.1, client requirement 2: "If the client already has a WebSocket connection to
 * the remote host ... identified by /host/ and /port/ pair ... that is in the CONNECTING state,
 * the client MUST wait until that connection has either been established or for that
 * connection to have failed." Browsers do this; so do we, keyed by host name and port as
 * written in the URL (RFC 6455 keys by IP address; we do not resolve names first, so two
 * names of one host are not serialized). Only handshakes wait: open connections never block.
 */
const handshakesInProgress = new Map<string, Promise<void>>();

function hostKey(url: URL): string {
  const port = url.port || (url.protocol === 'wss:' ? '443' : '80');
  return `${url.hostname.toLowerCase()}:${port}`;
}

/**
 * Runs `open` once every earlier handshake to the same host has finished (either way), and
 * holds later ones until `open`'s own promise settles. An abort while waiting rejects at once
 * with the signal's reason, without opening anything.
 */
export function oneHandshakeAtATime<T>(
  url: URL,
  signal: AbortSignal,
  open: () => Promise<T>,
): Promise<T> {
  const key = hostKey(url);
  const previous = handshakesInProgress.get(key);
  let release = (): void => {};
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  handshakesInProgress.set(key, mine);
  const finish = (): void => {
    release();
    if (handshakesInProgress.get(key) === mine) handshakesInProgress.delete(key);
  };
  const started = (
    previous === undefined ? Promise.resolve() : waitUnlessAborted(previous, signal)
  ).then(() => {
    signal.throwIfAborted();
    return open();
  });
  started.then(finish, finish);
  return started;
}

function waitUnlessAborted(previous: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    previous.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/**
 * Node 20's global MessageEvent has no `Symbol.toStringTag`, so its events print as
 * `[object Event]`; browsers print `[object MessageEvent]`. Where the tag is missing, a
 * subclass adds it (same name, same `instanceof MessageEvent`); elsewhere the global as is.
 */
export const WebSocketMessageEvent: typeof MessageEvent = (() => {
  const Base = globalThis.MessageEvent as new (
    type: string,
    init?: MessageEventInit,
  ) => MessageEvent;
  if (Object.getOwnPropertyDescriptor(Base.prototype, Symbol.toStringTag) !== undefined) {
    return globalThis.MessageEvent;
  }
  const Tagged = class extends Base {};
  Object.defineProperty(Tagged, 'name', { value: 'MessageEvent' });
  Object.defineProperty(Tagged.prototype, Symbol.toStringTag, {
    value: 'MessageEvent',
    configurable: true,
  });
  return Tagged as unknown as typeof MessageEvent;
})();
