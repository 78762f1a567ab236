import { describe, expect, it } from 'vitest';
import { defineProgram } from '../../src/index.ts';
import { itLeavesNothingInValkey, localValkeyServer } from '../valkey/local-valkey.ts';
import { faultInjectedTarget } from './fault-injected-target.ts';
import { collectiveCases } from './collective-cases.ts';
import { failureCases } from './failure-cases.ts';
import { nonblockingCases } from './nonblocking-cases.ts';
import { pointToPointCases } from './p2p-cases.ts';
import { runOn } from './target.ts';
import { vectorCases } from './vector-cases.ts';

const valkey = localValkeyServer();

/**
 * The point-to-point, collective and failure cases over Valkey with frames duplicated and
 * reordered on a seeded schedule: a list delivers in order and once, and the layers above must
 * not have come to rely on it.
 */
const faultyValkey = faultInjectedTarget(
  { name: 'the Valkey transport with duplicated and reordered frames', sizes: [3], largeMessageBytes: 4 * 2 ** 20, timeoutMs: 30_000, jobIds: [] },
  () => ({ transport: 'valkey', valkey: { url: valkey.url() } }),
  { firstSeed: 5000, maxDelayMs: 10 },
);

pointToPointCases(faultyValkey);
nonblockingCases(faultyValkey);
vectorCases(faultyValkey);
collectiveCases(faultyValkey);
failureCases(faultyValkey);

describe('fault injection over Valkey', () => {
  it('drops every duplicate and restores every reordering, and says how many', async () => {
    const program = defineProgram(async (comm) => {
      const received: number[] = [];
      if (comm.rank === 0) await Promise.all(Array.from({ length: 200 }, (_, i) => comm.send(i, 1)));
      else for (let i = 0; i < 200; i++) received.push(await comm.recv<number>(0));
      return received;
    });
    const r = await runOn(faultyValkey, program, { size: 2 });
    expect(r.results[1]).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(r.link.duplicatesDropped).toBeGreaterThan(10);
    expect(r.link.reorderedHeld).toBeGreaterThan(10);
  });

  it('injected duplicates and reorderings into the jobs of this file', () => {
    const total = faultyValkey.totals();
    console.log(`fault injection over Valkey: ${total.framesSeen} frames, ${total.duplicated} duplicated, ${total.delayed} delayed`);
    expect(total.duplicated).toBeGreaterThan(100);
    expect(total.delayed).toBeGreaterThan(100);
  });
});

itLeavesNothingInValkey(valkey.url, faultyValkey.jobIds!);
