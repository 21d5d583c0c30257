// Groups 12 and 13: permessage-deflate (RFC 7692). Group 12 sends compressed messages of several
// kinds and sizes under the plain offer; group 13 varies the negotiated parameters. Every echo
// is inflated with exactly the negotiated window and context rules (see DeflateSession), so a
// peer that ignores them fails even when its messages would inflate under looser settings.

import { pseudoRandomBytes, toBytes } from '../bytes.js';
import type { DeflateParams } from '../deflate.js';
import { expectBinary, expectText, type MessageType } from '../expect.js';
import {
  binaryFrame,
  type CaseGroup,
  type CaseScript,
  type ConformanceCase,
  closeNormally,
  continuationFrame,
  KiB,
  pingFrame,
  repairUtf8Edges,
  type Step,
  send,
  sizeName,
  textFrame,
  thenClose,
  thenFail,
} from './dsl.js';

// Payload kinds ---------------------------------------------------------------------------------

interface PayloadKind {
  title: string;
  type: MessageType;
  /** `count` messages of `size` bytes: consecutive slices of one corpus, so later messages
   * repeat earlier content and context takeover pays off. */
  messages(size: number, count: number): Uint8Array[];
}

function nextRandom(state: { value: number }): number {
  state.value ^= state.value << 13;
  state.value >>>= 0;
  state.value ^= state.value >>> 17;
  state.value ^= state.value << 5;
  state.value >>>= 0;
  return state.value;
}

function jsonCorpus(length: number): Uint8Array {
  const random = { value: 0x9e3779b9 };
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
  let text = '';
  for (let id = 1; text.length < length; id++) {
    const tags = [words[nextRandom(random) % 8], words[nextRandom(random) % 8]];
    text += `${JSON.stringify({
      id,
      user: `user-${nextRandom(random) % 5000}`,
      tags,
      score: (nextRandom(random) % 100000) / 1000,
      active: nextRandom(random) % 2 === 0,
      path: `/api/v1/items/${nextRandom(random) % 100}`,
    })}\n`;
  }
  return toBytes(text.slice(0, length));
}

function proseCorpus(length: number): Uint8Array {
  const random = { value: 0x85ebca6b };
  const words = [
    'Habe',
    'nun,',
    'ach!',
    'Philosophie,',
    'Juristerei',
    'und',
    'Medizin,',
    'durchaus',
    'studiert,',
    'mit',
    'heißem',
    'Bemühn.',
    'Τη',
    'γλώσσα',
    'μου',
    'έδωσαν',
    'ελληνική;',
    'Съешь',
    'же',
    'ещё',
    'этих',
    'мягких',
    'булок.',
    '私はガラスを食べられます。',
    '🌍',
    '✓',
    'the',
    'quick',
    'brown',
    'fox',
  ];
  const parts: string[] = [];
  let size = 0;
  while (size < length + 64) {
    const word = words[nextRandom(random) % words.length] as string;
    parts.push(word);
    size += toBytes(word).length + 1;
  }
  return toBytes(parts.join(' ')).slice(0, length);
}

/**
 * Random blocks, each repeated three times, with periods just above each window size from 2^9
 * to 2^14: a compressor that ignores a smaller negotiated window reaches back further than the
 * window allows and the strict inflater rejects it.
 */
function repetitiveCorpus(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let offset = 0;
  let seed = 7;
  while (offset < length) {
    for (const period of [600, 1200, 2200, 4200, 8300, 16500]) {
      const block = pseudoRandomBytes(period, seed++);
      for (let copy = 0; copy < 3 && offset < length; copy++) {
        const piece = block.subarray(0, Math.min(period, length - offset));
        bytes.set(piece, offset);
        offset += piece.length;
      }
    }
  }
  return bytes;
}

function slicer(
  corpus: (length: number) => Uint8Array,
  type: MessageType,
): PayloadKind['messages'] {
  const cache = new Map<number, Uint8Array>();
  return (size, count) => {
    const corpusLength = Math.max(256 * KiB, size * 2);
    const data = cache.get(corpusLength) ?? corpus(corpusLength);
    cache.set(corpusLength, data);
    return Array.from({ length: count }, (_, index) => {
      const start = (index * Math.max(1, Math.floor(size / 3))) % (data.length - size + 1);
      const slice = data.slice(start, start + size);
      return type === 'text' ? repairUtf8Edges(slice) : slice;
    });
  };
}

const KINDS: PayloadKind[] = [
  { title: 'JSON text', type: 'text', messages: slicer(jsonCorpus, 'text') },
  { title: 'multilingual prose text', type: 'text', messages: slicer(proseCorpus, 'text') },
  {
    title: 'incompressible random binary',
    type: 'binary',
    messages: (size, count) =>
      Array.from({ length: count }, (_, index) => pseudoRandomBytes(size, index + 11)),
  },
  {
    title: 'binary with long-range repetition',
    type: 'binary',
    messages: slicer(repetitiveCorpus, 'binary'),
  },
];

// Scripts ---------------------------------------------------------------------------------------

