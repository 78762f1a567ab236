import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { jobTraceKey } from './keys.ts';
import { readObjectText } from './object-text.ts';

/**
 * A traced job's timeline (Chrome trace-event JSON) beside its record: written by rank 0 when the
 * job ends (it may be larger than a synchronous answer may be), read by the CLI (`--trace`) and
 * the report page. The record of a traced job names it (`traceKey`).
 */
export async function writeJobTrace(s3: S3Client, bucket: string, jobId: string, trace: unknown): Promise<string> {
  const key = jobTraceKey(jobId);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(trace), ContentType: 'application/json' }));
  return key;
}

/** The timeline's text when the job's record names it, else undefined. */
export async function readJobTrace(s3: S3Client, bucket: string, jobId: string, record: Record<string, unknown>): Promise<string | undefined> {
  if (record.traceKey !== jobTraceKey(jobId)) return undefined;
  return readObjectText(s3, bucket, jobTraceKey(jobId));
}
