// Group 6: UTF-8 in text messages (RFC 6455 §5.6, §8.1). Invalid UTF-8 MUST fail the connection
// with 1007, also when the invalid bytes are split across fragments or cut off at the end; the
// sequences are the classic decoder stress cases (Markus Kuhn's UTF-8 test file, as grouped by
// the Autobahn testsuite), numbered from 6.5 like Autobahn's.

import { concatBytes, describeBytes, hex, toBytes } from '../bytes.js';
import { expectText } from '../expect.js';
import { fragmentMessage, Opcode } from '../frame.js';
import {
  awaitClose,
  type CaseGroup,
  type ConformanceCase,
  closeNormally,
  continuationFrame,
  quiet,
  send,
  textFrame,
  textPayload,
  thenClose,
  thenFail,
} from './dsl.js';

type Sequence = [valid: boolean, bytes: string];

/** "κόσμε": 2-, 3-, 2-, 2- and 2-byte code points. */
const KOSME = 'ce ba e1 bd b9 cf 83 ce bc ce b5';
const MISSING_LAST_BYTE = [
  'c0',
  'e080',
  'f08080',
  'f8808080',
  'fc80808080',
  'df',
  'efbf',
  'f7bfbf',
  'fbbfbfbf',
  'fdbfbfbfbf',
];

function lonelyStarts(first: number, last: number): Sequence {
  let bytes = '';
  for (let lead = first; lead <= last; lead++) bytes += `${lead.toString(16)}20`;
  return [false, bytes];
}

function nonCharacters(): Sequence[] {
  const sequences: Sequence[] = [
    [true, 'efbfbe'],
    [true, 'efbfbf'],
  ];
  // U+nFFFE and U+nFFFF of every supplementary plane: F0-F4, then 8F/9F/AF/BF, BF, BE/BF.
  for (const lead of ['f0', 'f1', 'f2', 'f3', 'f4']) {
    for (const second of ['8f', '9f', 'af', 'bf']) {
      if (lead === 'f0' && second === '8f') continue; // overlong, not plane 1-16
      if (lead === 'f4' && second !== '8f') continue; // above U+10FFFF
      for (const last of ['be', 'bf']) sequences.push([true, `${lead}${second}bf${last}`]);
    }
  }
  return sequences;
}

