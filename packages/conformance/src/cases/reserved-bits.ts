// Group 3: reserved bits. Without a negotiated extension every RSV bit must be 0, and the
// receiver MUST fail the connection otherwise (RFC 6455 §5.2).

import { expectText } from '../expect.js';
import {
  binaryFrame,
  type CaseGroup,
  closeFrame,
  pingFrame,
  send,
  sendChopped,
  sendFramewise,
  textFrame,
  thenFail,
} from './dsl.js';

const echoed = [expectText('Hello, world!')];

export const reservedBits: CaseGroup = {
  id: '3',
  title: 'Reserved bits',
  cases: [
    {
      id: '3.1',
      description: 'Send a small text message with RSV3 set; the connection is failed with 1002',
      script: () => ({
        steps: [send(textFrame('Hello, world!', { rsv3: true }))],
        expect: thenFail([1002]),
      }),
    },
    {
      id: '3.2',
      description:
        'Send a small text message, then one with RSV2 set, then a ping; the first is echoed, then the connection is failed with 1002 and the ping is not answered',
      script: () => ({
        steps: [
          send(textFrame('Hello, world!'), textFrame('Hello, world!', { rsv2: true }), pingFrame()),
        ],
        expect: thenFail([1002], echoed),
      }),
    },
    {
      id: '3.3',
      description:
        'Send a small text message, then one with RSV2 and RSV3 set, then a ping, one write per frame; the first is echoed, then the connection is failed with 1002',
      script: () => ({
        steps: [
          sendFramewise(
            10,
            textFrame('Hello, world!'),
            textFrame('Hello, world!', { rsv2: true, rsv3: true }),
            pingFrame(),
          ),
        ],
        expect: thenFail([1002], echoed),
      }),
    },
    {
      id: '3.4',
      description:
        'Send a small text message, then one with RSV1 set (nothing negotiated), then a ping, in 1-byte writes; the first is echoed, then the connection is failed with 1002',
      script: () => ({
        steps: [
          sendChopped(
            { size: 1, delayMs: 0 },
            textFrame('Hello, world!'),
            textFrame('Hello, world!', { rsv1: true }),
            pingFrame(),
          ),
        ],
        expect: thenFail([1002], echoed),
      }),
    },
    {
      id: '3.5',
      description:
        'Send a small binary message with RSV1 and RSV3 set; the connection is failed with 1002',
      script: () => ({
        steps: [send(binaryFrame(Uint8Array.of(0, 1, 2, 3), { rsv1: true, rsv3: true }))],
        expect: thenFail([1002]),
      }),
    },
    {
      id: '3.6',
      description: 'Send a ping with RSV1 and RSV2 set; the connection is failed with 1002',
      script: () => ({
        steps: [send(pingFrame('Hello', { rsv1: true, rsv2: true }))],
        expect: thenFail([1002]),
      }),
    },
    {
      id: '3.7',
      description: 'Send a close frame with all RSV bits set; the connection is failed with 1002',
      script: () => ({
        steps: [send(closeFrame(1000, '', { rsv1: true, rsv2: true, rsv3: true }))],
        expect: thenFail([1002]),
      }),
    },
    {
      id: '3.8',
      description:
        'Send a small binary message, then a ping with RSV3 set; the message is echoed, then the connection is failed with 1002',
      script: () => ({
        steps: [send(binaryFrame(Uint8Array.of(1, 2, 3)), pingFrame('Hello', { rsv3: true }))],
        expect: thenFail(
          [1002],
          [{ kind: 'message', type: 'binary', data: Uint8Array.of(1, 2, 3) }],
        ),
      }),
    },
  ],
};
