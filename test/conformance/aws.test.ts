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
import type { ConformanceTarget } from './target.ts';
import { valueCases } from './value-cases.ts';
import { vectorCases } from './vector-cases.ts';

/** The same cases as in memory, with every frame through SQS and every large body through S3. */
const aws: ConformanceTarget = {
  name: 'the AWS transport (local SQS and S3)',
  sizes: [1, 2, 3, 7, 16],
  largeMessageBytes: 64 * 2 ** 20,
  timeoutMs: 60_000,
  options: () => ({ transport: 'aws', aws: localAwsOptions({ queuePrefix: 'lmconf' }) }),
  jobIds: [],
};

pointToPointCases(aws);
nonblockingCases(aws);
vectorCases(aws);
nonblockingCollectiveCases(aws);
valueCases(aws);
collectiveCases(aws);
communicatorCases(aws);
topologyCases(aws);
failureCases(aws);
deadlockCases(aws, { judgedByRankZero: true });
outputCases(aws);

itLeavesNothingBehind('lmconf', aws.jobIds!);
