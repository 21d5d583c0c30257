// Group 1: framing. Payload lengths around the 7-bit, 16-bit and 64-bit length encodings
// (RFC 6455 §5.2), whole and chopped into small writes, plus header edge cases.

import { expectBinary, expectText, type MessageType } from '../expect.js';
import {
  awaitClose,
  binaryFrame,
  binaryPayload,
  type CaseGroup,
  type ConformanceCase,
  closeNormally,
  echoScript,
  send,
  sendChopped,
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

export const framing: CaseGroup = {
  id: '1',
  title: 'Framing',
  cases: [
    ...whole('text', '1.1'),
    ...whole('binary', '1.2'),
    ...chopped('text', '1.3'),
    ...chopped('binary', '1.4'),
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
