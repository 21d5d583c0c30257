#!/usr/bin/env node
/**
 * Fuzzes the network parsers of the built @wskit/core (run `pnpm build` first).
 *
 *   node packages/core/fuzz/fuzz.mjs [--target all|frames|frames-deflate|http-head|
 *        header-values|h2-headers|close-payload|utf8] [--runs N] [--minutes M] [--seed S]
 *        [--save-corpus] [--no-coverage]
 *
 * --runs and --minutes apply per target. --save-corpus adds the inputs that reached new code
 * to corpus/<target>/ (named by content hash). --no-coverage mutates the corpus without
 * coverage feedback: several times faster, for long runs once the corpus is good.
 * A finding (an oracle failure or an exception escaping a parser) is written to
 * findings/<target>-<hash> and the run exits 1. Prints one JSON line per target at the end.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { Coverage, Fuzzer } from './engine.mjs';
import { createSeeds } from './seeds.mjs';
import { createTargets, TARGET_NAMES } from './targets.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const distPath = join(here, '..', 'dist', 'index.js');

/** Reads corpus/<target>/ and regressions/<target>/ (both optional). */
export function loadCorpus(target) {
  const inputs = [];
  for (const folder of ['corpus', 'regressions']) {
    const dir = join(here, folder, target);
    let names = [];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of names) inputs.push(new Uint8Array(readFileSync(join(dir, name))));
  }
  return inputs;
}

const hashOf = (bytes) => createHash('sha1').update(bytes).digest('hex').slice(0, 16);

const USAGE = `usage: node fuzz.mjs [--target all|${TARGET_NAMES.join('|')}] [--runs N]
       [--minutes M] [--seed S] [--save-corpus] [--no-coverage]`;

async function main() {
  if (process.argv.includes('--help')) {
    console.log(USAGE);
    return;
  }
  const { values } = parseArgs({
    options: {
      target: { type: 'string', default: 'all' },
      runs: { type: 'string' },
      minutes: { type: 'string' },
      seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
      'save-corpus': { type: 'boolean', default: false },
      'no-coverage': { type: 'boolean', default: false },
    },
  });
  const targets = values.target === 'all' ? TARGET_NAMES : [values.target];
  for (const target of targets) {
    if (!TARGET_NAMES.includes(target)) {
      throw new Error(`unknown --target ${target}; one of: all, ${TARGET_NAMES.join(', ')}`);
    }
  }
  const runs = values.runs === undefined ? undefined : Number(values.runs);
  const minutes = values.minutes === undefined ? undefined : Number(values.minutes);
  if (runs === undefined && minutes === undefined) throw new Error('give --runs or --minutes');
  const seed = Number(values.seed);

  const core = await import(pathToFileURL(distPath).href);
  const run = createTargets(core, { inflateRawSync });
  const seeds = createSeeds(core);
  const coverage = values['no-coverage'] ? undefined : new Coverage('/packages/core/dist/');
  await coverage?.start();

  let failed = false;
  for (const [index, target] of targets.entries()) {
    const corpus = [...seeds[target], ...loadCorpus(target)];
    const fuzzer = new Fuzzer({ target: run[target], seed: seed + index, corpus, coverage });
    const started = Date.now();
    await fuzzer.init();
    const initialCorpus = fuzzer.corpus.length;
    await fuzzer.run({
      runs: runs ?? Infinity,
      deadline: minutes === undefined ? Infinity : started + minutes * 60_000,
      onProgress: (f) =>
        process.stderr.write(
          `[fuzz] ${target}: ${f.executions} execs, ${f.blocks} blocks, corpus ${f.corpus.length}\n`,
        ),
    });
    const seconds = (Date.now() - started) / 1000;
    if (values['save-corpus']) {
      const dir = join(here, 'corpus', target);
      mkdirSync(dir, { recursive: true });
      for (const input of fuzzer.corpus.slice(initialCorpus)) {
        writeFileSync(join(dir, hashOf(input)), input);
      }
    }
    let finding;
    if (fuzzer.finding !== undefined) {
      failed = true;
      const dir = join(here, 'findings');
      mkdirSync(dir, { recursive: true });
      finding = join(dir, `${target}-${hashOf(fuzzer.finding.input)}`);
      writeFileSync(finding, fuzzer.finding.input);
      process.stderr.write(
        `[fuzz] ${target}: FINDING ${finding}\n${fuzzer.finding.error?.stack}\n`,
      );
    }
    console.log(
      JSON.stringify({
        target,
        seed: seed + index,
        coverage: coverage !== undefined,
        executions: fuzzer.executions,
        seconds: Math.round(seconds),
        execsPerSecond: Math.round(fuzzer.executions / Math.max(seconds, 0.001)),
        blocks: coverage === undefined ? null : fuzzer.blocks,
        corpus: fuzzer.corpus.length,
        newInputs: fuzzer.corpus.length - initialCorpus,
        finding: finding ?? null,
      }),
    );
  }
  await coverage?.stop();
  process.exitCode = failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    await main();
  } catch (error) {
    // A mistyped option is a usage error, not a crash: say which, show the usage.
    if (!String(error?.code).startsWith('ERR_PARSE_ARGS')) throw error;
    console.error(`${error.message}\n${USAGE}`);
    process.exitCode = 2;
  }
}
