import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How busy the machine is with other work: the fraction of all CPUs' time spent not idle over
 * a short window, sampled while the bench itself is idle (before it starts, after it ends).
 * Others' load skews both columns, mpi4py's most (its ranks busy-poll, one process per rank).
 */
export async function cpuBusyFraction(windowMs = 500): Promise<number> {
  const totals = () => cpus().reduce(
    (acc, cpu) => {
      const { user, nice, sys, idle, irq } = cpu.times;
      return { busy: acc.busy + user + nice + sys + irq, all: acc.all + user + nice + sys + idle + irq };
    },
    { busy: 0, all: 0 },
  );
  const before = totals();
  await sleep(windowMs);
  const after = totals();
  const all = after.all - before.all;
  return all > 0 ? (after.busy - before.busy) / all : 0;
}

/** Above this, the table warns that the figures may be skewed. */
export const BUSY_WARNING_FRACTION = 0.25;
