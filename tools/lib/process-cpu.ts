import { readdirSync, readFileSync } from 'node:fs';
import { round } from './stats';

/**
 * CPU time from /proc (Linux), for figures that hold on a shared machine: req/s and q/s move
 * with whatever else runs on the cores, CPU ms per request of each process barely does.
 * Elsewhere every reading is undefined and the figures are left out.
 */

/** USER_HZ: the unit of /proc's tick counts (100 on every Linux that Node supports). */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  ppid: number;
  /** utime + stime of the process itself. */
  ownTicks: number;
  /** cutime + cstime: its children that have exited and been waited for. */
  reapedTicks: number;
}

function statOf(pid: number | string): ProcStat | undefined {
  try {
    // The command name may hold spaces and parentheses: fields are counted after its last ')'.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ownTicks: Number(f[11]) + Number(f[12]), reapedTicks: Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined;
  }
}

const ms = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;

/** CPU ms (user + system) a process has used so far; undefined when it cannot be read. */
export function cpuMsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  const s = statOf(pid);
  return s ? ms(s.ownTicks) : undefined;
}

/** CPU ms of several processes summed (0 for none); undefined when any of them cannot be read. */
export function processesCpuMs(pids: readonly (number | undefined)[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const v = cpuMsOf(pid);
    if (v === undefined) return undefined;
    total += v;
  }
  return total;
}

/** CPU ms (user + system) this process has used so far, from the runtime: microseconds, not /proc's ticks. */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * CPU ms of a process and all its descendants, living or exited (PostgreSQL's backends are
 * children of the postmaster): a child that exits between two readings moves its time into
 * its parent's reaped count, so differences stay right.
 */
export function treeCpuMs(rootPid: number | undefined): number | undefined {
  if (rootPid === undefined) return undefined;
  const root = statOf(rootPid);
  if (!root) return undefined;
  const children = new Map<number, { pid: number; stat: ProcStat }[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return undefined;
  }
  for (const e of entries) {
    const stat = statOf(e);
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push({ pid: Number(e), stat });
    children.set(stat.ppid, list);
  }
  let ticks = root.ownTicks + root.reapedTicks;
  const stack = [rootPid];
  while (stack.length > 0) {
    for (const c of children.get(stack.pop()!) ?? []) {
      ticks += c.stat.ownTicks;
      stack.push(c.pid);
    }
  }
  return ms(ticks);
}

/** CPU ms the whole machine has been busy so far, every core summed (/proc/stat: user, nice, system, irq, softirq). */
export function machineBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq] = f;
    return ms(user + nice + system + irq + softirq);
  } catch {
    return undefined;
  }
}

/** CPU ms used so far by each named part of the stack; undefined where it cannot be read. */
export type CpuReading<Part extends string> = Record<Part, number | undefined>;

/** How each named part's CPU ms are read (cpuMsOf, treeCpuMs, ...), called at every reading. */
export type CpuReaders<Part extends string> = Record<Part, () => number | undefined>;

/** One reading of every part, in the readers' order. */
export function readCpu<Part extends string>(readers: CpuReaders<Part>): CpuReading<Part> {
  const reading = {} as CpuReading<Part>;
  for (const part of Object.keys(readers) as Part[]) reading[part] = readers[part]();
  return reading;
}

/**
 * CPU ms per unit of work (request, query) of each part between two readings, to 3 decimals, in
 * the earlier reading's order; undefined for a part either reading lacks, and for every part
 * when no work was done.
 */
export function cpuMsPerUnit<Part extends string>(
  before: CpuReading<Part>,
  after: CpuReading<Part>,
  units: number,
): CpuReading<Part> {
  const perUnit = {} as CpuReading<Part>;
  for (const part of Object.keys(before) as Part[]) {
    const [b, a] = [before[part], after[part]];
    perUnit[part] = a === undefined || b === undefined || units === 0 ? undefined : round((a - b) / units, 3);
  }
  return perUnit;
}
