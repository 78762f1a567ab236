import { readFileSync } from 'node:fs';

/**
 * How much of the machine other work took while a measurement ran. On a shared machine other
 * processes skew both columns, mpi4py's most (its ranks busy-poll, one process per rank).
 * Linux only: from /proc/stat (all CPUs' busy time) less this process's own CPU time and that
 * of its reaped children (the mpirun launches, whose ranks it reaps in turn).
 */

/** Above this share of all CPUs' time taken by others, a measurement counts as disturbed. */
export const BUSY_WARNING_FRACTION = 0.25;

interface Ticks {
  busy: number;
  total: number;
  own: number;
}

/** CPU time (user + system, with reaped children) of another process, in ticks; 0 once it is gone. */
function ticksOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return fields[11]! + fields[12]! + fields[13]! + fields[14]!;
  } catch {
    return 0;
  }
}

function readTicks(ownPids: readonly number[] = []): Ticks | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = cpu;
    const self = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the parenthesised command name start at field 3; utime..cstime are fields 14..17.
    const fields = self.slice(self.lastIndexOf(')') + 2).split(' ').map(Number);
    let own = fields[11]! + fields[12]! + fields[13]! + fields[14]!;
    for (const pid of ownPids) own += ticksOf(pid);
    const busy = user + nice + system + irq + softirq;
    return { busy, total: busy + idle + iowait + steal, own };
  } catch {
    return undefined;
  }
}

/**
 * Starts a meter; calling the result gives others' share of all CPUs' time since (undefined off
 * Linux). `ownPids`: processes of this measurement that are not reaped children (e.g. the local
 * AWS servers, still running), whose CPU time counts as our own.
 */
export function startLoadMeter(ownPids: readonly number[] = []): () => number | undefined {
  const start = readTicks(ownPids);
  return () => {
    const end = readTicks(ownPids);
    if (!start || !end || end.total <= start.total) return undefined;
    const others = end.busy - start.busy - (end.own - start.own);
    return Math.max(0, others / (end.total - start.total));
  };
}

export interface QuietMeasurement<T> {
  value: T;
  /** Others' share of all CPUs' time during the measurement kept. */
  othersBusy: number | undefined;
  attempts: number;
}

/**
 * Runs a measurement; when other work disturbed it, runs it once more and keeps the less
 * disturbed of the two.
 */
export async function measureQuietly<T>(
  label: string,
  run: () => Promise<T>,
  log: (line: string) => void,
  ownPids: readonly number[] = [],
): Promise<QuietMeasurement<T>> {
  let meter = startLoadMeter(ownPids);
  const first = { value: await run(), othersBusy: meter(), attempts: 1 };
  if (first.othersBusy === undefined || first.othersBusy <= BUSY_WARNING_FRACTION) return first;
  log(`${label}: other work took ${percent(first.othersBusy)} of the CPUs; measuring again`);
  meter = startLoadMeter(ownPids);
  const second = { value: await run(), othersBusy: meter(), attempts: 2 };
  return (second.othersBusy ?? 1) < first.othersBusy ? second : { ...first, attempts: 2 };
}

export function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}
