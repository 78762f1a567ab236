import { describe, expect, it } from 'vitest';
import { defineProgram } from '../../src/index.ts';
import type { FaultCounts } from '../../src/transport/fault-injection.ts';
import { runOn, type ConformanceTarget } from './target.ts';

/**
 * That a fault-injected remote target really injected faults, and that the link layer repaired
 * them: 200 sends in flight at once from rank 0 arrive once each, in order, and the counts say how
 * many duplicates were dropped and reorderings held. `over` names the channel in the titles.
 */
export function faultInjectionCases(target: ConformanceTarget & { totals(): FaultCounts }, over: string): void {
  describe(`fault injection over ${over}`, () => {
    it('drops every duplicate and restores every reordering, and says how many', async () => {
      const program = defineProgram(async (comm) => {
        const received: number[] = [];
        if (comm.rank === 0) await Promise.all(Array.from({ length: 200 }, (_, i) => comm.send(i, 1)));
        else for (let i = 0; i < 200; i++) received.push(await comm.recv<number>(0));
        return received;
      });
      const r = await runOn(target, program, { size: 2 });
      expect(r.results[1]).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(r.link.duplicatesDropped).toBeGreaterThan(10);
      expect(r.link.reorderedHeld).toBeGreaterThan(10);
    });

    it('injected duplicates and reorderings into the jobs of this file', () => {
      const total = target.totals();
      console.log(`fault injection over ${over}: ${total.framesSeen} frames, ${total.duplicated} duplicated, ${total.delayed} delayed`);
      expect(total.duplicated).toBeGreaterThan(100);
      expect(total.delayed).toBeGreaterThan(100);
    });
  });
}
