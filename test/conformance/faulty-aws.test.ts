import { itLeavesNothingBehind } from '../aws/leftovers.ts';
import { faultInjectedTarget } from './fault-injected-target.ts';
import { faultInjectionCases } from './fault-injection-cases.ts';
import { localAwsOptions } from '../aws/local-aws-options.ts';
import { collectiveCases } from './collective-cases.ts';
import { communicatorCases } from './communicator-cases.ts';
import { deadlockCases } from './deadlock-cases.ts';
import { topologyCases } from './topology-cases.ts';
import { failureCases } from './failure-cases.ts';
import { nonblockingCases } from './nonblocking-cases.ts';
import { nonblockingCollectiveCases } from './nonblocking-collective-cases.ts';
import { pointToPointCases } from './p2p-cases.ts';
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

faultInjectionCases(faultyAws, 'SQS');

itLeavesNothingBehind('lmfault', faultyAws.jobIds!);
