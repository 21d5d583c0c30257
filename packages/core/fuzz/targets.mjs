/**
 * Fuzz targets: every parser of @wskit/core that takes bytes from the network, each with
 * oracles that say what a correct answer is, not only "did not crash". A target is
 * `run(input: Uint8Array): void` and throws an `OracleFailure` when an oracle does not hold;
 * any other exception escaping a parser is a finding too (the fuzzer reports both).
 *
 * The core is passed in (`createTargets(core, { inflateRawSync })`), so the same targets run
 * against the built dist (fuzz.mjs, the CI test) or a deliberately broken stand-in (the test
 * that shows each oracle can fail).
 */

/** An oracle did not hold: the input is a finding. */
export class OracleFailure extends Error {
  constructor(target, message) {
    super(`${target}: ${message}`);
    this.name = 'OracleFailure';
  }
}

/** Close codes a receiving endpoint may fail the connection with (RFC 6455 §7.4.1). */
const PEER_FAULT_CODES = new Set([1002, 1007, 1009]);
const MAX_MESSAGE_SIZES = [0, 125, 1024, 65_536];
// ignoreBOM: in a WebSocket message a leading U+FEFF is content (RFC 6455 §5.6 says nothing
// of a BOM), so the reference keeps it, as the core does.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isUtf8(bytes) {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function hex(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Cut points derived from the input itself, so that a run is reproducible from the input alone:
 * the whole-vs-chunked comparison then needs no second source of randomness.
 */
function cutsOf(input, length) {
  const cuts = new Set();
  let state = 0x9e3779b9;
  for (let i = 0; i < input.length; i += 7) state = Math.imul(state ^ input[i], 0x01000193) >>> 0;
  const count = Math.min(16, length);
  for (let i = 0; i < count; i++) {
    state = Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) >>> 0;
    cuts.add(state % (length + 1));
  }
  return [...cuts].sort((a, b) => a - b);
}

