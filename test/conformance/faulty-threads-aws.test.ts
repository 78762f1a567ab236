import { itLeavesNothingBehind } from '../aws/leftovers.ts';
import { localAwsOptions } from '../aws/local-aws-options.ts';
import { collectiveCases } from './collective-cases.ts';
import { communicatorCases } from './communicator-cases.ts';
import { deadlockCases } from './deadlock-cases.ts';
import { topologyCases } from './topology-cases.ts';
import { failureCases } from './failure-cases.ts';
import { nonblockingCases } from './nonblocking-cases.ts';
import { nonblockingCollectiveCases } from './nonblocking-collective-cases.ts';
import { pointToPointCases } from './p2p-cases.ts';
import { faultsWereRepaired, threadedFaultTarget } from './threaded-targets.ts';
import { valueCases } from './value-cases.ts';
import { vectorCases } from './vector-cases.ts';

/** The suite in worker threads over SQS/S3 with, on top of what SQS itself does, frames duplicated and reordered. */
const faultyThreadsAws = {
  ...threadedFaultTarget(
    { name: 'worker threads over SQS and S3 with duplicated and reordered frames', sizes: [2, 3, 7], largeMessageBytes: 8 * 2 ** 20, timeoutMs: 60_000 },
    () => ({ transport: 'aws', aws: localAwsOptions({ queuePrefix: 'lmthrf' }) }),
    { firstSeed: 3000, maxDelayMs: 20 },
  ),
  jobIds: [] as string[],
};

pointToPointCases(faultyThreadsAws);
nonblockingCases(faultyThreadsAws);
vectorCases(faultyThreadsAws);
nonblockingCollectiveCases(faultyThreadsAws);
valueCases(faultyThreadsAws);
collectiveCases(faultyThreadsAws);
communicatorCases(faultyThreadsAws);
topologyCases(faultyThreadsAws);
failureCases(faultyThreadsAws);
deadlockCases(faultyThreadsAws, { judgedByRankZero: true });
faultsWereRepaired(faultyThreadsAws);

itLeavesNothingBehind('lmthrf', faultyThreadsAws.jobIds);
