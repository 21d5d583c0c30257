// Group 5: fragmentation (RFC 6455 §5.4). Control frames cannot be fragmented but may arrive
// between the fragments of a message, and must be answered without waiting for its end.

import { toBytes } from '../bytes.js';
import { expectBinary, expectPong, expectText } from '../expect.js';
import { fragmentMessage, Opcode } from '../frame.js';
import {
  awaitPong,
  binaryPayload,
  type CaseGroup,
  type ConformanceCase,
  closeNormally,
  continuationFrame,
  pingFrame,
  pongFrame,
  type Step,
  send,
  sendChopped,
  sendFramewise,
  textFrame,
  thenClose,
  thenFail,
} from './dsl.js';

type Delivery = 'one write' | 'octet-wise' | 'frame-wise';
const DELIVERIES: Delivery[] = ['one write', 'octet-wise', 'frame-wise'];

function deliver(delivery: Delivery, ...frames: Parameters<typeof send>): Step {
  if (delivery === 'octet-wise') return sendChopped({ size: 1, delayMs: 0 }, ...frames);
  if (delivery === 'frame-wise') return sendFramewise(20, ...frames);
  return send(...frames);
}

const how = (delivery: Delivery) =>
  delivery === 'one write'
    ? 'in one write'
    : delivery === 'octet-wise'
      ? 'in 1-byte writes'
      : 'one write per frame';

/** Three variants of a case, numbered consecutively from `first`. */
function variants(
  first: number,
  build: (delivery: Delivery) => Omit<ConformanceCase, 'id'>,
): ConformanceCase[] {
  return DELIVERIES.map((delivery, index) => ({ id: `5.${first + index}`, ...build(delivery) }));
}