export function createTargets(core, { inflateRawSync }) {
  const { Connection, WebSocketError } = core;

  /** The events a connection reports for `bytes`, fed whole or at `cuts`, then EOF. */
  function frameEvents(role, maxMessageSize, deflate, bytes, cuts) {
    const events = [];
    let closedCalls = 0;
    const connection = new Connection({
      role,
      maxMessageSize,
      perMessageCompression: deflate,
      handler: {
        onMessage: (data, isBinary) => events.push(['message', isBinary, hex(data)]),
        onCompressedMessage: (data, isBinary) => {
          events.push(['compressed', isBinary, data.length]);
          inflateInto(connection, data, isBinary, maxMessageSize);
        },
        onPing: (data) => events.push(['ping', hex(data)]),
        onPong: (data) => events.push(['pong', hex(data)]),
        onCloseFrame: (code, reason) => events.push(['close', code, reason]),
        onError: (error) => events.push(['error', error, error.code, error.closeCode]),
        onClosed: (info) => {
          closedCalls++;
          events.push(['closed', JSON.stringify(info)]);
        },
      },
    });
    const output = [];
    let start = 0;
    // A copy per run: the parser unmasks payloads in place in the buffers it is given (the
    // transport's own buffers), so the same bytes cannot be fed twice.
    const own = Uint8Array.from(bytes);
    for (const cut of [...cuts, own.length]) {
      connection.receiveData(own.subarray(start, cut));
      output.push(...connection.takeOutput());
      start = cut;
    }
    connection.receiveEof();
    output.push(...connection.takeOutput());
    return { events, closedCalls, output: Buffer.concat(output) };
  }

  /** What an adapter does with a compressed message (RFC 7692 §7.2.2), synchronously. */
  function inflateInto(connection, data, isBinary, maxMessageSize) {
    let inflated;
    try {
      // RFC 7692 §7.2.2: append 0x00 0x00 0xff 0xff before inflating.
      inflated = inflateRawSync(Buffer.concat([data, Buffer.from(core.DEFLATE_TRAILER)]), {
        maxOutputLength: Math.max(1, maxMessageSize + 1),
      });
    } catch (error) {
      const failure =
        error?.code === 'ERR_BUFFER_TOO_LARGE'
          ? core.decompressedMessageTooBig(maxMessageSize)
          : core.decompressionFailed(error);
      connection.fail(failure.closeCode);
      return;
    }
    connection.deliverDecompressed(inflated, isBinary);
  }

  function framesTarget(name, deflate) {
    return (input) => {
      if (input.length === 0) return;
      const role = input[0] & 1 ? 'client' : 'server';
      const maxMessageSize = MAX_MESSAGE_SIZES[(input[0] >> 1) & 3];
      const bytes = input.subarray(1);
      const whole = frameEvents(role, maxMessageSize, deflate, bytes, []);
      const split = frameEvents(role, maxMessageSize, deflate, bytes, cutsOf(input, bytes.length));
      const strip = (events) =>
        events.map((event) => (event[0] === 'error' ? [event[0], event[2], event[3]] : event));
      // Chunking invariance: TCP may split the stream anywhere (RFC 6455 §5.4 says
      // intermediaries may even refragment); the parser must see the same thing.
      const a = JSON.stringify(strip(whole.events));
      const b = JSON.stringify(strip(split.events));
      if (a !== b) throw new OracleFailure(name, `whole and chunked differ:\n${a}\n${b}`);
      if (whole.closedCalls !== 1) {
        throw new OracleFailure(name, `onClosed called ${whole.closedCalls} times after EOF`);
      }
      const errors = whole.events.filter((event) => event[0] === 'error');
      if (errors.length > 1)
        throw new OracleFailure(name, `${errors.length} errors for one connection`);
      for (const [, error, code, closeCode] of errors) {
        if (!(error instanceof WebSocketError) || !/^WS_ERR_[A-Z0-9_]+$/.test(code)) {
          throw new OracleFailure(name, `undocumented error ${String(error)}`);
        }
        // RFC 6455 §7.4.1: a peer's fault is 1002 (protocol), 1007 (data) or 1009 (too big).
        if (!PEER_FAULT_CODES.has(closeCode)) {
          throw new OracleFailure(name, `${code} mapped to close code ${closeCode}`);
        }
      }
      for (const event of whole.events) {
        // RFC 6455 §8.1: text delivered to the application is valid UTF-8.
        if (event[0] === 'message' && event[1] === false) {
          if (!isUtf8(Buffer.from(event[2], 'hex'))) {
            throw new OracleFailure(name, 'a text message with invalid UTF-8 was delivered');
          }
        }
        if (event[0] === 'message' && event[2].length / 2 > maxMessageSize) {
          throw new OracleFailure(
            name,
            `a message over maxMessageSize (${maxMessageSize}) was delivered`,
          );
        }
        if (event[0] === 'compressed' && !deflate) {
          throw new OracleFailure(name, 'RSV1 accepted without permessage-deflate (RFC 6455 §5.2)');
        }
      }
    };
  }

  function httpHeadTarget(input) {
    if (input.length === 0) return;
    const kind = input[0] & 1 ? 'response' : 'request';
    const maxHeaderCount = [100, 3, 0, 1000][(input[0] >> 1) & 3];
    const bytes = input.subarray(1);
    const parse = (cuts) => {
      const parser = new core.HttpHeadParser({ kind, maxHeaderCount, maxHeadBytes: 4096 });
      let start = 0;
      try {
        for (const cut of [...cuts, bytes.length]) {
          const parsed = parser.feed(bytes.subarray(start, cut));
          if (parsed !== undefined) {
            return {
              head: parsed.head,
              restLength: parsed.rest.length,
              endsAt: cut - parsed.rest.length,
            };
          }
          start = cut;
        }
        return { incomplete: true };
      } catch (error) {
        if (!(error instanceof WebSocketError)) throw error;
        if (
          error.code !== 'WS_ERR_INVALID_HTTP' &&
          error.code !== 'WS_ERR_HANDSHAKE_HEAD_TOO_BIG'
        ) {
          throw new OracleFailure('http-head', `unexpected ${error.code}: ${error.message}`);
        }
        return { error: error.code };
      }
    };
    const whole = parse([]);
    const split = parse(cutsOf(input, bytes.length));
    // The rest differs by chunk (it is the tail of the last chunk), where the head ends does not.
    const comparable = (result) => JSON.stringify({ ...result, restLength: undefined });
    if (comparable(whole) !== comparable(split)) {
      throw new OracleFailure(
        'http-head',
        `whole and chunked differ:\n${comparable(whole)}\n${comparable(split)}`,
      );
    }
    if (whole.head === undefined) return;
    for (const [name, value] of whole.head.headers) {
      // RFC 9110 §5.5: no CR, LF or NUL in a field value; names are tokens.
      if (/[\r\n\0]/.test(value)) throw new OracleFailure('http-head', `CR/LF/NUL in ${name}`);
      if (!core.isToken(name))
        throw new OracleFailure('http-head', `header name ${JSON.stringify(name)} is not a token`);
    }
    if (kind === 'request') {
      // The parsed head goes on to the handshake check: refusals are WebSocketErrors with an
      // HTTP status to answer with, never anything else.
      try {
        const validated = core.validateClientRequest(whole.head);
        if (!core.isValidKey(validated.key))
          throw new OracleFailure('http-head', 'an invalid key was accepted');
      } catch (error) {
        if (error instanceof OracleFailure) throw error;
        if (!(error instanceof WebSocketError) || !(error.status >= 400 && error.status < 500)) {
          throw new OracleFailure(
            'http-head',
            `handshake refusal without a 4xx: ${String(error)} ${error?.status}`,
          );
        }
      }
    }
  }

  /**
   * An HTTP/2 header block (RFC 8441): the first byte picks a request (even) or a response (odd,
   * the next two bytes its status); the rest is latin1 lines `name: value`, as Node's http2
   * hands them over after HPACK decoding.
   */
  function h2HeadersTarget(input) {
    const bytes = Buffer.from(input);
    const isResponse = bytes.length > 0 && (bytes[0] & 1) === 1;
    const status = isResponse && bytes.length >= 3 ? bytes.readUInt16BE(1) % 600 : 200;
    const text = bytes.subarray(isResponse ? 3 : 1).toString('latin1');
    const pairs = [];
    for (const line of text.split('\n')) {
      const colon = line.indexOf(': ', 1);
      if (colon > 0) pairs.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 2)]);
    }
    if (isResponse) h2Response(status, pairs);
    else h2Request(pairs);
  }

  /** What a refusal must be: a WebSocketError with the 4xx to answer with, nothing else. */
  function expectRefusal(target, error) {
    if (error instanceof OracleFailure) throw error;
    if (!(error instanceof WebSocketError) || !(error.status >= 400 && error.status < 500)) {
      throw new OracleFailure(target, `refusal without a 4xx: ${String(error)} ${error?.status}`);
    }
  }

  function h2Request(pairs) {
    let validated;
    try {
      validated = core.validateH2ClientRequest(pairs);
    } catch (error) {
      expectRefusal('h2-headers', error);
    }
    // The same block as a record (Node's `stream` event shape) must get the same answer.
    const names = pairs.map(([name]) => name);
    if (new Set(names).size === names.length) {
      let fromRecord;
      try {
        fromRecord = core.validateH2ClientRequest(Object.fromEntries(pairs));
      } catch (error) {
        fromRecord = error.code;
      }
      const fromPairs = validated ?? undefined;
      if (
        (fromPairs === undefined) !== (typeof fromRecord === 'string') ||
        (fromPairs !== undefined && JSON.stringify(fromPairs) !== JSON.stringify(fromRecord))
      ) {
        throw new OracleFailure('h2-headers', 'pairs and a record of the same block differ');
      }
    }
    if (validated === undefined) return;
    // RFC 8441 §4-§5: what an accepted extended CONNECT must have had.
    const value = (name) => {
      const found = pairs.filter(([n]) => n === name).map(([, v]) => v);
      return found.length === 0 ? undefined : found.join(', ');
    };
    const scheme = value(':scheme');
    const path = value(':path') ?? '';
    const authority = value(':authority') ?? '';
    if (
      value(':method') !== 'CONNECT' ||
      value(':protocol') !== 'websocket' ||
      (scheme !== 'http' && scheme !== 'https') ||
      !path.startsWith('/') ||
      authority === '' ||
      value('sec-websocket-version') !== '13'
    ) {
      throw new OracleFailure(
        'h2-headers',
        `accepted an invalid CONNECT: ${JSON.stringify(pairs)}`,
      );
    }
    if (!core.isH2WebSocketRequest(pairs)) {
      throw new OracleFailure('h2-headers', 'accepted, but isH2WebSocketRequest says no');
    }
    if (validated.url !== `${scheme === 'https' ? 'wss' : 'ws'}://${authority}${path}`) {
      throw new OracleFailure('h2-headers', `wrong url ${validated.url}`);
    }
    if (!validated.protocols.every((protocol) => core.isToken(protocol))) {
      throw new OracleFailure('h2-headers', 'an offered subprotocol is not a token');
    }
    // Round trip: the server picks the first offer, the client side accepts exactly that.
    const protocol = validated.protocols[0] ?? '';
    const accept = core.buildH2AcceptResponse({ protocol });
    const negotiated = core.validateH2ServerResponse(
      { status: accept.status, headers: accept.headers },
      { protocols: validated.protocols },
    );
    if (negotiated.protocol !== protocol) {
      throw new OracleFailure(
        'h2-headers',
        `the chosen subprotocol came back as ${negotiated.protocol}`,
      );
    }
  }

  const H2_OFFER = {
    protocols: ['chat', 'superchat'],
    extensions: [{ name: 'permessage-deflate', params: { client_max_window_bits: true } }],
  };

  function h2Response(status, pairs) {
    let negotiated;
    try {
      negotiated = core.validateH2ServerResponse({ status, headers: pairs }, H2_OFFER);
    } catch (error) {
      if (status < 200 || status > 299) {
        // RFC 9110 §9.3.6: only a 2xx opens the tunnel; anything else is a refusal with its status.
        if (!(error instanceof core.HandshakeResponseError) || error.status !== status) {
          throw new OracleFailure('h2-headers', `status ${status} refused as ${String(error)}`);
        }
        return;
      }
      if (!(error instanceof WebSocketError) || !error.code.startsWith('WS_ERR_')) {
        throw new OracleFailure('h2-headers', `a 2xx failed with ${String(error)}`);
      }
      return;
    }
    if (status < 200 || status > 299) {
      throw new OracleFailure('h2-headers', `status ${status} was accepted`);
    }
    // RFC 6455 §4.1 steps 5-6: only what was offered may come back.
    if (negotiated.protocol !== '' && !H2_OFFER.protocols.includes(negotiated.protocol)) {
      throw new OracleFailure('h2-headers', `unoffered subprotocol ${negotiated.protocol}`);
    }
    if (negotiated.extensions.some((extension) => extension.name !== 'permessage-deflate')) {
      throw new OracleFailure('h2-headers', 'an unoffered extension was accepted');
    }
  }

  function headerValuesTarget(input) {
    const text = Buffer.from(input).toString('latin1');
    let elements;
    try {
      elements = core.parseExtensions(text);
    } catch (error) {
      if (!(error instanceof WebSocketError) || error.code !== 'WS_ERR_INVALID_EXTENSION') {
        throw new OracleFailure('header-values', `parseExtensions threw ${String(error)}`);
      }
    }
    if (elements !== undefined) {
      // Round trip: what we would write back parses to the same elements (RFC 6455 §9.1).
      const again = core.parseExtensions(core.formatExtensions(elements));
      if (JSON.stringify(again) !== JSON.stringify(elements)) {
        throw new OracleFailure(
          'header-values',
          `extensions do not round-trip: ${JSON.stringify(elements)}`,
        );
      }
      try {
        const result = core.negotiateDeflate(elements);
        if (result !== undefined) core.parseExtensions(core.formatExtensions([result.response]));
      } catch (error) {
        throw new OracleFailure('header-values', `negotiateDeflate threw ${String(error)}`);
      }
    }
    let protocols;
    try {
      protocols = core.parseSubprotocols(text);
    } catch (error) {
      if (!(error instanceof WebSocketError) || error.code !== 'WS_ERR_INVALID_SUBPROTOCOL') {
        throw new OracleFailure('header-values', `parseSubprotocols threw ${String(error)}`);
      }
    }
    if (protocols !== undefined) {
      // RFC 6455 §4.1 item 10: tokens, each unique.
      if (protocols.length === 0 || new Set(protocols).size !== protocols.length) {
        throw new OracleFailure(
          'header-values',
          `subprotocols not unique: ${JSON.stringify(protocols)}`,
        );
      }
      if (!protocols.every((protocol) => core.isToken(protocol))) {
        throw new OracleFailure('header-values', 'a subprotocol is not a token');
      }
      const again = core.parseSubprotocols(protocols.join(', '));
      if (JSON.stringify(again) !== JSON.stringify(protocols)) {
        throw new OracleFailure('header-values', 'subprotocols do not round-trip');
      }
    }
  }

  function closePayloadTarget(input) {
    const result = core.parseClosePayload(input);
    const code = input.length >= 2 ? (input[0] << 8) | input[1] : undefined;
    // RFC 6455 §5.5.1 and §7.4: empty, or a valid wire code and a UTF-8 reason.
    const valid =
      input.length === 0 ||
      (input.length >= 2 && core.isValidWireCloseCode(code) && isUtf8(input.subarray(2)));
    if (result instanceof WebSocketError) {
      if (valid)
        throw new OracleFailure('close-payload', `a valid payload was refused: ${result.code}`);
      const expected = input.length >= 2 && core.isValidWireCloseCode(code) ? 1007 : 1002;
      if (result.closeCode !== expected) {
        throw new OracleFailure(
          'close-payload',
          `${result.code} → ${result.closeCode}, expected ${expected}`,
        );
      }
      return;
    }
    if (!valid) throw new OracleFailure('close-payload', 'an invalid payload was accepted');
    if (input.length === 0) {
      if (result.code !== 1005)
        throw new OracleFailure('close-payload', 'an empty body must read as 1005');
      return;
    }
    if (result.code !== code || result.reason !== strictUtf8.decode(input.subarray(2))) {
      throw new OracleFailure('close-payload', 'code or reason read wrongly');
    }
    if (input.length <= 125) {
      const encoded = core.encodeClosePayload(result.code, result.reason);
      if (Buffer.compare(Buffer.from(encoded), Buffer.from(input)) !== 0) {
        throw new OracleFailure('close-payload', 'does not round-trip through encodeClosePayload');
      }
    }
  }

  function utf8Target(input) {
    const expected = isUtf8(input);
    // Differential: the platform's decoder is the reference (WHATWG Encoding, fatal mode).
    if (core.isValidUtf8(input) !== expected) {
      throw new OracleFailure(
        'utf8',
        `isValidUtf8 says ${!expected}, TextDecoder says ${expected}`,
      );
    }
    const validator = new core.Utf8Validator();
    let ok = true;
    let start = 0;
    for (const cut of [...cutsOf(input, input.length), input.length]) {
      if (ok) ok = validator.write(input.subarray(start, cut));
      start = cut;
    }
    const streamed = ok && validator.isComplete();
    if (streamed !== expected) {
      throw new OracleFailure(
        'utf8',
        `the streaming validator says ${streamed}, TextDecoder says ${expected}`,
      );
    }
    if (expected && core.decodeUtf8(input) !== strictUtf8.decode(input)) {
      throw new OracleFailure('utf8', 'decodeUtf8 differs from TextDecoder');
    }
  }

  return {
    frames: framesTarget('frames', false),
    'frames-deflate': framesTarget('frames-deflate', true),
    'http-head': httpHeadTarget,
    'header-values': headerValuesTarget,
    'h2-headers': h2HeadersTarget,
    'close-payload': closePayloadTarget,
    utf8: utf8Target,
  };
}

export const TARGET_NAMES = [
  'frames',
  'frames-deflate',
  'http-head',
  'header-values',
  'h2-headers',
  'close-payload',
  'utf8',
];