interface Outgoing {
  type: MessageType;
  data: Uint8Array;
  fragmentSize?: number;
}

function compressedEcho(messages: Outgoing[]): CaseScript {
  const steps: Step[] = messages.map(
    (message): Step => ({
      kind: 'message',
      type: message.type,
      data: message.data,
      compress: true,
      ...(message.fragmentSize ? { fragmentSize: message.fragmentSize } : {}),
    }),
  );
  steps.push(closeNormally);
  return {
    steps,
    expect: thenClose(
      messages.map((message) =>
        message.type === 'text' ? expectText(message.data) : expectBinary(message.data),
      ),
    ),
  };
}

const PLAIN: DeflateParams = {};
const MESSAGE_SIZES = [16, 64, 256, 1 * KiB, 4 * KiB, 16 * KiB, 64 * KiB, 128 * KiB];
const MESSAGES_PER_CASE = 10;

function kindCases(kind: PayloadKind, prefix: string): ConformanceCase[] {
  const cases: ConformanceCase[] = MESSAGE_SIZES.map((size, index) => ({
    id: `${prefix}.${index + 1}`,
    description: `Send ${MESSAGES_PER_CASE} compressed messages of ${sizeName(size)} (${kind.title}) under the plain offer; each is echoed exactly`,
    deflate: [PLAIN],
    deflateRequired: true,
    script: () =>
      compressedEcho(
        kind.messages(size, MESSAGES_PER_CASE).map((data) => ({ type: kind.type, data })),
      ),
  }));
  for (const fragmentSize of [256, 4 * KiB]) {
    cases.push({
      id: `${prefix}.${cases.length + 1}`,
      description: `Send ${MESSAGES_PER_CASE} compressed messages of 128 KiB (${kind.title}) in ${sizeName(fragmentSize)} fragments; each is echoed exactly`,
      deflate: [PLAIN],
      deflateRequired: true,
      script: () =>
        compressedEcho(
          kind
            .messages(128 * KiB, MESSAGES_PER_CASE)
            .map((data) => ({ type: kind.type, data, fragmentSize })),
        ),
    });
  }
  return cases;
}

/** Messages of every kind and a range of sizes, with repeats that context takeover shortens. */
function mixedMessages(): Outgoing[] {
  const [json4k, json4kAgain] = KINDS[0]?.messages(4 * KiB, 2) ?? [];
  const [repetitive] = KINDS[3]?.messages(100 * KiB, 1) ?? [];
  const [prose] = KINDS[1]?.messages(16 * KiB, 1) ?? [];
  const [json256] = KINDS[0]?.messages(256, 1) ?? [];
  const [json64k] = KINDS[0]?.messages(64 * KiB, 1) ?? [];
  return [
    { type: 'text', data: json256 as Uint8Array },
    { type: 'text', data: json4k as Uint8Array },
    { type: 'text', data: json4kAgain as Uint8Array },
    // The same message twice: with context takeover the second is a back-reference to the first.
    { type: 'text', data: json4k as Uint8Array },
    { type: 'text', data: prose as Uint8Array },
    { type: 'binary', data: repetitive as Uint8Array },
    { type: 'binary', data: repetitive as Uint8Array },
    { type: 'text', data: json64k as Uint8Array },
  ];
}

function describeParams(params: DeflateParams): string {
  const parts: string[] = [];
  if (params.serverNoContextTakeover) parts.push('server_no_context_takeover');
  if (params.clientNoContextTakeover) parts.push('client_no_context_takeover');
  if (params.serverMaxWindowBits !== undefined)
    parts.push(`server_max_window_bits=${params.serverMaxWindowBits}`);
  if (params.clientMaxWindowBits === true) parts.push('client_max_window_bits');
  else if (params.clientMaxWindowBits !== undefined)
    parts.push(`client_max_window_bits=${params.clientMaxWindowBits}`);
  return parts.length === 0 ? 'no parameters' : parts.join('; ');
}

function paramsCase(
  id: string,
  params: DeflateParams[],
  extra: Partial<ConformanceCase> = {},
): ConformanceCase {
  const offers = params.map((offer) => `"${describeParams(offer)}"`).join(', then ');
  return {
    id,
    description: `Negotiate permessage-deflate with ${offers}; mixed compressed messages are echoed exactly, honouring the negotiated parameters`,
    deflate: params,
    script: () => compressedEcho(mixedMessages()),
    ...extra,
  };
}

const WINDOW_BITS = [9, 10, 11, 12, 13, 14, 15];

