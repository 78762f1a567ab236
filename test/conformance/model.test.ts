import { modelChannels } from '../../src/model/modeled-job.ts';
import { collectiveCases } from './collective-cases.ts';
import { communicatorCases } from './communicator-cases.ts';
import { topologyCases } from './topology-cases.ts';
import { failureCases } from './failure-cases.ts';
import { outputCases } from './output-cases.ts';
import { nonblockingCases } from './nonblocking-cases.ts';
import { nonblockingCollectiveCases } from './nonblocking-collective-cases.ts';
import { pointToPointCases } from './p2p-cases.ts';
import type { ConformanceTarget } from './target.ts';
import { valueCases } from './value-cases.ts';
import { vectorCases } from './vector-cases.ts';

/**
 * The model is a placement like the others: every API member must behave exactly as on the
 * in-memory and AWS transports while it runs on the model's clock (timeouts in modeled time).
 */
const model: ConformanceTarget = {
  name: 'the AWS model (simulated clock)',
  sizes: [1, 2, 3, 7, 16],
  largeMessageBytes: 8 * 2 ** 20,
  timeoutMs: 60_000,
  options: () => ({ transport: modelChannels() }),
  simulatedClock: true,
};

pointToPointCases(model);
nonblockingCases(model);
vectorCases(model);
nonblockingCollectiveCases(model);
valueCases(model);
collectiveCases(model);
communicatorCases(model);
topologyCases(model);
failureCases(model);
outputCases(model);
