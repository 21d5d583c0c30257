// Group 7: the closing handshake (RFC 6455 §5.5.1, §7). The peer echoes a valid close code,
// ignores everything after a close frame, rejects invalid codes and payloads, and the server
// closes TCP first (every clean-close expectation checks that too).

import { hex } from '../bytes.js';
import { expectText, NO_STATUS } from '../expect.js';
import {
  type CaseGroup,
  type ConformanceCase,
  closeFrame,
  closeNormally,
  continuationFrame,
  pingFrame,
  send,
  textFrame,
  thenClose,
  thenFail,
} from './dsl.js';

/** Codes an endpoint may send and receive (RFC 6455 §7.4.1, §7.4.2). */
const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
/** Codes that must never appear in a close frame, or lie outside every defined range. */
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

export const close: CaseGroup = {
  id: '7',
  title: 'Closing handshake',
  cases: [
    {
      id: '7.1.1',
      description:
        'Send a text message, then a close 1000; the message is echoed, the close is echoed, and the server closes TCP',
      script: () => ({
        steps: [send(textFrame('Hello World!')), closeNormally],
        expect: thenClose([expectText('Hello World!')]),
      }),
    },
    {
      id: '7.1.2',
      description: 'Send two close frames; only one close frame comes back',
      script: () => ({ steps: [send(closeFrame(1000), closeFrame(1000))], expect: thenClose([]) }),
    },
    {
      id: '7.1.3',
      description: 'Send a close frame, then a ping; the ping is not answered',
      script: () => ({
        steps: [send(closeFrame(1000), pingFrame('after close'))],
        expect: thenClose([]),
      }),
    },
    {
      id: '7.1.4',
      description: 'Send a close frame, then a text message; the message is not echoed',
      script: () => ({
        steps: [send(closeFrame(1000), textFrame('after close'))],
        expect: thenClose([]),
      }),
    },
    {
      id: '7.1.5',
      description:
        'Send the first fragment of a text message, a close frame, then the last fragment; nothing is echoed',
      script: () => ({
        steps: [
          send(
            textFrame('fragment1', { fin: false }),
            closeFrame(1000),
            continuationFrame('fragment2', true),
          ),
        ],
        expect: thenClose([]),
      }),
    },
    {
      id: '7.3.1',
      description:
        'Send a close frame without payload; a close frame without status code (or 1000) comes back',
      script: () => ({ steps: [send(closeFrame())], expect: thenClose([], [NO_STATUS, 1000]) }),
    },
    {
      id: '7.3.2',
      description: 'Send a close frame with a 1-byte payload; the connection is failed with 1002',
      script: () => ({
        steps: [send({ opcode: 0x8, payload: Uint8Array.of(0x03) })],
        expect: thenFail([1002]),
      }),
    },
    {
      id: '7.3.3',
      description: 'Send a close 1000 without reason; it is echoed',
      script: () => ({ steps: [closeNormally], expect: thenClose([]) }),
    },
    {
      id: '7.3.4',
      description: 'Send a close 1000 with a short reason; it is echoed',
      script: () => ({ steps: [send(closeFrame(1000, 'Hello World!'))], expect: thenClose([]) }),
    },
    {
      id: '7.3.5',
      description: 'Send a close 1000 with a 123-byte reason (the largest that fits); it is echoed',
      script: () => ({ steps: [send(closeFrame(1000, '*'.repeat(123)))], expect: thenClose([]) }),
    },
    {
      id: '7.3.6',
      description:
        'Send a close 1000 with a 124-byte reason (a 126-byte control frame); the connection is failed with 1002',
      script: () => ({
        steps: [send(closeFrame(1000, '*'.repeat(124)))],
        expect: thenFail([1002]),
      }),
    },
    {
      id: '7.5.1',
      description:
        'Send a close 1000 whose reason is invalid UTF-8; the connection is failed with 1007',
      script: () => ({
        steps: [
          send(
            closeFrame(1000, hex('ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64')),
          ),
        ],
        expect: thenFail([1007]),
      }),
    },
    ...VALID_CODES.map(
      (code, index): ConformanceCase => ({
        id: `7.7.${index + 1}`,
        description: `Send a close with code ${code}; it is echoed with the same code`,
        script: () => ({ steps: [send(closeFrame(code))], expect: thenClose([], [code]) }),
      }),
    ),
    ...INVALID_CODES.map(
      (code, index): ConformanceCase => ({
        id: `7.9.${index + 1}`,
        description: `Send a close with invalid code ${code}; the connection is failed with 1002`,
        script: () => ({ steps: [send(closeFrame(code))], expect: thenFail([1002]) }),
      }),
    ),
  ],
};
