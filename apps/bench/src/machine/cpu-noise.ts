// Estimates how much CPU other processes used during the run (the machines are shared): busy time of the whole
// machine from /proc/stat minus this process's own CPU time and its children's.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** A snapshot to diff against later. */
export interface CpuSnapshot {
  readonly wallNs: bigint;
  readonly machineBusyS: number | undefined;
  readonly ownS: number;
}

function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: busy = all - idle - iowait
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return (total - idle) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

function ownSeconds(): number {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1e6;
}

/** Takes a snapshot now. */
export function cpuSnapshot(): CpuSnapshot {
  return { wallNs: process.hrtime.bigint(), machineBusyS: machineBusySeconds(), ownS: ownSeconds() };
}

/**
 * Percent of the machine's total CPU capacity used by other processes since `start` (undefined without /proc/stat).
 * Child processes of the bench (probe, python) count as "other" unless `childCpuS` is given.
 *
 * @example
 * const s = cpuSnapshot(); await work(); const noise = otherCpuPercent(s);
 */
export function otherCpuPercent(start: CpuSnapshot, childCpuS = 0): number | undefined {
  const end = cpuSnapshot();
  if (start.machineBusyS === undefined || end.machineBusyS === undefined) return undefined;
  const wallS = Number(end.wallNs - start.wallNs) / 1e9;
  if (wallS <= 0) return undefined;
  const other = end.machineBusyS - start.machineBusyS - (end.ownS - start.ownS) - childCpuS;
  return Math.max(0, (100 * other) / (wallS * cpus().length));
}
