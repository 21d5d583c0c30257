// Group 2: pings and pongs (RFC 6455 §5.5.2, §5.5.3).

import { toBytes } from '../bytes.js';
import { expectPong, expectText } from '../expect.js';
import {
  binaryPayload,
  type CaseGroup,
  closeNormally,
  pingFrame,
  pongFrame,
  send,
  sendChopped,
  textFrame,
  thenClose,
  thenFail,
} from './dsl.js';

const SMALL_BINARY = Uint8Array.of(0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff);
const tenPings = () => Array.from({ length: 10 }, (_, index) => toBytes(`payload-${index}`));

export const pingPong: CaseGroup = {
  id: '2',
  title: 'Pings and pongs',
  cases: [
    {
      id: '2.1',
      description: 'Send a ping without payload; a pong without payload answers it',
      script: () => ({
        steps: [send(pingFrame()), closeNormally],
        expect: thenClose([expectPong()]),
      }),
    },
    {
      id: '2.2',
      description: 'Send a ping with a small text payload; a pong with the same payload answers it',
      script: () => ({
        steps: [send(pingFrame('Hello, world!')), closeNormally],
        expect: thenClose([expectPong('Hello, world!')]),
      }),
    },
    {
      id: '2.3',
      description:
        'Send a ping with a small binary payload; a pong with the same payload answers it',
      script: () => ({
        steps: [send(pingFrame(SMALL_BINARY)), closeNormally],
        expect: thenClose([expectPong(SMALL_BINARY)]),
      }),
    },
    {
      id: '2.4',
      description:
        'Send a ping with a 125-byte binary payload; a pong with the same payload answers it',
      script: () => {
        const payload = binaryPayload(125);
        return {
          steps: [send(pingFrame(payload)), closeNormally],
          expect: thenClose([expectPong(payload)]),
        };
      },
    },
    {
      id: '2.5',
      description:
        'Send a ping with a 126-byte payload (over the control frame limit); the connection is failed with 1002',
      script: () => ({ steps: [send(pingFrame(binaryPayload(126)))], expect: thenFail([1002]) }),
    },
    {
      id: '2.6',
      description:
        'Send a ping with a 125-byte payload in 1-byte writes; a pong with the same payload answers it',
      script: () => {
        const payload = binaryPayload(125);
        return {
          steps: [sendChopped({ size: 1, delayMs: 1 }, pingFrame(payload)), closeNormally],
          expect: thenClose([expectPong(payload)]),
        };
      },
    },
    {
      id: '2.7',
      description:
        'Send an unsolicited pong without payload, then a text message; the pong is ignored',
      script: () => ({
        steps: [send(pongFrame()), send(textFrame('still here')), closeNormally],
        expect: thenClose([expectText('still here')]),
      }),
    },
    {
      id: '2.8',
      description:
        'Send an unsolicited pong with payload, then a text message; the pong is ignored',
      script: () => ({
        steps: [send(pongFrame('unsolicited')), send(textFrame('still here')), closeNormally],
        expect: thenClose([expectText('still here')]),
      }),
    },
    {
      id: '2.9',
      description: 'Send an unsolicited pong, then a ping; only the ping is answered',
      script: () => ({
        steps: [send(pongFrame('unsolicited'), pingFrame('solicited')), closeNormally],
        expect: thenClose([expectPong('solicited')]),
      }),
    },
    {
      id: '2.10',
      description: 'Send 10 pings in a row; pongs answer them in order (at least the last one)',
      script: () => {
        const payloads = tenPings();
        return {
          steps: [send(...payloads.map((payload) => pingFrame(payload))), closeNormally],
          expect: thenClose([{ kind: 'pongs', payloads }]),
        };
      },
    },
    {
      id: '2.11',
      description:
        'Send 10 pings in a row in 1-byte writes; pongs answer them in order (at least the last one)',
      script: () => {
        const payloads = tenPings();
        return {
          steps: [
            sendChopped({ size: 1, delayMs: 0 }, ...payloads.map((payload) => pingFrame(payload))),
            closeNormally,
          ],
          expect: thenClose([{ kind: 'pongs', payloads }]),
        };
      },
    },
  ],
};
