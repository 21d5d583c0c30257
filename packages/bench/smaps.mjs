// Where a process's resident memory lies, from /proc/<pid>/smaps (Linux only): glibc malloc's
// main arena (the `[heap]` brk segment), its per-thread arenas, other anonymous memory (V8's
// heap, stacks, large blocks malloc got straight from mmap) and file mappings.
//
// glibc reserves each secondary arena as one 64 MiB-aligned region of HEAP_MAX_SIZE (64 MiB on
// 64-bit) and makes only its used part read-write: so an arena shows as a read-write anonymous
// mapping starting on a 64 MiB boundary, followed by its inaccessible (---p) rest, the two
// 64 MiB together. A heuristic, but nothing else in a Node process maps memory that way.
import { readFileSync } from 'node:fs';

const ARENA_SIZE = 64 * 1024 * 1024;

/** Resident bytes by kind for `pid`, or `undefined` where /proc/<pid>/smaps cannot be read. */
export function residentByKind(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'latin1');
  } catch {
    return undefined;
  }
  const mappings = [];
  let current;
  for (const line of text.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (header !== null) {
      current = {
        start: BigInt(`0x${header[1]}`),
        end: BigInt(`0x${header[2]}`),
        permissions: header[3],
        inode: header[4],
        name: header[5],
        rss: 0,
      };
      mappings.push(current);
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss !== null && current !== undefined) current.rss = Number(rss[1]) * 1024;
  }
  const result = { mainArena: 0, threadArenas: 0, otherAnonymous: 0, files: 0 };
  for (const [index, mapping] of mappings.entries()) {
    const next = mappings[index + 1];
    if (mapping.name === '[heap]') result.mainArena += mapping.rss;
    else if (mapping.inode !== '0' || mapping.name.startsWith('/')) result.files += mapping.rss;
    else if (isArena(mapping, next)) result.threadArenas += mapping.rss;
    else result.otherAnonymous += mapping.rss;
  }
  return result;
}

function isArena(mapping, next) {
  if (mapping.permissions !== 'rw-p' || mapping.start % BigInt(ARENA_SIZE) !== 0n) return false;
  const size = mapping.end - mapping.start;
  if (size === BigInt(ARENA_SIZE)) return true;
  return (
    next !== undefined &&
    next.permissions === '---p' &&
    next.start === mapping.end &&
    next.end - mapping.start === BigInt(ARENA_SIZE)
  );
}
