// What each server target of the suite is known to fail, and why: case id → reason. Every
// listed case must keep failing (a listed case that passes fails its test, an unknown id throws),
// so a list cannot outlive the limit it documents. test/runtime-table.test.ts turns these lists
// into the table in packages/deno-bun/README.md.
import { caseGroups } from '../src/index.js';

/** Every case that fails when the server declines permessage-deflate, each with `reason`. */
function deflateRequiredCases(reason: string): Record<string, string> {
  return Object.fromEntries(
    caseGroups
      .flatMap((group) => group.cases)
      .filter((testCase) => testCase.deflateRequired === true)
      .map((testCase) => [testCase.id, reason]),
  );
}

// uWebSockets (under Bun.serve) checks UTF-8 once a text message is complete, so an invalid
// fragment fails the connection when the message ends, not when it arrives. RFC 6455 §8.1 only
// says "MUST Fail"; Autobahn grades the same behaviour "non-strict". wskit on Bun receives whole
// messages from Bun and cannot see the fragments.
const UTF8_PER_MESSAGE = 'UTF-8 validated per message, not per fragment (uWebSockets)';

// Deno's native WebSocket (Deno.upgradeWebSocket) parses frames itself; wskit on Deno only sees
// whole messages, so these are Deno's and reach the raw and the wskit server alike.
const DENO_NATIVE: Record<string, string> = {
  // RFC 6455 §5.1: "a server MUST close the connection upon receiving a frame that is not
  // masked". Deno echoes the unmasked message.
  '1.5.3': 'Deno accepts an unmasked client frame instead of failing the connection (§5.1)',
  // RFC 6455 §5.5: control frames carry at most 125 bytes. Deno accepts a 126-byte close frame
  // and echoes it, oversized, instead of failing with 1002.
  '7.3.6': 'Deno accepts a 126-byte close frame and echoes it back oversized (§5.5)',
  ...deflateRequiredCases('Deno.upgradeWebSocket has no permessage-deflate: the offer is declined'),
};

export const EXPECTED_FAILURES = {
  /** @wskit/node's WebSocketServer: no exceptions. */
  nodeWskit: {},
  /** `ws` 8 with default options plus permessage-deflate, the suite's reference. */
  ws: {
    // ws's receiver checks UTF-8 only once a text message is complete (receiver.js,
    // dataMessage). RFC 6455 §8.1 only says "MUST Fail"; Autobahn grades it "non-strict".
    '6.4.1': 'UTF-8 validated per message, not per fragment',
    '6.4.2': 'UTF-8 validated per message, not per fragment',
    '6.4.3': 'UTF-8 validated per message, not per fragment',
    // maxFragments defaults to 16384 (lib/websocket-server.js, lib/websocket.js): a 4 MiB
    // message in 64-byte fragments (65536 of them) is refused with 1008. 256-byte fragments
    // make exactly 16384 and pass.
    '9.3.1': 'maxFragments (16384) refuses 65536 fragments with 1008',
    '9.4.1': 'maxFragments (16384) refuses 65536 fragments with 1008',
  },
  bunWskit: {
    '6.4.1': UTF8_PER_MESSAGE,
    '6.4.2': UTF8_PER_MESSAGE,
    '6.4.3': UTF8_PER_MESSAGE,
  },
  bunRaw: {
    '6.4.1': UTF8_PER_MESSAGE,
    '6.4.2': UTF8_PER_MESSAGE,
    '6.4.3': UTF8_PER_MESSAGE,
  },
  denoWskit: DENO_NATIVE,
  denoRaw: DENO_NATIVE,
} satisfies Record<string, Record<string, string>>;
