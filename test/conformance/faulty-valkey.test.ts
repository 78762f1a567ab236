import { itLeavesNothingInValkey, localValkeyServer } from '../valkey/local-valkey.ts';
import { faultInjectedTarget } from './fault-injected-target.ts';
import { faultInjectionCases } from './fault-injection-cases.ts';
import { collectiveCases } from './collective-cases.ts';
import { failureCases } from './failure-cases.ts';
import { nonblockingCases } from './nonblocking-cases.ts';
import { pointToPointCases } from './p2p-cases.ts';
import { vectorCases } from './vector-cases.ts';

const valkey = localValkeyServer();

/**
 * The point-to-point, collective and failure cases over Valkey with frames duplicated and
 * reordered on a seeded schedule: a list delivers in order and once, and the layers above must
 * not have come to rely on it.
 */
const faultyValkey = faultInjectedTarget(
  { name: 'the Valkey transport with duplicated and reordered frames', sizes: [3], largeMessageBytes: 4 * 2 ** 20, timeoutMs: 30_000, jobIds: [] },
  () => ({ transport: 'valkey', valkey: { url: valkey.url() } }),
  { firstSeed: 5000, maxDelayMs: 10 },
);

pointToPointCases(faultyValkey);
nonblockingCases(faultyValkey);
vectorCases(faultyValkey);
collectiveCases(faultyValkey);
failureCases(faultyValkey);

faultInjectionCases(faultyValkey, 'Valkey');

itLeavesNothingInValkey(valkey.url, faultyValkey.jobIds!);
