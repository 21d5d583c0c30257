// How much of glibc malloc's main heap (the `[heap]` brk segment) is in use and how much is
// free, by walking its chunks in /proc/<pid>/mem (Linux, glibc, x86-64; needs the right to
// trace the process: its parent, or root).
//
// smaps.mjs says how much of the main heap is resident; this says why it stays resident. glibc
// gives memory back to the system only from the top of the main heap (or on malloc_trim, which
// Node does not expose), so a heap that is mostly free chunks below a few live ones keeps the
// peak of whatever burst made it grow.
//
// Each chunk starts with two 8-byte words: the previous chunk's size (when that one is free)
// and its own size, whose low three bits are flags; bit 0 (PREV_INUSE) of the next chunk says
// whether this one is in use. The last chunk is the top, the never-used end of the heap.
// Chunks glibc caches for quick reuse (tcache, fastbins) keep that bit set, so they count as
// in use: at most a few hundred KiB. The process is stopped (SIGSTOP) during the walk so that
// it does not change the heap under the reader.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

const PREV_INUSE = 1n;
const SIZE_MASK = ~7n;
const READ_BLOCK = 8 * 1024 * 1024;

/**
 * `{ bytes, inUse, free, top }` for the main heap of `pid`, or `undefined` where it cannot be
 * read or does not look like glibc's.
 */
export function mainHeapUsage(pid) {
  let range;
  try {
    range = heapRange(pid);
  } catch {
    return undefined;
  }
  if (range === undefined) return undefined;
  let stopped = false;
  try {
    process.kill(pid, 'SIGSTOP');
    stopped = true;
    return walk(readMemory(pid, range));
  } catch {
    return undefined;
  } finally {
    if (stopped) process.kill(pid, 'SIGCONT');
  }
}

function heapRange(pid) {
  for (const line of readFileSync(`/proc/${pid}/maps`, 'latin1').split('\n')) {
    if (!line.endsWith('[heap]')) continue;
    const [start, end] = line.split(' ', 1)[0].split('-');
    return { start: BigInt(`0x${start}`), end: BigInt(`0x${end}`) };
  }
  return undefined;
}

function readMemory(pid, { start, end }) {
  const bytes = Buffer.allocUnsafe(Number(end - start));
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  try {
    for (let offset = 0; offset < bytes.length; ) {
      const length = Math.min(READ_BLOCK, bytes.length - offset);
      const read = readSync(fd, bytes, offset, length, start + BigInt(offset));
      if (read <= 0) throw new Error('short read');
      offset += read;
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}

function walk(bytes) {
  let inUse = 0;
  let free = 0;
  let offset = 0;
  let size = chunkSize(bytes, 0);
  if (size === undefined) return undefined;
  for (;;) {
    const next = offset + size;
    const nextSize = chunkSize(bytes, next);
    // The top chunk is the last one: nothing follows it inside the segment.
    if (nextSize === undefined) {
      return next === bytes.length ? { bytes: bytes.length, inUse, free, top: size } : undefined;
    }
    if ((bytes.readBigUInt64LE(next + 8) & PREV_INUSE) !== 0n) inUse += size;
    else free += size;
    offset = next;
    size = nextSize;
  }
}

/** The size of the chunk at `offset`, or `undefined` where none fits there. */
function chunkSize(bytes, offset) {
  if (offset + 16 > bytes.length) return undefined;
  const size = Number(bytes.readBigUInt64LE(offset + 8) & SIZE_MASK);
  if (size < 16 || size % 16 !== 0 || offset + size > bytes.length) return undefined;
  return size;
}