export const fragmentation: CaseGroup = {
  id: '5',
  title: 'Fragmentation',
  cases: [
    {
      id: '5.1',
      description: 'Send a ping fragmented into 2 frames; the connection is failed with 1002',
      script: () => ({
        steps: [send(pingFrame('frag-', { fin: false }), continuationFrame('ment', true))],
        expect: thenFail([1002]),
      }),
    },
    {
      id: '5.2',
      description: 'Send a pong fragmented into 2 frames; the connection is failed with 1002',
      script: () => ({
        steps: [send(pongFrame('frag-', { fin: false }), continuationFrame('ment', true))],
        expect: thenFail([1002]),
      }),
    },
    ...variants(3, (delivery) => ({
      description: `Send a text message in 2 fragments, ${how(delivery)}; it is echoed whole`,
      script: () => ({
        steps: [
          deliver(delivery, textFrame('frag-', { fin: false }), continuationFrame('ment', true)),
          closeNormally,
        ],
        expect: thenClose([expectText('frag-ment')]),
      }),
    })),
    ...variants(6, (delivery) => ({
      description: `Send the first of 2 text fragments and a ping, ${how(delivery)}; the pong comes before the last fragment is sent, then the message is echoed`,
      script: () => ({
        steps: [
          deliver(delivery, textFrame('frag-', { fin: false }), pingFrame('in between')),
          awaitPong(
            'in between',
            'a ping between fragments must be answered before the message ends',
          ),
          deliver(delivery, continuationFrame('ment', true)),
          closeNormally,
        ],
        expect: thenClose([expectPong('in between'), expectText('frag-ment')]),
      }),
    })),
    ...variants(9, (delivery) => ({
      description: `Send a final continuation frame that continues nothing, then a text message, ${how(delivery)}; the connection is failed with 1002`,
      script: () => ({
        steps: [
          deliver(
            delivery,
            continuationFrame('nothing to continue', true),
            textFrame('Hello, world!'),
          ),
        ],
        expect: thenFail([1002]),
      }),
    })),
    ...variants(12, (delivery) => ({
      description: `Send a non-final continuation frame that continues nothing, then a text message, ${how(delivery)}; the connection is failed with 1002`,
      script: () => ({
        steps: [
          deliver(
            delivery,
            continuationFrame('nothing to continue', false),
            textFrame('Hello, world!'),
          ),
        ],
        expect: thenFail([1002]),
      }),
    })),
    {
      id: '5.15',
      description:
        'Send a text message in 2 fragments, then a continuation frame after it ended, then a text message; the first is echoed, then the connection is failed with 1002',
      script: () => ({
        steps: [
          send(
            textFrame('frag-', { fin: false }),
            continuationFrame('ment', true),
            continuationFrame('too late', false),
            textFrame('Hello, world!'),
          ),
        ],
        expect: thenFail([1002], [expectText('frag-ment')]),
      }),
    },
    {
      id: '5.16',
      description:
        'Twice: a non-final continuation frame that continues nothing, then a text message in 2 fragments; the connection is failed with 1002',
      script: () => {
        const round = [
          continuationFrame('nothing', false),
          textFrame('frag-', { fin: false }),
          continuationFrame('ment', true),
        ];
        return { steps: [send(...round, ...round)], expect: thenFail([1002]) };
      },
    },
    {
      id: '5.17',
      description:
        'Twice: a final continuation frame that continues nothing, then a text message in 2 fragments; the connection is failed with 1002',
      script: () => {
        const round = [
          continuationFrame('nothing', true),
          textFrame('frag-', { fin: false }),
          continuationFrame('ment', true),
        ];
        return { steps: [send(...round, ...round)], expect: thenFail([1002]) };
      },
    },
    {
      id: '5.18',
      description:
        'Send the first fragment of a text message, then a new text frame instead of a continuation; the connection is failed with 1002',
      script: () => ({
        steps: [send(textFrame('frag-', { fin: false }), textFrame('ment', { fin: true }))],
        expect: thenFail([1002]),
      }),
    },
    ...[false, true].map(
      (chopped, index): ConformanceCase => ({
        id: `5.${19 + index}`,
        description: `Send a text message in 5 fragments with a ping after the 1st and the 3rd, ${chopped ? 'in 1-byte writes' : 'one write per frame'}, waiting for each pong; the pongs come first, then the message`,
        script: () => {
          const step = (...frames: Parameters<typeof send>) =>
            chopped
              ? sendChopped({ size: 1, delayMs: 0 }, ...frames)
              : sendFramewise(20, ...frames);
          return {
            steps: [
              step(textFrame('fragment1', { fin: false }), pingFrame('pongme 1!')),
              awaitPong(
                'pongme 1!',
                'a ping between fragments must be answered before the message ends',
              ),
              step(
                continuationFrame('fragment2', false),
                continuationFrame('fragment3', false),
                pingFrame('pongme 2!'),
              ),
              awaitPong(
                'pongme 2!',
                'a ping between fragments must be answered before the message ends',
              ),
              step(continuationFrame('fragment4', false), continuationFrame('fragment5', true)),
              closeNormally,
            ],
            expect: thenClose([
              expectPong('pongme 1!'),
              expectPong('pongme 2!'),
              expectText('fragment1fragment2fragment3fragment4fragment5'),
            ]),
          };
        },
      }),
    ),
    {
      id: '5.21',
      description:
        'Send a text message with multi-byte code points in 1-byte fragments; it is echoed whole',
      script: () => {
        const data = toBytes('One byte per frame: κόσμε 𝄞 ✓');
        return {
          steps: [send(...fragmentMessage(Opcode.text, data, 1)), closeNormally],
          expect: thenClose([expectText(data)]),
        };
      },
    },
    {
      id: '5.22',
      description: 'Send a 256-byte binary message in 1-byte fragments; it is echoed whole',
      script: () => {
        const data = binaryPayload(256);
        return {
          steps: [send(...fragmentMessage(Opcode.binary, data, 1)), closeNormally],
          expect: thenClose([expectBinary(data)]),
        };
      },
    },
    {
      id: '5.23',
      description:
        'Send a binary message whose first fragment is empty and whose last is empty; it is echoed whole',
      script: () => {
        const data = binaryPayload(64);
        return {
          steps: [
            send(
              { opcode: Opcode.binary, fin: false, payload: new Uint8Array(0) },
              continuationFrame(data, false),
              continuationFrame(new Uint8Array(0), true),
            ),
            closeNormally,
          ],
          expect: thenClose([expectBinary(data)]),
        };
      },
    },
  ],
};
