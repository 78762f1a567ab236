import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AwsSettings } from '../config.ts';
import { LambdaMpiError } from '../mpi/errors.ts';
import { explainAwsError } from '../transport/aws/aws-errors.ts';
import { jobRecordKey } from './keys.ts';
import { readObjectText } from './object-text.ts';

/**
 * A job's record: its status and, once it ended, its result, at jobRecordKey(jobId). Unlike the
 * job's working objects (deleted when the job ends) it stays, so GET /runs/{jobId}, the CLI and
 * the sweeper can read it later; the bucket's lifecycle rule expires it. Written by the HTTP
 * function (running), rank 0 (running, then its outcome), its pulse and the watchers (lost).
 */
export type JobRecord =
  | {
    jobId: string; status: 'running'; program: string; size: number; startedAt: string;
    /** Set by rank 0 once it runs (a record without it was written by the HTTP function only). */
    rankZeroStartedAt?: string;
    /** When the job times out (ISO), set by rank 0. */
    deadline?: string;
    /** A job longer than one Lambda: the generation running (absent: 0). */
    generation?: number;
    /** Set while the job switches generations: when rank 0 invoked the next one's run function (ISO), which clears it. */
    nextGenerationAt?: string;
    /** A job with `retries`: how many restarts after lost ranks it has had so far (absent: none). */
    retries?: number;
  }
  /** The RunResult as JSON (result-json.ts), with `platform` and a traced job's `traceKey`. */
  | ({ jobId: string; status: 'succeeded' } & Record<string, unknown>)
  | { jobId: string; status: 'failed'; error: FailureInfo; output?: OutputLineRecord[] }
  | { jobId: string; status: 'cancelled'; cancelledBy: string; error: FailureInfo; output?: OutputLineRecord[] }
  /** Rank 0 died or never started: the job can no longer finish (see service/job-liveness.ts). */
  | { jobId: string; status: 'lost'; error: FailureInfo; program?: string; size?: number; startedAt?: string };

export type JobStatus = JobRecord['status'];

/** Every status a record may have; `running` is the only one that is not final. */
export const JOB_STATUSES: readonly JobStatus[] = ['running', 'succeeded', 'failed', 'cancelled', 'lost'];

/** A line a rank printed, as a record keeps it (RunResult.output's shape). */
export interface OutputLineRecord {
  rank: number;
  stream: 'stdout' | 'stderr';
  line: string;
}

/** What a failed job's record says about the failure (service/failure-info.ts fills it). */
export interface FailureInfo {
  name: string;
  code?: string;
  message: string;
  rank?: number;
  stack?: string;
  running?: unknown[];
}

/** An object at a job's record key that is not a record of that job. */
export class JobRecordError extends LambdaMpiError {
  constructor(readonly jobId: string, detail: string) {
    super('BAD_JOB_RECORD', `the record of job ${jobId} (${jobRecordKey(jobId)}) ${detail}`);
  }
}

export async function writeJobRecord(s3: S3Client, bucket: string, record: JobRecord): Promise<void> {
  try {
    await s3.send(new PutObjectCommand({
      Bucket: bucket,
      Key: jobRecordKey(record.jobId),
      Body: JSON.stringify(record),
      ContentType: 'application/json',
    }));
  } catch (error) {
    throw await storageError(error, s3, bucket, `PutObject ${jobRecordKey(record.jobId)}`);
  }
}

/** The job's record, or undefined when there is none; one that is not a record of the job is a JobRecordError. */
export async function readJobRecord(s3: S3Client, bucket: string, jobId: string): Promise<JobRecord | undefined> {
  let text: string | undefined;
  try {
    text = await readObjectText(s3, bucket, jobRecordKey(jobId));
  } catch (error) {
    throw await storageError(error, s3, bucket, `GetObject ${jobRecordKey(jobId)}`);
  }
  return text === undefined ? undefined : parseJobRecord(jobId, text);
}

/**
 * A record's text as the job's record: JSON of an object whose `jobId` is this job's and whose
 * `status` is one of JOB_STATUSES, with the fields its status requires.
 */
export function parseJobRecord(jobId: string, text: string): JobRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new JobRecordError(jobId, `is not JSON (${(error as Error).message}); a record is a JSON object`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JobRecordError(jobId, `is ${describe(value)}; a record is a JSON object`);
  const record = value as Record<string, unknown>;
  if (record.jobId !== jobId) throw new JobRecordError(jobId, `names job ${JSON.stringify(record.jobId)}; a record names its own job`);
  if (!JOB_STATUSES.includes(record.status as JobStatus)) {
    throw new JobRecordError(jobId, `has status ${JSON.stringify(record.status)}; allowed are ${JOB_STATUSES.join(', ')}`);
  }
  if (record.status === 'running' && (typeof record.program !== 'string' || typeof record.size !== 'number')) {
    throw new JobRecordError(jobId, 'says running without the job\'s program and size; a running job\'s record has both');
  }
  if (record.status !== 'running' && record.status !== 'succeeded') {
    const error = record.error as Record<string, unknown> | undefined;
    if (typeof error !== 'object' || error === null || typeof error.message !== 'string') {
      throw new JobRecordError(jobId, `says ${record.status as string} without an error message; a job that did not succeed has one`);
    }
  }
  return record as JobRecord;
}

function describe(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
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
