import { openValkeyRankTransport } from '../../transport/valkey/valkey-rank-transport.ts';
import { runRankThread } from './rank-thread-main.ts';

/** The entry of a rank's thread in a job over Valkey. */
void runRankThread((spec, rank) => {
  if (spec.kind !== 'valkey') throw new Error(`a thread bundled for Valkey was given a ${spec.kind} transport`);
  return openValkeyRankTransport(spec, rank);
});
