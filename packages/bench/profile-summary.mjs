// Summarises a V8 .cpuprofile (from `node run.mjs --cpu-prof DIR`): the functions with the
// most self time, and the share of each file.
//   node profile-summary.mjs FILE.cpuprofile [top=25]
import { readFileSync } from 'node:fs';

const [file, topArgument] = process.argv.slice(2);
if (file === undefined) {
  console.error('usage: node profile-summary.mjs FILE.cpuprofile [top]');
  process.exit(2);
}
const top = Number(topArgument ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfTime = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const byFunction = new Map();
const byFile = new Map();
let total = 0;
for (const [id, time] of selfTime) {
  const { callFrame } = byId.get(id);
  const where = callFrame.url.replace(/^.*\/(node_modules|packages)\//, '') || '(native)';
  const name = `${callFrame.functionName || '(anonymous)'}  ${where}:${callFrame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + time);
  byFile.set(where, (byFile.get(where) ?? 0) + time);
  total += time;
}
const print = (title, map, count) => {
  console.log(`\n${title}`);
  for (const [name, time] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    console.log(`${((time / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
};
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`);
print('self time by function', byFunction, top);
print('self time by file', byFile, 12);
