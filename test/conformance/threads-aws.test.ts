import { itLeavesNothingBehind } from '../aws/leftovers.ts';
import { localAwsOptions } from '../aws/local-aws-options.ts';
import { collectiveCases } from './collective-cases.ts';
import { communicatorCases } from './communicator-cases.ts';
import { deadlockCases } from './deadlock-cases.ts';
import { topologyCases } from './topology-cases.ts';
import { failureCases } from './failure-cases.ts';
import { outputCases } from './output-cases.ts';
import { nonblockingCases } from './nonblocking-cases.ts';
import { nonblockingCollectiveCases } from './nonblocking-collective-cases.ts';
import { pointToPointCases } from './p2p-cases.ts';
import { threadedTarget } from './threaded-targets.ts';
import { valueCases } from './value-cases.ts';
import { vectorCases } from './vector-cases.ts';

/**
 * The whole suite with every rank in a thread of its own talking SQS and S3 through clients of
 * its own: the most faithful local picture of a job on Lambda.
 */
const threadsAws = {
  ...threadedTarget(
    { name: 'worker threads over SQS and S3', sizes: [1, 2, 3, 7], largeMessageBytes: 16 * 2 ** 20, timeoutMs: 60_000 },
    () => ({ transport: 'aws', aws: localAwsOptions({ queuePrefix: 'lmthr' }) }),
  ),
  jobIds: [] as string[],
};

pointToPointCases(threadsAws);
nonblockingCases(threadsAws);
vectorCases(threadsAws);
nonblockingCollectiveCases(threadsAws);
valueCases(threadsAws);
collectiveCases(threadsAws);
communicatorCases(threadsAws);
topologyCases(threadsAws);
failureCases(threadsAws);
deadlockCases(threadsAws, { judgedByRankZero: true });
outputCases(threadsAws);

itLeavesNothingBehind('lmthr', threadsAws.jobIds);
