// How much CPU other processes on this (shared) machine used while a figure was measured, from /proc (Linux only).
import { readFileSync } from 'node:fs';

function totalBusySeconds(): number {
  // cpu  user nice system idle iowait irq softirq steal ...
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0);
  const all = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return (all - idle) / 100;
}

function processSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime (fields 14 and 15), which include the process's threads
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * Starts measuring; the returned function gives the CPU cores other processes kept busy on average meanwhile
 * (total busy CPU minus the bench's own processes), or null where /proc is not available.
 */
export function otherCpu(pids: () => number[]): () => number | null {
  try {
    const t0 = Date.now();
    const busy0 = totalBusySeconds();
    const own = new Map(pids().map((p) => [p, processSeconds(p)]));
    return () => {
      const elapsed = (Date.now() - t0) / 1000;
      let ownUsed = 0;
      for (const p of new Set([...own.keys(), ...pids()])) ownUsed += processSeconds(p) - (own.get(p) ?? 0);
      const other = (totalBusySeconds() - busy0 - ownUsed) / elapsed;
      return Number(Math.max(0, other).toFixed(2));
    };
  } catch {
    return () => null;
  }
}