const SEQUENCE_GROUPS: Array<{ title: string; sequences: Sequence[] }> = [
  {
    title: 'some valid UTF-8',
    sequences: [
      [true, '68656c6c6f24776f726c64'],
      [true, '68656c6c6fc2a2776f726c64'],
      [true, '68656c6c6fe282ac776f726c64'],
      [true, '68656c6c6ff0a4ada2776f726c64'],
      [true, KOSME],
    ],
  },
  {
    title: 'every prefix of a multi-byte string (truncated ones are invalid)',
    sequences: Array.from(
      { length: 11 },
      (_, index): Sequence => [
        [2, 5, 7, 9, 11].includes(index + 1),
        KOSME.replace(/\s+/g, '').slice(0, (index + 1) * 2),
      ],
    ),
  },
  {
    title: 'first sequence of each length',
    sequences: [
      [true, '00'],
      [true, 'c280'],
      [true, 'e0a080'],
      [true, 'f0908080'],
    ],
  },
  {
    title: 'first 5- and 6-byte sequences',
    sequences: [
      [false, 'f888808080'],
      [false, 'fc8480808080'],
    ],
  },
  {
    title: 'last sequence of each length',
    sequences: [
      [true, '7f'],
      [true, 'dfbf'],
      [true, 'efbfbf'],
      [true, 'f48fbfbf'],
    ],
  },
  {
    title: 'last 4-, 5- and 6-byte sequences (beyond U+10FFFF)',
    sequences: [
      [false, 'f7bfbfbf'],
      [false, 'fbbfbfbfbf'],
      [false, 'fdbfbfbfbfbf'],
    ],
  },
  {
    title: 'other boundaries',
    sequences: [
      [true, 'ed9fbf'],
      [true, 'ee8080'],
      [true, 'efbfbd'],
      [true, 'f48fbfbf'],
      [false, 'f4908080'],
    ],
  },
  {
    title: 'unexpected continuation bytes',
    sequences: [
      [false, '80'],
      [false, 'bf'],
      [false, '80bf'],
      [false, '80bf80'],
      [false, '80bf80bf'],
      [false, '80bf80bf80'],
      [false, '80bf80bf80bf'],
      [false, Array.from({ length: 0x3f }, (_, index) => (0x80 + index).toString(16)).join('')],
    ],
  },
  {
    title: 'lonely start bytes followed by a space',
    sequences: [
      lonelyStarts(0xc0, 0xdf),
      lonelyStarts(0xe0, 0xef),
      lonelyStarts(0xf0, 0xf7),
      lonelyStarts(0xf8, 0xfb),
      lonelyStarts(0xfc, 0xfd),
    ],
  },
  {
    title: 'last continuation byte missing',
    sequences: MISSING_LAST_BYTE.map((bytes): Sequence => [false, bytes]),
  },
  { title: 'incomplete sequences concatenated', sequences: [[false, MISSING_LAST_BYTE.join('')]] },
  {
    title: 'impossible bytes',
    sequences: [
      [false, 'fe'],
      [false, 'ff'],
      [false, 'fefeffff'],
    ],
  },
  {
    title: "overlong '/'",
    sequences: ['c0af', 'e080af', 'f08080af', 'f8808080af', 'fc80808080af'].map(
      (bytes): Sequence => [false, bytes],
    ),
  },
  {
    title: 'maximum overlong sequences',
    sequences: ['c1bf', 'e09fbf', 'f08fbfbf', 'f887bfbfbf', 'fc83bfbfbfbf'].map(
      (bytes): Sequence => [false, bytes],
    ),
  },
  {
    title: 'overlong NUL',
    sequences: ['c080', 'e08080', 'f0808080', 'f880808080', 'fc8080808080'].map(
      (bytes): Sequence => [false, bytes],
    ),
  },
  {
    title: 'single UTF-16 surrogates',
    sequences: ['eda080', 'edadbf', 'edae80', 'edafbf', 'edb080', 'edbe80', 'edbfbf'].map(
      (bytes): Sequence => [false, bytes],
    ),
  },
  {
    title: 'paired UTF-16 surrogates',
    sequences: ['eda080', 'edadbf', 'edae80', 'edafbf'].flatMap((high) =>
      ['edb080', 'edbfbf'].map((low): Sequence => [false, high + low]),
    ),
  },
  { title: 'non-characters (valid UTF-8)', sequences: nonCharacters() },
  {
    title: 'specials (valid UTF-8)',
    sequences: ['efbfb9', 'efbfba', 'efbfbb', 'efbfbc', 'efbfbd', 'efbfbe', 'efbfbf'].map(
      (bytes): Sequence => [true, bytes],
    ),
  },
];

function sequenceCases(): ConformanceCase[] {
  return SEQUENCE_GROUPS.flatMap(({ title, sequences }, groupIndex) =>
    sequences.map(([valid, bytesHex], index): ConformanceCase => {
      const bytes = hex(bytesHex);
      return {
        id: `6.${groupIndex + 5}.${index + 1}`,
        description: valid
          ? `Send a text message of valid UTF-8 (${title}) ${describeBytes(bytes, 16)}; it is echoed`
          : `Send a text message of invalid UTF-8 (${title}) ${describeBytes(bytes, 16)}; the connection is failed with 1007`,
        script: () =>
          valid
            ? {
                steps: [send(textFrame(bytes)), closeNormally],
                expect: thenClose([expectText(bytes)]),
              }
            : { steps: [send(textFrame(bytes))], expect: thenFail([1007]) },
      };
    }),
  );
}

const VALID_TEXT = toBytes('Hello-µ@ßöäüàá-UTF-8!!');
const FOUR_BYTE_TEXT = toBytes('𝄞𝄢𝅘𝅥𝅮 𐍈 🎉');
const INVALID_TEXT = hex(`${KOSME} eda080 656469746564`);

/** A fragmented message whose invalid fragment must be rejected on arrival (RFC 6455 §8.1). */
function failFast(id: string, description: string, fragments: () => Uint8Array[]): ConformanceCase {
  return {
    id,
    description,
    script: () => {
      const [first, bad, ...rest] = fragments();
      return {
        steps: [
          send(textFrame(first as Uint8Array, { fin: false })),
          quiet(200, 'the fragments so far are valid UTF-8'),
          send(continuationFrame(bad as Uint8Array, false)),
          awaitClose(
            'the invalid fragment must fail the connection when it arrives, before the message ends',
          ),
          send(...rest.map((part, index) => continuationFrame(part, index === rest.length - 1))),
        ],
        expect: thenFail([1007]),
      };
    },
  };
}

