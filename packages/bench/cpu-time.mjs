// CPU time of another process, for the benchmarks that put a server's CPU next to its rate.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time of a process so far, all its threads, in seconds: the sum of each thread's
 * schedstat run time (nanoseconds), finer than /proc/<pid>/stat's 10 ms ticks, which matters
 * when other work leaves the server a few hundred ms of CPU per window. Linux /proc only.
 */
export function cpuSeconds(pid) {
  let nanoseconds = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      nanoseconds += Number(
        readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0],
      );
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return nanoseconds / 1e9;
}

/**
 * Minor page faults of a process so far (field 10 of /proc/<pid>/stat, all threads): a fresh
 * 1 MiB buffer costs 256 of them, each a trip into the kernel.
 */
export function minorFaults(pid) {
  // After the command name in parentheses, minflt is the 8th field.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[7]);
}
