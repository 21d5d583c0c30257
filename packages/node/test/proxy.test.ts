/**
 * Proxy selection: the explicit option, HTTP_PROXY/HTTPS_PROXY/ALL_PROXY (either case) and
 * NO_PROXY, as curl and most HTTP clients read them. Pure functions: no sockets.
 */
import { describe, expect, test } from 'vitest';
import { WebSocketError } from '../src/index.js';
import { isExcluded, proxyForUrl } from '../src/proxy.js';

const ws = (url: string) => new URL(url);

describe('proxyForUrl', () => {
  test('the explicit option wins over the environment', () => {
    const env = { HTTP_PROXY: 'http://env-proxy:3128' };
    expect(proxyForUrl(ws('ws://example.com'), 'http://explicit:8080', env)?.href).toBe(
      'http://explicit:8080/',
    );
    expect(proxyForUrl(ws('ws://example.com'), new URL('http://explicit:9'), env)?.host).toBe(
      'explicit:9',
    );
  });

  test('the explicit option ignores NO_PROXY', () => {
    const env = { NO_PROXY: '*' };
    expect(proxyForUrl(ws('ws://example.com'), 'http://explicit:8080', env)?.host).toBe(
      'explicit:8080',
    );
  });

  test('proxy: false ignores the environment', () => {
    expect(
      proxyForUrl(ws('ws://example.com'), false, { HTTP_PROXY: 'http://p:1' }),
    ).toBeUndefined();
  });

  test('no variables, no proxy', () => {
    expect(proxyForUrl(ws('ws://example.com'), undefined, {})).toBeUndefined();
  });

  test('ws: uses HTTP_PROXY, wss: uses HTTPS_PROXY', () => {
    const env = { HTTP_PROXY: 'http://plain:1', HTTPS_PROXY: 'http://secure:2' };
    expect(proxyForUrl(ws('ws://example.com'), undefined, env)?.host).toBe('plain:1');
    expect(proxyForUrl(ws('wss://example.com'), undefined, env)?.host).toBe('secure:2');
  });

  test('http: and https: targets count as ws: and wss:', () => {
    const env = { HTTP_PROXY: 'http://plain:1', HTTPS_PROXY: 'http://secure:2' };
    expect(proxyForUrl(ws('http://example.com'), undefined, env)?.host).toBe('plain:1');
    expect(proxyForUrl(ws('https://example.com'), undefined, env)?.host).toBe('secure:2');
  });

  test('wss: does not fall back to HTTP_PROXY', () => {
    expect(proxyForUrl(ws('wss://example.com'), undefined, { HTTP_PROXY: 'http://p:1' })).toBe(
      undefined,
    );
  });

  test('lowercase variables are read too; uppercase wins', () => {
    expect(proxyForUrl(ws('ws://a'), undefined, { http_proxy: 'http://lower:1' })?.host).toBe(
      'lower:1',
    );
    expect(proxyForUrl(ws('wss://a'), undefined, { https_proxy: 'http://lower:2' })?.host).toBe(
      'lower:2',
    );
    expect(
      proxyForUrl(ws('ws://a'), undefined, {
        HTTP_PROXY: 'http://upper:1',
        http_proxy: 'http://lower:1',
      })?.host,
    ).toBe('upper:1');
  });

  test('ALL_PROXY is the fallback for both', () => {
    const env = { ALL_PROXY: 'http://all:3' };
    expect(proxyForUrl(ws('ws://a'), undefined, env)?.host).toBe('all:3');
    expect(proxyForUrl(ws('wss://a'), undefined, { all_proxy: 'http://all:4' })?.host).toBe(
      'all:4',
    );
    expect(proxyForUrl(ws('ws://a'), undefined, { ...env, HTTP_PROXY: 'http://h:1' })?.host).toBe(
      'h:1',
    );
  });

  test('an empty or blank variable means no proxy', () => {
    expect(proxyForUrl(ws('ws://a'), undefined, { HTTP_PROXY: '' })).toBeUndefined();
    expect(proxyForUrl(ws('ws://a'), undefined, { HTTP_PROXY: '  ' })).toBeUndefined();
  });

  test('a value without a scheme is read as http://', () => {
    const proxy = proxyForUrl(ws('ws://a'), undefined, { HTTP_PROXY: ' proxy.local:3128 ' });
    expect(proxy?.href).toBe('http://proxy.local:3128/');
  });

  test('credentials in the proxy URL are kept for Proxy-Authorization', () => {
    const proxy = proxyForUrl(ws('ws://a'), undefined, { HTTP_PROXY: 'http://user:p%40ss@p:1' });
    expect([proxy?.username, proxy?.password]).toEqual(['user', 'p%40ss']);
  });

  test('an https: proxy URL is accepted', () => {
    expect(proxyForUrl(ws('ws://a'), 'https://secure-proxy:443', {})?.protocol).toBe('https:');
  });

  test.each([
    ['option proxy', 'socks5://127.0.0.1:1080', undefined],
    ['HTTP_PROXY', undefined, { HTTP_PROXY: 'socks5://127.0.0.1:1080' }],
    ['ALL_PROXY', undefined, { ALL_PROXY: 'socks5h://127.0.0.1:1080' }],
  ])(
    'a non-HTTP proxy (%s) is a WS_ERR_INVALID_ARGUMENT naming its source',
    (source, explicit, env) => {
      let error: unknown;
      try {
        proxyForUrl(ws('ws://a'), explicit, env ?? {});
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(WebSocketError);
      expect((error as WebSocketError).code).toBe('WS_ERR_INVALID_ARGUMENT');
      expect((error as WebSocketError).message).toContain(source);
    },
  );

  test('an unparsable proxy URL is a WS_ERR_INVALID_ARGUMENT', () => {
    expect(() => proxyForUrl(ws('ws://a'), undefined, { HTTP_PROXY: 'http://[bad' })).toThrow(
      /HTTP_PROXY is not a valid proxy URL/,
    );
  });

  test('NO_PROXY (either case) excludes the target', () => {
    const env = { HTTP_PROXY: 'http://p:1', NO_PROXY: 'example.com' };
    expect(proxyForUrl(ws('ws://example.com'), undefined, env)).toBeUndefined();
    expect(proxyForUrl(ws('ws://other.com'), undefined, env)?.host).toBe('p:1');
    expect(
      proxyForUrl(ws('ws://example.com'), undefined, { HTTP_PROXY: 'http://p:1', no_proxy: '*' }),
    ).toBeUndefined();
  });

  test('a NO_PROXY match is not a reason to validate the proxy URL', () => {
    const env = { HTTP_PROXY: 'socks5://p:1', NO_PROXY: 'example.com' };
    expect(proxyForUrl(ws('ws://example.com'), undefined, env)).toBeUndefined();
  });
});

describe('isExcluded (NO_PROXY)', () => {
  const cases: Array<[target: string, noProxy: string, excluded: boolean]> = [
    // Empty lists and wildcards.
    ['ws://example.com', '', false],
    ['ws://example.com', ' , ,', false],
    ['ws://example.com', '*', true],
    ['ws://example.com', 'other.org, *', true],
    // Exact hosts, case-insensitive; a name also covers its subdomains (as curl does).
    ['ws://example.com', 'example.com', true],
    ['ws://EXAMPLE.com', 'Example.COM', true],
    ['ws://api.example.com', 'example.com', true],
    ['ws://notexample.com', 'example.com', false],
    ['ws://example.com.evil.org', 'example.com', false],
    // Suffixes.
    ['ws://api.example.com', '.example.com', true],
    ['ws://example.com', '.example.com', true],
    ['ws://a.b.example.com', '*.example.com', true],
    ['ws://notexample.com', '.example.com', false],
    ['ws://notexample.com', '*.example.com', false],
    // Lists: commas and spaces.
    ['ws://b.org', 'a.org,b.org', true],
    ['ws://b.org', 'a.org b.org', true],
    ['ws://b.org', ' a.org ,  b.org ', true],
    // host:port, with default ports for the scheme.
    ['ws://example.com:8080', 'example.com:8080', true],
    ['ws://example.com:8081', 'example.com:8080', false],
    ['ws://example.com', 'example.com:80', true],
    ['wss://example.com', 'example.com:443', true],
    ['wss://example.com', 'example.com:80', false],
    ['ws://api.example.com:9000', '.example.com:9000', true],
    // IPv4.
    ['ws://127.0.0.1:1234', '127.0.0.1', true],
    ['ws://127.0.0.1:1234', '127.0.0.1:1234', true],
    ['ws://127.0.0.1:1234', '127.0.0.1:4321', false],
    ['ws://127.0.0.10', '127.0.0.1', false],
    // IPv6: bare, in brackets, with a port, in another spelling.
    ['ws://[::1]:1234', '::1', true],
    ['ws://[::1]:1234', '[::1]', true],
    ['ws://[::1]:1234', '[::1]:1234', true],
    ['ws://[::1]:1234', '[::1]:4321', false],
    ['ws://[::1]', '0:0:0:0:0:0:0:1', true],
    ['ws://[2001:db8::1]', '2001:db8::2', false],
    ['ws://example.com', '::1', false],
  ];

  test.each(cases)('%s with NO_PROXY=%j → %s', (target, noProxy, excluded) => {
    expect(isExcluded(ws(target), noProxy)).toBe(excluded);
  });
});