export const utf8: CaseGroup = {
  id: '6',
  title: 'UTF-8 handling',
  cases: [
    {
      id: '6.1.1',
      description: 'Send an empty text message; it is echoed',
      script: () => ({
        steps: [send(textFrame('')), closeNormally],
        expect: thenClose([expectText('')]),
      }),
    },
    {
      id: '6.1.2',
      description: 'Send an empty text message in 3 empty fragments; it is echoed',
      script: () => ({
        steps: [
          send(
            textFrame('', { fin: false }),
            continuationFrame('', false),
            continuationFrame('', true),
          ),
          closeNormally,
        ],
        expect: thenClose([expectText('')]),
      }),
    },
    {
      id: '6.1.3',
      description: 'Send a text message in 3 fragments, the first and last empty; it is echoed',
      script: () => ({
        steps: [
          send(
            textFrame('', { fin: false }),
            continuationFrame('middle frame payload', false),
            continuationFrame('', true),
          ),
          closeNormally,
        ],
        expect: thenClose([expectText('middle frame payload')]),
      }),
    },
    {
      id: '6.2.1',
      description: 'Send a text message of valid multi-byte UTF-8 in one frame; it is echoed',
      script: () => ({
        steps: [send(textFrame(VALID_TEXT)), closeNormally],
        expect: thenClose([expectText(VALID_TEXT)]),
      }),
    },
    {
      id: '6.2.2',
      description:
        'Send a text message of valid multi-byte UTF-8 in 2 fragments split on a code point boundary; it is echoed',
      script: () => ({
        steps: [
          send(
            textFrame(VALID_TEXT.subarray(0, 12), { fin: false }),
            continuationFrame(VALID_TEXT.subarray(12), true),
          ),
          closeNormally,
        ],
        expect: thenClose([expectText(VALID_TEXT)]),
      }),
    },
    {
      id: '6.2.3',
      description:
        'Send a text message of valid multi-byte UTF-8 in 1-byte fragments (code points split); it is echoed',
      script: () => ({
        steps: [send(...fragmentMessage(Opcode.text, VALID_TEXT, 1)), closeNormally],
        expect: thenClose([expectText(VALID_TEXT)]),
      }),
    },
    {
      id: '6.2.4',
      description: 'Send a text message of 4-byte code points in 1-byte fragments; it is echoed',
      script: () => ({
        steps: [send(...fragmentMessage(Opcode.text, FOUR_BYTE_TEXT, 1)), closeNormally],
        expect: thenClose([expectText(FOUR_BYTE_TEXT)]),
      }),
    },
    {
      id: '6.2.5',
      description:
        'Send a 64 KiB text message of mixed 1- to 4-byte code points in 1000-byte fragments; it is echoed',
      script: () => {
        const data = textPayload(64 * 1024);
        return {
          steps: [send(...fragmentMessage(Opcode.text, data, 1000)), closeNormally],
          expect: thenClose([expectText(data)]),
        };
      },
    },
    {
      id: '6.3.1',
      description:
        'Send a text message with a UTF-16 surrogate in the middle, in one frame; the connection is failed with 1007',
      script: () => ({ steps: [send(textFrame(INVALID_TEXT))], expect: thenFail([1007]) }),
    },
    {
      id: '6.3.2',
      description:
        'Send the same invalid text message in 1-byte fragments; the connection is failed with 1007',
      script: () => ({
        steps: [send(...fragmentMessage(Opcode.text, INVALID_TEXT, 1))],
        expect: thenFail([1007]),
      }),
    },
    failFast(
      '6.4.1',
      'Fail fast: send a valid first fragment, then one with a code point above U+10FFFF; the close comes before the message ends, with 1007',
      () => [hex(KOSME), hex('f4 90 80 80'), toBytes('edited')],
    ),
    failFast(
      '6.4.2',
      'Fail fast: send a first fragment ending in 0xF4, then one starting with 0x90 (above U+10FFFF); the close comes before the message ends, with 1007',
      () => [hex(`${KOSME} f4`), hex('90'), hex('80 80 65 64 69 74 65 64')],
    ),
    failFast(
      '6.4.3',
      'Fail fast: send 64 KiB of valid text, then a fragment with a surrogate, with 1 MiB still to come; the close comes before the message ends, with 1007',
      () => [
        textPayload(64 * 1024),
        concatBytes([hex('ed a0 80'), textPayload(1021)]),
        ...Array.from({ length: 16 }, () => textPayload(64 * 1024)),
      ],
    ),
    ...sequenceCases(),
  ],
};
