import * as net from 'node:net';
import * as tls from 'node:tls';
import { HttpHeadParser, WebSocketError } from '@wskit/core';

/**
 * HTTP proxies for the client: a WebSocket behind a proxy first asks it to open a tunnel with
 * `CONNECT host:port` (RFC 9110 §9.3.6), then speaks WebSocket (and TLS, for wss) inside it.
 */

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * The proxy to use for `target`: the explicit option wins (`false` means none), otherwise
 * HTTPS_PROXY (wss) or HTTP_PROXY (ws), lowercase variants too, unless NO_PROXY matches.
 */
export function proxyForUrl(
  target: URL,
  explicit: string | URL | false | undefined,
  env: Environment = process.env,
): URL | undefined {
  if (explicit === false) return undefined;
  if (explicit !== undefined) return parseProxyUrl(String(explicit), 'option proxy');
  const secure = target.protocol === 'wss:' || target.protocol === 'https:';
  const names = secure
    ? ['HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy']
    : ['HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];
  const name = names.find((candidate) => env[candidate] !== undefined);
  const value = name === undefined ? undefined : (env[name] as string).trim();
  if (name === undefined || value === undefined || value === '') return undefined;
  // A proxy from the environment is for leaving the machine: loopback is never sent through
  // it (as Go's and Python's proxy rules do); pass `proxy` explicitly to proxy it anyway.
  if (isLoopback(target)) return undefined;
  if (isExcluded(target, env.NO_PROXY ?? env.no_proxy ?? '')) return undefined;
  return parseProxyUrl(value, name);
}

/** localhost, 127.0.0.0/8 and ::1 (RFC 6761 §6.3, RFC 5735, RFC 4291 §2.5.3). */
function isLoopback(target: URL): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  return net.isIPv6(host) && normalizeIpv6(host) === normalizeIpv6('::1');
}

function parseProxyUrl(value: string, source: string): URL {
  let url: URL;
  try {
    // Environment values are often written without a scheme ("proxy:3128").
    url = new URL(value.includes('://') ? value : `http://${value}`);
  } catch {
    throw new WebSocketError(
      'WS_ERR_INVALID_ARGUMENT',
      `${source} is not a valid proxy URL: ${JSON.stringify(value)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    // Not silently ignored: the caller meant traffic to go through it (pass proxy: false).
    throw new WebSocketError(
      'WS_ERR_INVALID_ARGUMENT',
      `${source} must be an http: or https: proxy URL, got ${url.protocol} (${url.protocol.slice(0, -1)} proxies are not supported; set NO_PROXY or pass proxy: false to connect directly)`,
    );
  }
  return url;
}

/**
 * NO_PROXY: comma/space separated hosts (a host also matches its subdomains), `.domain` or
 * `*.domain` suffixes, `host:port`, IPv6 addresses bare or in brackets (`[::1]:8080`), or `*`.
 */
export function isExcluded(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port =
    target.port || (target.protocol === 'wss:' || target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const { pattern, entryPort } = splitNoProxyEntry(entry);
    if (entryPort !== undefined && entryPort !== port) continue;
    if (pattern.includes(':')) {
      // IPv6: compare addresses, not strings.
      if (normalizeIpv6(pattern) === host) return true;
      continue;
    }
    const suffix = pattern.replace(/^\*/, '');
    if (suffix.startsWith('.')) {
      if (host === suffix.slice(1) || host.endsWith(suffix)) return true;
    } else if (host === suffix || host.endsWith(`.${suffix}`)) {
      return true;
    }
  }
  return false;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` or a bare `v6` (its colons are not a port). */
function splitNoProxyEntry(entry: string): { pattern: string; entryPort: string | undefined } {
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(entry);
  if (bracketed !== null) return { pattern: bracketed[1] as string, entryPort: bracketed[2] };
  if (entry.indexOf(':') !== entry.lastIndexOf(':'))
    return { pattern: entry, entryPort: undefined };
  const withPort = /^(.*):(\d+)$/.exec(entry);
  if (withPort !== null) return { pattern: withPort[1] as string, entryPort: withPort[2] };
  return { pattern: entry, entryPort: undefined };
}

function normalizeIpv6(address: string): string {
  try {
    return new URL(`http://[${address}]/`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return address;
  }
}

export interface TunnelOptions {
  readonly signal?: AbortSignal;
  /** TLS options for an https: proxy itself. */
  readonly proxyTls?: tls.ConnectionOptions;
  readonly maxHeadBytes?: number;
}

/** Opens a CONNECT tunnel through `proxy` to host:port; resolves with the raw socket. */
export function openTunnel(
  proxy: URL,
  host: string,
  port: number,
  options: TunnelOptions = {},
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const proxyPort = Number(proxy.port) || (proxy.protocol === 'https:' ? 443 : 80);
    const proxyHost = proxy.hostname.replace(/^\[|\]$/g, '');
    const socket: net.Socket =
      proxy.protocol === 'https:'
        ? tls.connect({
            host: proxyHost,
            port: proxyPort,
            servername: net.isIP(proxyHost) ? undefined : proxyHost,
            ...options.proxyTls,
          })
        : net.connect({ host: proxyHost, port: proxyPort });
    const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const parser = new HttpHeadParser({
      kind: 'response',
      maxHeadBytes: options.maxHeadBytes ?? 16384,
    });
    const fail = (error: Error) => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onAbort = () =>
      fail(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
    const onError = (error: Error) =>
      fail(
        new WebSocketError(
          'WS_ERR_PROXY_FAILED',
          `cannot reach the proxy ${proxy.host}: ${error.message}`,
          { cause: error },
        ),
      );
    const onClose = () =>
      fail(
        new WebSocketError(
          'WS_ERR_PROXY_FAILED',
          `the proxy ${proxy.host} closed the connection during CONNECT`,
        ),
      );
    const onData = (chunk: Buffer) => {
      let parsed: ReturnType<typeof parser.feed>;
      try {
        parsed = parser.feed(chunk);
      } catch (error) {
        fail(
          new WebSocketError(
            'WS_ERR_PROXY_FAILED',
            `invalid CONNECT response from the proxy: ${(error as Error).message}`,
          ),
        );
        return;
      }
      if (parsed === undefined) return;
      const { head, rest } = parsed;
      if (head.status < 200 || head.status > 299) {
        fail(
          new WebSocketError(
            'WS_ERR_PROXY_FAILED',
            `the proxy refused CONNECT ${authority}: ${head.status} ${head.statusText}`,
            {
              status: head.status,
            },
          ),
        );
        return;
      }
      cleanup();
      socket.pause();
      // Bytes after the proxy's head already belong to the tunnel.
      if (rest.length > 0) socket.unshift(Buffer.from(rest));
      resolve(socket);
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      options.signal?.removeEventListener('abort', onAbort);
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
    if (proxy.username !== '' || proxy.password !== '') {
      const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
      lines.push(`Proxy-Authorization: Basic ${Buffer.from(credentials).toString('base64')}`);
    }
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}
