import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { jobRecordKey } from '../watch/cancel-job.ts';
import { JobTimeoutError, LambdaMpiError, RankFailedError, toRemoteErrorInfo } from '../mpi/errors.ts';

/**
 * A job's status and, once it ended, its result, at runs/{jobId}.json. Unlike the job's working
 * objects (jobs/{jobId}/, deleted when the job ends) this stays, so GET /runs/{jobId} can answer
 * later; the bucket's lifecycle rule expires it.
 */
export type RunStatus =
  | { jobId: string; status: 'running'; program: string; size: number; startedAt: string }
  | ({ jobId: string; status: 'succeeded' } & Record<string, unknown>)
  | { jobId: string; status: 'failed'; error: FailureInfo; output?: unknown[] }
  | { jobId: string; status: 'cancelled'; cancelledBy: string; error: FailureInfo; output?: unknown[] };

export interface FailureInfo {
  name: string;
  code?: string;
  message: string;
  rank?: number;
  stack?: string;
  running?: unknown[];
}

export function runStatusKey(jobId: string): string {
  return jobRecordKey(jobId);
}

/** Where a traced job's timeline is kept (Chrome trace-event JSON), beside its record. */
export function runTraceKey(jobId: string): string {
  return `runs/${jobId}/trace.json`;
}

export async function writeRunStatus(s3: S3Client, bucket: string, status: RunStatus): Promise<void> {
  await s3.send(new PutObjectCommand({
    Bucket: bucket,
    Key: runStatusKey(status.jobId),
    Body: JSON.stringify(status),
    ContentType: 'application/json',
  }));
}

export async function readRunStatus(s3: S3Client, bucket: string, jobId: string): Promise<RunStatus | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: runStatusKey(jobId) }));
    return JSON.parse(await response.Body!.transformToString()) as RunStatus;
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** What a failed job's record and HTTP answer say about the failure. */
export function failureInfo(error: unknown): FailureInfo {
  const info: FailureInfo = { ...toRemoteErrorInfo(error) };
  if (error instanceof RankFailedError) {
    info.rank = error.rank;
    if (error.remote.stack) info.stack = error.remote.stack;
  } else if (error instanceof LambdaMpiError && 'rank' in error) {
    info.rank = (error as unknown as { rank: number }).rank;
  }
  if (error instanceof JobTimeoutError) info.running = error.running;
  return info;
}
