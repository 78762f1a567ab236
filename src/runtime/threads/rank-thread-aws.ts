import { openAwsRankTransport } from '../../transport/aws/aws-rank-transport.ts';
import { runRankThread } from './rank-thread-main.ts';

/** The entry of a rank's thread in a job over SQS and S3. */
void runRankThread((spec, rank) => {
  if (spec.kind !== 'aws') throw new Error(`a thread bundled for SQS/S3 was given a ${spec.kind} transport`);
  return openAwsRankTransport(spec, rank);
});
