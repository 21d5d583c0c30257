// Group 9: large and chopped messages, echoed exactly. Group 10: a message that arrives in many
// mid-sized fragments (what an auto-fragmenting sender produces).

import { expectBinary, expectText, type MessageType } from '../expect.js';
import { fragmentMessage, Opcode } from '../frame.js';
import {
  binaryPayload,
  type CaseGroup,
  type ConformanceCase,
  closeNormally,
  KiB,
  MiB,
  type Step,
  send,
  sendChopped,
  sizeName,
  textPayload,
  thenClose,
} from './dsl.js';

const payloadOf = (type: MessageType, size: number) =>
  type === 'text' ? textPayload(size) : binaryPayload(size);
const opcodeOf = (type: MessageType) => (type === 'text' ? Opcode.text : Opcode.binary);
const expected = (type: MessageType, data: Uint8Array) =>
  type === 'text' ? expectText(data) : expectBinary(data);

/** Generous limits for the megabyte cases; a conforming peer needs a fraction of them. */
function budget(bytes: number): Pick<ConformanceCase, 'endTimeoutMs' | 'timeoutMs'> {
  return { endTimeoutMs: 3000 + bytes / 2000, timeoutMs: 15000 + bytes / 500 };
}

const MESSAGE_SIZES = [64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB, 16 * MiB];
const FRAGMENT_SIZES = [64, 256, 1 * KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB];
const CHOP_SIZES = [64, 128, 256, 512, 1 * KiB, 2 * KiB];

function largeMessages(type: MessageType, prefix: string): ConformanceCase[] {
  return MESSAGE_SIZES.map((size, index) => ({
    id: `${prefix}.${index + 1}`,
    description: `Send a ${sizeName(size)} ${type} message in one frame; it is echoed exactly`,
    ...budget(size),
    script: () => {
      const data = payloadOf(type, size);
      return {
        steps: [send({ opcode: opcodeOf(type), payload: data }), closeNormally],
        expect: thenClose([expected(type, data)]),
      };
    },
  }));
}

function fragmentedMessages(type: MessageType, prefix: string): ConformanceCase[] {
  const size = 4 * MiB;
  return FRAGMENT_SIZES.map((fragmentSize, index) => ({
    id: `${prefix}.${index + 1}`,
    description: `Send a 4 MiB ${type} message in ${size / fragmentSize} fragments of ${sizeName(fragmentSize)}; it is echoed exactly`,
    ...budget(size),
    script: () => {
      const data = payloadOf(type, size);
      return {
        steps: [send(...fragmentMessage(opcodeOf(type), data, fragmentSize)), closeNormally],
        expect: thenClose([expected(type, data)]),
      };
    },
  }));
}

function choppedMessages(type: MessageType, prefix: string): ConformanceCase[] {
  const size = 1 * MiB;
  return CHOP_SIZES.map((chopSize, index) => ({
    id: `${prefix}.${index + 1}`,
    description: `Send a 1 MiB ${type} message in one frame written in ${chopSize}-byte TCP chunks; it is echoed exactly`,
    ...budget(size * 4),
    script: () => {
      const data = payloadOf(type, size);
      return {
        // A yield between writes keeps most chunks apart on the wire.
        steps: [
          sendChopped({ size: chopSize, delayMs: 0 }, { opcode: opcodeOf(type), payload: data }),
          closeNormally,
        ],
        expect: thenClose([expected(type, data)]),
      };
    },
  }));
}

function manyMessages(type: MessageType, prefix: string): ConformanceCase[] {
  return [0, 64, 4 * KiB].map((size, index) => ({
    id: `${prefix}.${index + 1}`,
    description: `Send 1000 ${type} messages of ${sizeName(size)} back to back; all are echoed in order`,
    script: () => {
      const messages = Array.from({ length: 1000 }, (_, number) =>
        type === 'text' ? textPayload(size) : binaryPayload(size, number + 1),
      );
      const steps: Step[] = [
        send(...messages.map((data) => ({ opcode: opcodeOf(type), payload: data }))),
        closeNormally,
      ];
      return { steps, expect: thenClose(messages.map((data) => expected(type, data))) };
    },
  }));
}

export const limits: CaseGroup = {
  id: '9',
  title: 'Large and chopped messages',
  cases: [
    ...largeMessages('text', '9.1'),
    ...largeMessages('binary', '9.2'),
    ...fragmentedMessages('text', '9.3'),
    ...fragmentedMessages('binary', '9.4'),
    ...choppedMessages('text', '9.5'),
    ...choppedMessages('binary', '9.6'),
    ...manyMessages('text', '9.7'),
    ...manyMessages('binary', '9.8'),
  ],
};

export const autoFragmentation: CaseGroup = {
  id: '10',
  title: 'Auto-fragmentation',
  cases: (['text', 'binary'] as const).map((type, index) => ({
    id: `10.1.${index + 1}`,
    description: `Send a 64 KiB ${type} message in 1300-byte fragments; it is echoed exactly`,
    script: () => {
      const data = payloadOf(type, 64 * KiB);
      return {
        steps: [send(...fragmentMessage(opcodeOf(type), data, 1300)), closeNormally],
        expect: thenClose([expected(type, data)]),
      };
    },
  })),
};
