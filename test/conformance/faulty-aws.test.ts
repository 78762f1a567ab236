import { describe, expect, it } from 'vitest';
import { defineProgram } from '../../src/index.ts';
import { itLeavesNothingBehind } from '../aws/leftovers.ts';
import { faultInjectedTarget } from './fault-injected-target.ts';
import { localAwsOptions } from '../aws/local-aws-options.ts';
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
 * The conformance suite over SQS/S3 with, on top of what SQS itself does, frames duplicated and
 * reordered by a seeded schedule.
 */
const faultyAws = faultInjectedTarget(
  { name: 'the AWS transport with duplicated and reordered frames', sizes: [2, 3, 7], largeMessageBytes: 8 * 2 ** 20, timeoutMs: 60_000, jobIds: [] },
  () => ({ transport: 'aws', aws: localAwsOptions({ queuePrefix: 'lmfault' }) }),
  { firstSeed: 1000, maxDelayMs: 20 },
);

pointToPointCases(faultyAws);
nonblockingCases(faultyAws);
vectorCases(faultyAws);
nonblockingCollectiveCases(faultyAws);
valueCases(faultyAws);
collectiveCases(faultyAws);
communicatorCases(faultyAws);
topologyCases(faultyAws);
failureCases(faultyAws);
deadlockCases(faultyAws, { judgedByRankZero: true });

describe('fault injection over SQS', () => {
  it('drops every duplicate and restores every reordering, and says how many', async () => {
    const program = defineProgram(async (comm) => {
      const received: number[] = [];
      if (comm.rank === 0) await Promise.all(Array.from({ length: 200 }, (_, i) => comm.send(i, 1)));
      else for (let i = 0; i < 200; i++) received.push(await comm.recv<number>(0));
      return received;
    });
    const r = await runOn(faultyAws, program, { size: 2 });
    expect(r.results[1]).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(r.link.duplicatesDropped).toBeGreaterThan(10);
    expect(r.link.reorderedHeld).toBeGreaterThan(10);
  });

  it('injected duplicates and reorderings into the jobs of this file', () => {
    const total = faultyAws.totals();
    console.log(`fault injection over SQS: ${total.framesSeen} frames, ${total.duplicated} duplicated, ${total.delayed} delayed`);
    expect(total.duplicated).toBeGreaterThan(100);
    expect(total.delayed).toBeGreaterThan(100);
  });
});

itLeavesNothingBehind('lmfault', faultyAws.jobIds!);
