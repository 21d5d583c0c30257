// Group 1: framing. Payload lengths around the 7-bit, 16-bit and 64-bit length encodings
// (RFC 6455 §5.2), whole and chopped into small writes, plus header edge cases.

import { expectBinary, expectPong, expectText, type MessageType } from '../expect.js';
import { Opcode } from '../frame.js';
import {
  awaitClose,
  binaryFrame,
  binaryPayload,
  type CaseGroup,
  type CaseScript,
  type ConformanceCase,
  closeNormally,
  continuationFrame,
  echoScript,
  pingFrame,
  send,
  sendChopped,
  sendFramewise,
  textFrame,
  textPayload,
  thenClose,
  thenFail,
} from './dsl.js';

const SIZES = [0, 125, 126, 127, 128, 65535, 65536];

function payloadOf(type: MessageType, size: number): Uint8Array {
  return type === 'text' ? textPayload(size) : binaryPayload(size);
}

function whole(type: MessageType, prefix: string): ConformanceCase[] {
  const cases = SIZES.map(
    (size, index): ConformanceCase => ({
      id: `${prefix}.${index + 1}`,
      description: `Send a ${type} message with a payload of ${size} bytes; it is echoed`,
      script: () => echoScript([{ type, data: payloadOf(type, size) }]),
    }),
  );
  cases.push({
    id: `${prefix}.${SIZES.length + 1}`,
    description: `Send a ${type} message of 65536 bytes in writes of 997 bytes; it is echoed`,
    script: () => {
      const data = payloadOf(type, 65536);
      const frame = type === 'text' ? textFrame(data) : binaryFrame(data);
      return {
        steps: [sendChopped({ size: 997 }, frame), closeNormally],
        expect: thenClose([type === 'text' ? expectText(data) : expectBinary(data)]),
      };
    },
  });
  return cases;
}

function chopped(type: MessageType, prefix: string): ConformanceCase[] {
  return SIZES.map((size, index): ConformanceCase => {
    // Single bytes for the short frames (every header byte alone); 61-byte writes with a yield
    // between them for the long ones.
    const chop = size <= 128 ? { size: 1, delayMs: 1 } : { size: 61, delayMs: 0 };
    return {
      id: `${prefix}.${index + 1}`,
      description: `Send a ${type} message of ${size} bytes in ${chop.size}-byte writes; it is echoed`,
      script: () => {
        const data = payloadOf(type, size);
        const frame = type === 'text' ? textFrame(data) : binaryFrame(data);
        return {
          steps: [sendChopped(chop, frame), closeNormally],
          expect: thenClose([type === 'text' ? expectText(data) : expectBinary(data)]),
        };
      },
    };
  });
}

/**
 * Empty messages (RFC 6455 §5.6: "Application data" may be empty, §5.2: payload length 0) in
 * every place a length can be zero: between messages of each length encoding (7-bit, 16-bit,
 * 64-bit), as a message of empty fragments (§5.4), with a ping between its empty fragments
 * (§5.5: control frames may be injected), and in a burst. A server that takes a zero-length
 * message for "nothing to send" or for a dropped write fails these.
 */
function empty(type: MessageType, prefix: string): ConformanceCase[] {
  const opcode = type === 'text' ? Opcode.text : Opcode.binary;
  const frameOf = type === 'text' ? textFrame : binaryFrame;
  const expectOf = type === 'text' ? expectText : expectBinary;
  const none = new Uint8Array(0);
  const emptyFragments = (count: number) => [
    { opcode, fin: false, payload: none },
    ...Array.from({ length: count - 2 }, () => continuationFrame(none, false)),
    continuationFrame(none, true),
  ];
  const script = (steps: CaseScript['steps'], receive: CaseScript['expect']['receive']) => ({
    steps: [...steps, closeNormally],
    expect: thenClose(receive),
  });
  return [
    {
      id: `${prefix}.1`,
      description: `Send an empty ${type} message before and after messages of 125, 126 and 65536 bytes (each length encoding); all are echoed in order, the empty ones empty`,
      script: () => {
        const sizes = [0, 125, 0, 126, 0, 65536, 0];
        const payloads = sizes.map((size) => payloadOf(type, size));
        return script([send(...payloads.map((data) => frameOf(data)))], payloads.map(expectOf));
      },
    },
    {
      id: `${prefix}.2`,
      description: `Send an empty ${type} message as 3 empty fragments; it is echoed as one empty ${type} message`,
      script: () => script([send(...emptyFragments(3))], [expectOf(none)]),
    },
    {
      id: `${prefix}.3`,
      description: `Send an empty ${type} message as 2 empty fragments, one write per frame, with a ping between them; the pong comes first, then the empty message`,
      script: () => {
        const [first, last] = emptyFragments(2) as [
          ReturnType<typeof continuationFrame>,
          ReturnType<typeof continuationFrame>,
        ];
        return script(
          [sendFramewise(20, first, pingFrame('between empty fragments'), last)],
          [expectPong('between empty fragments'), expectOf(none)],
        );
      },
    },
    {
      id: `${prefix}.4`,
      description: `Send 100 empty ${type} messages back to back; 100 empty ${type} messages are echoed`,
      script: () =>
        script(
          [send(...Array.from({ length: 100 }, () => frameOf(none)))],
          Array.from({ length: 100 }, () => expectOf(none)),
        ),
    },
  ];
}

export const framing: CaseGroup = {
  id: '1',
  title: 'Framing',
  cases: [
    ...whole('text', '1.1'),
    ...whole('binary', '1.2'),
    ...chopped('text', '1.3'),
    ...chopped('binary', '1.4'),
    ...empty('text', '1.6'),
    ...empty('binary', '1.7'),
    {
      id: '1.5.1',
      description:
        'Send a text frame whose 64-bit length has the most significant bit set; the connection is failed',
      script: () => ({
        // RFC 6455 §5.2: "the most significant bit MUST be 0".
        steps: [
          send(textFrame('Hello', { declaredLength: 2n ** 63n + 5n })),
          awaitClose('a forbidden length'),
        ],
        expect: thenFail([1002, 1009]),
      }),
    },
    {
      id: '1.5.2',
      description:
        'Send a text frame header declaring a 1 TiB payload; the connection is failed with 1009',
      script: () => ({
        steps: [
          send(textFrame('Hello', { declaredLength: 2n ** 40n })),
          awaitClose('a message too big to accept'),
        ],
        expect: thenFail([1009]),
      }),
    },
    {
      id: '1.5.3',
      description:
        'Send a text frame with the wrong masking (unmasked to a server, masked to a client); the connection is failed with 1002',
      script: () => ({
        // RFC 6455 §5.1: a server MUST close on an unmasked frame, a client on a masked one.
        steps: [send(textFrame('Hello', { wrongMasking: true }))],
        expect: thenFail([1002]),
      }),
    },
  ],
};
