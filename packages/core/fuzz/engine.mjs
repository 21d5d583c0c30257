/**
 * A small coverage-guided fuzzer: havoc mutations of a corpus, kept when they reach code the
 * corpus did not. Coverage is V8's own block coverage (the inspector's precise coverage with
 * `detailed: true`), restricted to the scripts under test. Taking coverage costs about a
 * millisecond, so inputs run in batches and coverage is taken once per batch; only a batch that
 * found something is re-run input by input to learn which inputs to keep.
 *
 * Why our own: Jazzer.js, the coverage-guided fuzzer for JavaScript, does not install here
 * (4.x's prebuilt addon needs glibc 2.38, Debian 12 has 2.36; 2.x downloads its addon at
 * install time). See README.md.
 */
import { Session } from 'node:inspector/promises';

/** mulberry32: a small seeded PRNG, so that a run is reproducible from its seed. */
export function createRandom(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    below: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
  };
}

/** Byte values that sit on the parsers' boundaries: lengths 125/126/127, opcodes, CR, LF... */
const INTERESTING = [
  0x00, 0x01, 0x02, 0x08, 0x09, 0x0a, 0x0d, 0x20, 0x22, 0x2c, 0x3b, 0x3d, 0x7d, 0x7e, 0x7f, 0x80,
  0x81, 0x82, 0x88, 0x89, 0x8a, 0xc0, 0xc1, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xfe, 0xff,
];

/** One havoc mutation of `input` (a new array); `other` is a corpus entry to splice with. */
export function mutate(input, other, random, maxLength) {
  // Cut first: a large corpus entry must not cost a large copy per mutation.
  let bytes = Array.from(input.subarray(0, maxLength));
  const rounds = 1 + random.below(6);
  for (let round = 0; round < rounds; round++) {
    const at = bytes.length === 0 ? 0 : random.below(bytes.length);
    switch (random.below(10)) {
      case 0: // flip a bit
        if (bytes.length > 0) bytes[at] ^= 1 << random.below(8);
        break;
      case 1: // an interesting byte
        if (bytes.length > 0) bytes[at] = INTERESTING[random.below(INTERESTING.length)];
        break;
      case 2: // a random byte
        if (bytes.length > 0) bytes[at] = random.below(256);
        break;
      case 3: // insert bytes
        bytes.splice(
          at,
          0,
          ...Array.from({ length: 1 + random.below(8) }, () => random.below(256)),
        );
        break;
      case 4: // delete a range
        bytes.splice(at, 1 + random.below(Math.min(16, bytes.length - at || 1)));
        break;
      case 5: {
        // duplicate a range (repeated frames, repeated header lines)
        const length = 1 + random.below(Math.min(64, bytes.length - at || 1));
        bytes.splice(at, 0, ...bytes.slice(at, at + length));
        break;
      }
      case 6: {
        // splice with another input: the head of one, the tail of the other
        const cut = random.below(other.length + 1);
        bytes = bytes.slice(0, at).concat(Array.from(other.subarray(cut, cut + maxLength)));
        break;
      }
      case 7: {
        // a 16- or 64-bit big-endian length at a boundary (RFC 6455 §5.2 extended lengths)
        const values = [0, 125, 126, 127, 65_535, 65_536, 2 ** 31, 2 ** 53];
        const value = values[random.below(values.length)];
        const width = random.chance(0.5) ? 2 : 8;
        for (let i = 0; i < width && at + i < bytes.length; i++) {
          bytes[at + i] = Number((BigInt(value) >> BigInt(8 * (width - 1 - i))) & 0xffn);
        }
        break;
      }
      case 8: // truncate
        bytes = bytes.slice(0, at);
        break;
      default: {
        // arithmetic on a byte (lengths off by a few)
        if (bytes.length > 0) bytes[at] = (bytes[at] + random.below(9) - 4) & 0xff;
      }
    }
  }
  if (bytes.length > maxLength) bytes.length = maxLength;
  return Uint8Array.from(bytes);
}

/** Block coverage of the scripts whose URL contains `scriptFilter`, as a set of block keys. */
export class Coverage {
  #session = new Session();
  #filter;

  constructor(scriptFilter) {
    this.#filter = scriptFilter;
  }

  async start() {
    this.#session.connect();
    await this.#session.post('Profiler.enable');
    await this.#session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
    await this.take(); // start from zero
  }

  /** The blocks run since the last call (V8 resets the counters on every take). */
  async take() {
    const { result } = await this.#session.post('Profiler.takePreciseCoverage');
    const blocks = [];
    for (const script of result) {
      if (!script.url.includes(this.#filter)) continue;
      for (const fn of script.functions) {
        for (const range of fn.ranges) {
          if (range.count > 0) blocks.push(`${script.url}:${range.startOffset}:${range.endOffset}`);
        }
      }
    }
    return blocks;
  }

  async stop() {
    await this.#session.post('Profiler.stopPreciseCoverage');
    this.#session.disconnect();
  }
}

/**
 * Runs one target: mutates the corpus, keeps inputs that reach new blocks, and reports the
 * first input that makes the target throw (an oracle failure or an escaped exception).
 */
export class Fuzzer {
  #target;
  #random;
  #coverage;
  #maxLength;
  #batchSize;
  #seen = new Set();
  corpus = [];
  executions = 0;
  finding = undefined;

  constructor({ target, seed, corpus, coverage, maxLength = 4096, batchSize = 256 }) {
    this.#target = target;
    this.#random = createRandom(seed);
    this.#coverage = coverage;
    this.#maxLength = maxLength;
    this.#batchSize = batchSize;
    this.corpus = corpus.slice();
  }

  /** Runs the corpus once to learn its coverage; a corpus entry that fails is a finding. */
  async init() {
    for (const input of this.corpus) if (!this.#execute(input)) return;
    if (this.#coverage) for (const block of await this.#coverage.take()) this.#seen.add(block);
  }

  get blocks() {
    return this.#seen.size;
  }

  /** Runs until `executions` reaches `runs`, `deadline` (ms since epoch) passes, or a finding. */
  async run({ runs = Infinity, deadline = Infinity, onProgress } = {}) {
    let lastReport = Date.now();
    while (this.executions < runs && Date.now() < deadline && this.finding === undefined) {
      const batch = [];
      const size = Math.min(this.#batchSize, runs - this.executions);
      for (let i = 0; i < size; i++) {
        const input = this.corpus[this.#random.below(this.corpus.length)] ?? new Uint8Array(0);
        const other = this.corpus[this.#random.below(this.corpus.length)] ?? new Uint8Array(0);
        const mutated = mutate(input, other, this.#random, this.#maxLength);
        batch.push(mutated);
        if (!this.#execute(mutated)) return;
      }
      if (this.#coverage) await this.#learn(batch);
      if (onProgress && Date.now() - lastReport > 5000) {
        lastReport = Date.now();
        onProgress(this);
      }
    }
  }

  #execute(input) {
    this.executions++;
    try {
      this.#target(input);
      return true;
    } catch (error) {
      this.finding = { input, error };
      return false;
    }
  }

  async #learn(batch) {
    const blocks = await this.#coverage.take();
    if (blocks.every((block) => this.#seen.has(block))) return;
    // Something in the batch was new: find which inputs, one take per input.
    for (const input of batch) {
      this.#target(input);
      const own = await this.#coverage.take();
      let fresh = false;
      for (const block of own) {
        if (!this.#seen.has(block)) {
          this.#seen.add(block);
          fresh = true;
        }
      }
      if (fresh) this.corpus.push(input);
    }
  }
}
