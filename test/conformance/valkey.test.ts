import { localAwsOptions } from '../aws/local-aws-options.ts';
import { itLeavesNothingInValkey, localValkeyServer } from '../valkey/local-valkey.ts';
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

const valkey = localValkeyServer();

/** The same cases as in memory, with every frame through a real Valkey server's lists and every large body through S3. */
const target: ConformanceTarget = {
  name: 'the Valkey transport (a local server, S3 for large bodies)',
  sizes: [1, 2, 4],
  largeMessageBytes: 16 * 2 ** 20,
  timeoutMs: 30_000,
  options: () => ({ transport: 'valkey', valkey: { url: valkey.url() }, aws: localAwsOptions() }),
  jobIds: [],
};

pointToPointCases(target);
nonblockingCases(target);
vectorCases(target);
nonblockingCollectiveCases(target);
valueCases(target);
collectiveCases(target);
communicatorCases(target);
topologyCases(target);
failureCases(target);
deadlockCases(target);
outputCases(target);

itLeavesNothingInValkey(valkey.url, target.jobIds!, { s3: true });
