import type { RunLocalOptions } from '../../src/index.ts';
import { FaultInjectingTransport, type FaultCounts } from '../../src/transport/fault-injection.ts';
import type { ConformanceTarget } from './target.ts';

/**
 * A conformance target whose every job runs over `base` options with frames duplicated and
 * reordered on a seeded schedule (a new seed per job); `totals()` sums what was injected.
 */
export function faultInjectedTarget(
  target: Omit<ConformanceTarget, 'options'>,
  base: () => Partial<RunLocalOptions>,
  schedule: { firstSeed: number; maxDelayMs: number },
): ConformanceTarget & { totals(): FaultCounts } {
  const wrappers: FaultInjectingTransport[] = [];
  let seed = schedule.firstSeed;
  return {
    ...target,
    options: () => {
      const jobSeed = seed++;
      return {
        ...base(),
        wrapTransport: (transport) => {
          const wrapped = new FaultInjectingTransport(transport, { seed: jobSeed, duplicate: 0.2, delay: 0.2, maxDelayMs: schedule.maxDelayMs });
          wrappers.push(wrapped);
          return wrapped;
        },
      };
    },
    totals: () => wrappers.reduce(
      (t, w) => ({ framesSeen: t.framesSeen + w.counts.framesSeen, duplicated: t.duplicated + w.counts.duplicated, delayed: t.delayed + w.counts.delayed }),
      { framesSeen: 0, duplicated: 0, delayed: 0 },
    ),
  };
}
