import { jobPrefix } from '../transport/aws/claim-check.ts';
import { CREATE_CONCURRENCY } from '../transport/aws/job-resources.ts';
import type { ModeledAws } from './modeled-aws.ts';

/** S3 lists and deletes at most this many keys per request. */
const KEYS_PER_PAGE = 1_000;

/**
 * Rank 0's work after the job's result, as src/service/rank-zero-lambda.ts does it: the job's record
 * (S3 PUT), then the queues (waves of CREATE_CONCURRENCY DeleteQueue calls) and the job's
 * objects (a listing and a DeleteObjects per page) side by side. Returns when it is done.
 */
export function modelCleanup(aws: ModeledAws, jobId: string, size: number, endedAt: number): number {
  const recorded = endedAt + aws.latency(aws.constants.s3PutMs);
  aws.counts.s3Put++;
  let queuesDone = recorded;
  for (let start = 0; start < size; start += CREATE_CONCURRENCY) {
    const wave = Math.min(CREATE_CONCURRENCY, size - start);
    let waveEnd = queuesDone;
    for (let i = 0; i < wave; i++) waveEnd = Math.max(waveEnd, aws.sqsQueueControl('DeleteQueue', queuesDone));
    queuesDone = waveEnd;
  }
  const prefix = jobPrefix(jobId);
  const objects = [...aws.objectKeys].filter((key) => key.startsWith(prefix)).length;
  let objectsDone = recorded;
  let listed = 0;
  do {
    objectsDone = aws.s3Small('put', objectsDone);
    const page = Math.min(KEYS_PER_PAGE, objects - listed);
    if (page > 0) objectsDone = aws.s3Delete(objectsDone);
    listed += page;
  } while (listed < objects);
  return Math.max(queuesDone, objectsDone);
}
