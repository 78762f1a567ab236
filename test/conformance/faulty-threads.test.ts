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

/** The suite in worker threads over a channel that duplicates and reorders frames, as SQS may. */
const faultyThreads = threadedFaultTarget(
  { name: 'worker threads with duplicated and reordered frames', sizes: [1, 2, 3, 7], largeMessageBytes: 8 * 2 ** 20, timeoutMs: 30_000 },
  () => ({ transport: 'memory' }),
  { firstSeed: 2000, maxDelayMs: 4 },
);

pointToPointCases(faultyThreads);
nonblockingCases(faultyThreads);
vectorCases(faultyThreads);
nonblockingCollectiveCases(faultyThreads);
valueCases(faultyThreads);
collectiveCases(faultyThreads);
communicatorCases(faultyThreads);
topologyCases(faultyThreads);
failureCases(faultyThreads);
deadlockCases(faultyThreads);
faultsWereRepaired(faultyThreads);
