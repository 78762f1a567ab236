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

/** The whole suite with every rank in a worker thread of its own, talking over channels between threads. */
const threads = threadedTarget(
  { name: 'worker threads', sizes: [1, 2, 3, 7, 16], largeMessageBytes: 64 * 2 ** 20, timeoutMs: 30_000 },
  () => ({ transport: 'memory' }),
);

pointToPointCases(threads);
nonblockingCases(threads);
vectorCases(threads);
nonblockingCollectiveCases(threads);
valueCases(threads);
collectiveCases(threads);
communicatorCases(threads);
topologyCases(threads);
failureCases(threads);
deadlockCases(threads);
outputCases(threads);
