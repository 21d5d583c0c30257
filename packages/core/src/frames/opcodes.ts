/** Frame opcodes, RFC 6455 §5.2. */
export const Opcode = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

/** One of the opcode numbers in `Opcode` (RFC 6455 §5.2). */
export type OpcodeValue = (typeof Opcode)[keyof typeof Opcode];

/** RFC 6455 §5.5: control frames are identified by opcodes where the most significant bit is 1. */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** RFC 6455 §5.2: 0x3-0x7 and 0xB-0xF are reserved; receiving one fails the connection. */
export function isKnownOpcode(opcode: number): boolean {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xa);
}

/** RFC 6455 §5.5: all control frames MUST have a payload length of 125 bytes or less. */
export const MAX_CONTROL_PAYLOAD = 125;
