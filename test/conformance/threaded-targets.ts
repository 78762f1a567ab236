import { describe, expect, it } from 'vitest';
import type { RunLocalOptions } from '../../src/index.ts';
import * as p2p from './programs/p2p.ts';
import { runOn, type ConformanceTarget } from './target.ts';

/**
 * Conformance targets whose ranks run in worker threads (runLocal's `threads`), over the
 * transport `base` chooses. Faults are injected inside each rank's thread from a seeded schedule
 * (a new seed per job), since a transport wrapper (a function) cannot cross threads.
 */
export function threadedTarget(target: Omit<ConformanceTarget, 'options' | 'threads'>, base: () => Partial<RunLocalOptions>): ConformanceTarget {
  return { ...target, threads: true, options: () => ({ ...base(), threads: true }) };
}

export function threadedFaultTarget(
  target: Omit<ConformanceTarget, 'options' | 'threads'>,
  base: () => Partial<RunLocalOptions>,
  schedule: { firstSeed: number; maxDelayMs: number },
): ConformanceTarget {
  let seed = schedule.firstSeed;
  return {
    ...target,
    threads: true,
    options: () => ({ ...base(), threads: true, injectFaults: { seed: seed++, duplicate: 0.2, delay: 0.2, maxDelayMs: schedule.maxDelayMs } }),
  };
}

/** Proves the faults happened in the ranks' threads and were repaired: counted by the link layer, and the stream intact. */
export function faultsWereRepaired(target: ConformanceTarget): void {
  describe(`fault injection in threads over ${target.name}`, () => {
    it('drops every duplicate and restores every reordering, and says how many', async () => {
      const r = await runOn(target, p2p.numberedStream, { size: 2, input: 300 });
      expect(r.results[1]).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect(r.link.duplicatesDropped).toBeGreaterThan(20);
      expect(r.link.reorderedHeld).toBeGreaterThan(20);
    });
  });
}
