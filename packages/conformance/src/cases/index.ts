// Every case group, in Autobahn's order.

import { close } from './close.js';
import { compression, compressionParameters } from './deflate.js';
import type { CaseGroup } from './dsl.js';
import { fragmentation } from './fragmentation.js';
import { framing } from './framing.js';
import { autoFragmentation, limits } from './limits.js';
import { opcodes } from './opcodes.js';
import { pingPong } from './ping-pong.js';
import { reservedBits } from './reserved-bits.js';
import { utf8 } from './utf8.js';

export const caseGroups: readonly CaseGroup[] = [
  framing,
  pingPong,
  reservedBits,
  opcodes,
  fragmentation,
  utf8,
  close,
  limits,
  autoFragmentation,
  compression,
  compressionParameters,
];

export * from './dsl.js';
