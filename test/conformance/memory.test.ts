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

const memory: ConformanceTarget = {
  name: 'the in-memory transport',
  sizes: [1, 2, 3, 7, 16, 64],
  largeMessageBytes: 64 * 2 ** 20,
  timeoutMs: 30_000,
  options: () => ({ transport: 'memory' }),
};

pointToPointCases(memory);
nonblockingCases(memory);
vectorCases(memory);
nonblockingCollectiveCases(memory);
valueCases(memory);
collectiveCases(memory);
communicatorCases(memory);
topologyCases(memory);
failureCases(memory);
deadlockCases(memory);
outputCases(memory);
