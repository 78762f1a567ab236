import type { ModeledAws } from './modeled-aws.ts';
import { queueCalls } from './queue-calls.ts';
import { jobPrefix } from '../job-store/keys.ts';

/** S3 lists and deletes at most this many keys per request. */
const KEYS_PER_PAGE = 1_000;

/**
 * Rank 0's work after the job's result, as src/service/rank-zero-lambda.ts does it: the queues
 * (DeleteQueue calls, QUEUE_CALLS_IN_FLIGHT at once), then the job's objects (listed page by page,
 * each page deleted while the next is listed), then the job's record (S3 PUT). Returns when it is
 * done.
 */
export function modelCleanup(aws: ModeledAws, jobId: string, size: number, endedAt: number, channel: 'sqs' | 'valkey' = 'sqs'): number {
  // Over Valkey: one SCAN and one UNLINK of the job's lists instead of a DeleteQueue per rank.
  const queuesDone = channel === 'valkey' ? aws.sqsSmall('UNLINK', aws.sqsSmall('SCAN', endedAt)) : queueCalls(aws, 'DeleteQueue', size, endedAt);
  const prefix = jobPrefix(jobId);
  const objects = [...aws.objectKeys].filter((key) => key.startsWith(prefix)).length;
  let listedAt = queuesDone;
  let objectsDone = queuesDone;
  let listed = 0;
  do {
    listedAt = aws.s3Small('put', listedAt);
    const page = Math.min(KEYS_PER_PAGE, objects - listed);
    if (page > 0) objectsDone = Math.max(objectsDone, aws.s3Delete(listedAt));
    listed += page;
  } while (listed < objects);
  aws.counts.s3Put++; // the job's record
  return Math.max(objectsDone, listedAt) + aws.latency(aws.constants.s3PutMs);
}
