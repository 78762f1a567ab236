import { itLeavesNothingInValkey, localValkeyServer } from '../valkey/local-valkey.ts';
import { failureCases } from './failure-cases.ts';
import { pointToPointCases } from './p2p-cases.ts';
import { threadedTarget } from './threaded-targets.ts';

const valkey = localValkeyServer();

/**
 * Every rank in a thread of its own with connections of its own to a Valkey server, without S3:
 * large bodies travel in the lists too. A job in threads costs a second or more to start, so CI
 * runs the groups that reach the thread's own transport (point-to-point with its large message,
 * and failures) at one size; the whole suite ran in threads once (docs/architecture.md,
 * "The Valkey channel").
 */
const threadsValkey = {
  ...threadedTarget(
    { name: 'worker threads over Valkey', sizes: [3], largeMessageBytes: 16 * 2 ** 20, timeoutMs: 30_000 },
    () => ({ transport: 'valkey', valkey: { url: valkey.url() } }),
  ),
  jobIds: [] as string[],
};

pointToPointCases(threadsValkey);
failureCases(threadsValkey);

itLeavesNothingInValkey(valkey.url, threadsValkey.jobIds);
