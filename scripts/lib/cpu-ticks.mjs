/**
 * CPU time of another process, for benchmarks that put a server's CPU next to its rate (on a
 * shared machine the CPU per operation is steadier than the rate). Linux /proc only.
 */
import { readFileSync } from 'node:fs';

/** utime + stime of process `pid` in clock ticks (100 a second on Linux); NaN without /proc. */
export function cpuTicks(pid) {
  try {
    // After the command name in parentheses, utime and stime are fields 14 and 15 of stat.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}
