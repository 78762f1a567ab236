import type { S3Client } from '@aws-sdk/client-s3';
import { requestCancel } from './cancel-request.ts';
import { readJobRecord, type JobRecord } from '../job-store/job-record.ts';

/**
 * Cancelling a job by its id, for the CLI (`lambda-mpi cancel`, Ctrl-C) and the HTTP API (DELETE
 * /runs/{jobId}) alike: a job that runs gets a cancel request, and this waits (up to `waitMs`)
 * for its record to say `cancelled` (rank 0 then stopped every rank and deleted the job's queues
 * and objects). A job that ended, or that the stage never ran, is an answer too, not an error.
 */
export type CancelOutcome =
  | { kind: 'cancelled'; jobId: string; record: JobRecord; tookMs: number }
  /** The request is there, but the record did not say `cancelled` within the wait. */
  | { kind: 'cancelling'; jobId: string; tookMs: number }
  | { kind: 'already-ended'; jobId: string; record: JobRecord }
  | { kind: 'unknown'; jobId: string };

export async function cancelJob(s3: S3Client, bucket: string, jobId: string, by: string, options: { waitMs?: number; pollMs?: number } = {}): Promise<CancelOutcome> {
  const started = Date.now();
  const record = await readJobRecord(s3, bucket, jobId);
  if (!record) return { kind: 'unknown', jobId };
  if (record.status !== 'running') return { kind: 'already-ended', jobId, record };
  await requestCancel(s3, bucket, jobId, by);
  const until = started + (options.waitMs ?? 15_000);
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 200));
    const now = await readJobRecord(s3, bucket, jobId);
    if (now && now.status !== 'running') {
      return now.status === 'cancelled' ? { kind: 'cancelled', jobId, record: now, tookMs: Date.now() - started } : { kind: 'already-ended', jobId, record: now };
    }
  }
  return { kind: 'cancelling', jobId, tookMs: Date.now() - started };
}
