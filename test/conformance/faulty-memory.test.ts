import { describe, expect, it } from 'vitest';
import { defineProgram } from '../../src/index.ts';
import { faultInjectedTarget } from './fault-injected-target.ts';
import { collectiveCases } from './collective-cases.ts';
import { communicatorCases } from './communicator-cases.ts';
import { deadlockCases } from './deadlock-cases.ts';
import { topologyCases } from './topology-cases.ts';
import { failureCases } from './failure-cases.ts';
import { nonblockingCases } from './nonblocking-cases.ts';
import { nonblockingCollectiveCases } from './nonblocking-collective-cases.ts';
import { pointToPointCases } from './p2p-cases.ts';
import { runOn } from './target.ts';
import { valueCases } from './value-cases.ts';
import { vectorCases } from './vector-cases.ts';

/**
 * The whole suite again over a channel that duplicates and reorders frames on a seeded
 * schedule, as SQS standard queues may. The counts prove the faults happened and were repaired.
 */
const faulty = faultInjectedTarget(
  { name: 'the in-memory transport with duplicated and reordered frames', sizes: [1, 2, 3, 7, 16], largeMessageBytes: 8 * 2 ** 20, timeoutMs: 30_000 },
  () => ({ transport: 'memory' }),
  { firstSeed: 1, maxDelayMs: 4 },
);

pointToPointCases(faulty);
nonblockingCases(faulty);
vectorCases(faulty);
nonblockingCollectiveCases(faulty);
valueCases(faulty);
collectiveCases(faulty);
communicatorCases(faulty);
topologyCases(faulty);
failureCases(faulty);
deadlockCases(faulty);

describe('fault injection itself', () => {
  it('reports the duplicates dropped and reorderings restored by the link layer', async () => {
    const program = defineProgram(async (comm) => {
      const received: number[] = [];
      if (comm.rank === 0) for (let i = 0; i < 300; i++) await comm.send(i, 1);
      else for (let i = 0; i < 300; i++) received.push(await comm.recv<number>(0));
      return received;
    });
    const r = await runOn(faulty, program, { size: 2 });
    expect(r.results[1]).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(r.link.duplicatesDropped).toBeGreaterThan(20);
    expect(r.link.reorderedHeld).toBeGreaterThan(20);
  });

  it('injected duplicates and reorderings into the jobs of this file', () => {
    const injected = faulty.totals();
    console.log(`fault injection: ${injected.framesSeen} frames, ${injected.duplicated} duplicated, ${injected.delayed} delayed (reordered)`);
    expect(injected.duplicated).toBeGreaterThan(100);
    expect(injected.delayed).toBeGreaterThan(100);
  });
});