export const compression: CaseGroup = {
  id: '12',
  title: 'permessage-deflate: payload kinds and sizes',
  cases: [
    ...KINDS.flatMap((kind, index) => kindCases(kind, `12.${index + 1}`)),
    {
      id: '12.5.1',
      description:
        'Send a text message with RSV1 set when permessage-deflate was not negotiated; the connection is failed with 1002',
      script: () => ({
        steps: [send(textFrame('Hello', { rsv1: true }))],
        expect: thenFail([1002]),
      }),
    },
    {
      id: '12.5.2',
      description:
        'Send a binary message with RSV1 set when permessage-deflate was not negotiated; the connection is failed with 1002',
      script: () => ({
        steps: [send(binaryFrame(Uint8Array.of(1, 2, 3), { rsv1: true }))],
        expect: thenFail([1002]),
      }),
    },
    {
      id: '12.5.3',
      description:
        'With permessage-deflate, send a message whose continuation frame has RSV1 set; the connection is failed with 1002',
      deflate: [PLAIN],
      deflateRequired: true,
      script: () => ({
        // RFC 7692 §6.1: RSV1 is set on the first frame of a compressed message only. The
        // payload bytes are irrelevant: the RSV1 check comes first.
        steps: [
          send(
            textFrame('', { fin: false, rsv1: true }),
            continuationFrame(Uint8Array.of(0x00), true, { rsv1: true }),
          ),
        ],
        expect: thenFail([1002]),
      }),
    },
    {
      id: '12.5.4',
      description:
        'With permessage-deflate, send a ping with RSV1 set; the connection is failed with 1002',
      deflate: [PLAIN],
      deflateRequired: true,
      script: () => ({
        steps: [send(pingFrame('Hello', { rsv1: true }))],
        expect: thenFail([1002]),
      }),
    },
    {
      id: '12.5.5',
      description:
        'With permessage-deflate, send uncompressed messages (RSV1 clear) between compressed ones; all are echoed exactly',
      deflate: [PLAIN],
      deflateRequired: true,
      script: () => {
        const [first, second, third] = KINDS[0]?.messages(2 * KiB, 3) ?? [];
        const steps: Step[] = [
          { kind: 'message', type: 'text', data: first as Uint8Array, compress: true },
          // An uncompressed message adds nothing to the compression context (RFC 7692 §7.2.3).
          { kind: 'message', type: 'text', data: second as Uint8Array },
          { kind: 'message', type: 'text', data: third as Uint8Array, compress: true },
          closeNormally,
        ];
        return {
          steps,
          expect: thenClose([
            expectText(first as Uint8Array),
            expectText(second as Uint8Array),
            expectText(third as Uint8Array),
          ]),
        };
      },
    },
    {
      id: '12.5.6',
      description:
        'With permessage-deflate, send an empty compressed text message; it is echoed empty',
      deflate: [PLAIN],
      deflateRequired: true,
      script: () =>
        compressedEcho([
          { type: 'text', data: new Uint8Array(0) },
          { type: 'text', data: toBytes('after empty') },
        ]),
    },
    {
      id: '12.5.7',
      description:
        'With permessage-deflate, send a compressed binary message in 1-byte fragments; it is echoed exactly',
      deflate: [PLAIN],
      deflateRequired: true,
      script: () =>
        compressedEcho([{ type: 'binary', data: repetitiveCorpus(2 * KiB), fragmentSize: 1 }]),
    },
    {
      id: '12.5.8',
      description:
        'With permessage-deflate, send empty compressed messages (binary whole, binary and text in 1-byte fragments); each is echoed empty',
      deflate: [PLAIN],
      deflateRequired: true,
      // RFC 7692 §7.2.1: an empty message still compresses to a non-empty payload (at least one
      // empty block), which may arrive split over frames (§7.2.3.6 shows an empty fragment); the
      // receiver must still deliver zero bytes.
      script: () =>
        compressedEcho([
          { type: 'binary', data: new Uint8Array(0) },
          { type: 'binary', data: new Uint8Array(0), fragmentSize: 1 },
          { type: 'text', data: new Uint8Array(0), fragmentSize: 1 },
          { type: 'binary', data: toBytes('after empty') },
        ]),
    },
  ],
};

export const compressionParameters: CaseGroup = {
  id: '13',
  title: 'permessage-deflate: negotiated parameters',
  cases: [
    paramsCase('13.1', [PLAIN], { deflateRequired: true }),
    // Valueless client_max_window_bits only exists in offers: nothing to ask a client for.
    paramsCase('13.2', [{ clientMaxWindowBits: true }], { side: 'server' }),
    paramsCase('13.3', [{ serverNoContextTakeover: true }]),
    paramsCase('13.4', [{ clientNoContextTakeover: true }]),
    paramsCase('13.5', [{ serverNoContextTakeover: true, clientNoContextTakeover: true }]),
    ...WINDOW_BITS.map((bits, index) =>
      paramsCase(`13.6.${index + 1}`, [{ serverMaxWindowBits: bits }]),
    ),
    ...WINDOW_BITS.map((bits, index) =>
      paramsCase(`13.7.${index + 1}`, [{ clientMaxWindowBits: bits }]),
    ),
    paramsCase('13.8', [
      {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 9,
        clientMaxWindowBits: 9,
      },
    ]),
    // Several offers: the server picks one and the client must follow the response, not its
    // first offer. A raw server cannot make a client offer twice, so this is server-only.
    paramsCase('13.9', [{ serverMaxWindowBits: 10, clientNoContextTakeover: true }, PLAIN], {
      side: 'server',
    }),
  ],
};
