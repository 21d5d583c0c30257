// Group 4: opcodes. Reserved opcodes 3-7 (non-control) and 11-15 (control) have no meaning, and
// a receiver MUST fail the connection on one (RFC 6455 §5.2).

import { expectText } from '../expect.js';
import {
  type CaseGroup,
  type ConformanceCase,
  pingFrame,
  send,
  textFrame,
  thenFail,
} from './dsl.js';

function reservedOpcodeCases(prefix: string, opcodes: number[], kind: string): ConformanceCase[] {
  return opcodes.map((opcode, index): ConformanceCase => {
    const withPayload = index % 2 === 1;
    const afterEcho = index >= 2;
    const frame = { opcode, payload: withPayload ? 'reserved payload' : '' };
    return {
      id: `${prefix}.${index + 1}`,
      description: afterEcho
        ? `Send a small text message, then a frame with reserved ${kind} opcode ${opcode}${withPayload ? ' and a payload' : ''}, then a ping; the message is echoed, then the connection is failed with 1002`
        : `Send a frame with reserved ${kind} opcode ${opcode}${withPayload ? ' and a payload' : ''}; the connection is failed with 1002`,
      script: () => ({
        steps: [send(...(afterEcho ? [textFrame('Hello, world!'), frame, pingFrame()] : [frame]))],
        expect: thenFail([1002], afterEcho ? [expectText('Hello, world!')] : []),
      }),
    };
  });
}

export const opcodes: CaseGroup = {
  id: '4',
  title: 'Opcodes',
  cases: [
    ...reservedOpcodeCases('4.1', [3, 4, 5, 6, 7], 'non-control'),
    ...reservedOpcodeCases('4.2', [11, 12, 13, 14, 15], 'control'),
  ],
};
