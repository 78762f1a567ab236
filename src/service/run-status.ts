import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AwsSettings } from '../config.ts';
import { jobRecordKey } from '../watch/cancel-job.ts';
import { JobTimeoutError, LambdaMpiError, RankFailedError, toRemoteErrorInfo } from '../mpi/errors.ts';
import { explainAwsError } from '../transport/aws/aws-errors.ts';
import { userStack } from '../runtime/user-stack.ts';
import { readObjectText } from '../transport/aws/object-text.ts';

/**
 * A job's status and, once it ended, its result, at runs/{jobId}.json. Unlike the job's working
 * objects (jobs/{jobId}/, deleted when the job ends) this stays, so GET /runs/{jobId} can answer
 * later; the bucket's lifecycle rule expires it.
 */
export type RunStatus =
  | {
    jobId: string; status: 'running'; program: string; size: number; startedAt: string;
    /** Set by rank 0 once it runs (a record without it was written by the HTTP function only). */
    rankZeroStartedAt?: string;
    /** When the job times out (ISO), set by rank 0. */
    deadline?: string;
  }
  | ({ jobId: string; status: 'succeeded' } & Record<string, unknown>)
  | { jobId: string; status: 'failed'; error: FailureInfo; output?: unknown[] }
  | { jobId: string; status: 'cancelled'; cancelledBy: string; error: FailureInfo; output?: unknown[] }
  /** Rank 0 died or never started: the job can no longer finish (see job-liveness.ts). */
  | { jobId: string; status: 'lost'; error: FailureInfo; program?: string; size?: number; startedAt?: string };

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
  try {
    await s3.send(new PutObjectCommand({
      Bucket: bucket,
      Key: runStatusKey(status.jobId),
      Body: JSON.stringify(status),
      ContentType: 'application/json',
    }));
  } catch (error) {
    throw await storageError(error, s3, bucket, `PutObject ${runStatusKey(status.jobId)}`);
  }
}

export async function readRunStatus(s3: S3Client, bucket: string, jobId: string): Promise<RunStatus | undefined> {
  try {
    const text = await readObjectText(s3, bucket, runStatusKey(jobId));
    return text === undefined ? undefined : (JSON.parse(text) as RunStatus);
  } catch (error) {
    throw await storageError(error, s3, bucket, `GetObject ${runStatusKey(jobId)}`);
  }
}

/** An unreachable or missing bucket is a ConfigurationError naming it, not the SDK's raw error. */
async function storageError(error: unknown, s3: S3Client, bucket: string, operation: string): Promise<Error> {
  // The endpoint as configured, else the address a refused connection names.
  const { address, port } = error as { address?: string; port?: number };
  const endpoint = await s3.config.endpoint?.().then((e) => `${e.protocol}//${e.hostname}${e.port ? `:${e.port}` : ''}`, () => undefined)
    ?? (address ? `S3 at ${address}${port ? `:${port}` : ''}` : undefined);
  const settings = { bucket, ...(endpoint ? { endpoints: { s3: endpoint } } : {}) } as AwsSettings;
  return explainAwsError(error, { service: 's3', settings, operation });
}

/**
 * What a failed job's record and HTTP answer say about the failure: the rank, the error's type
 * and message, and of stacks only the user's program's own frames (user-stack.ts); lambda-mpi's
 * internals are for its log, not for API clients.
 */
export function failureInfo(error: unknown): FailureInfo {
  const { stack: _internal, ...remote } = toRemoteErrorInfo(error);
  const info: FailureInfo = remote;
  if (error instanceof RankFailedError) {
    info.rank = error.rank;
    const stack = userStack(error.remote.stack);
    if (stack) info.stack = stack;
  } else if (error instanceof LambdaMpiError && 'rank' in error) {
    info.rank = (error as unknown as { rank: number }).rank;
  }
  if (error instanceof JobTimeoutError) info.running = error.running;
  return info;
}
