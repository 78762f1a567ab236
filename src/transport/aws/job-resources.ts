import { DeleteObjectsCommand, HeadBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand } from '@aws-sdk/client-sqs';
import type { AwsSettings } from '../../config.ts';
import { explainAwsError } from './aws-errors.ts';
import { jobPrefix } from './claim-check.ts';
import type { AwsClients } from './clients.ts';

/** One receive queue per rank per job, named from the job id: concurrent jobs never share one. */
export function queueName(settings: AwsSettings, jobId: string, rank: number): string {
  return `${settings.queuePrefix}-${jobId}-${rank}`;
}

/** Where every queue of a job is: the names differ only in their rank suffix, and so do the URLs. */
export interface JobQueues {
  /** The URL of rank 0's queue without its final "0". */
  urlBase: string;
}

export function queueUrl(queues: JobQueues, rank: number): string {
  return `${queues.urlBase}${rank}`;
}

const CREATE_CONCURRENCY = 16;

/**
 * Creates the job's queues (and checks the bucket) before any rank starts, so missing
 * configuration fails the job at once with a clear error. Tags let a sweeper find queues a
 * crashed job left behind.
 */
export async function createJobResources(clients: AwsClients, settings: AwsSettings, jobId: string, size: number, visibilityTimeoutSeconds = 30): Promise<JobQueues> {
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: settings.bucket }));
  } catch (error) {
    throw explainAwsError(error, { service: 's3', settings, operation: `HeadBucket ${settings.bucket}` });
  }
  const urls: string[] = new Array(size);
  try {
    for (let start = 0; start < size; start += CREATE_CONCURRENCY) {
      await Promise.all(Array.from({ length: Math.min(CREATE_CONCURRENCY, size - start) }, async (_, i) => {
        const rank = start + i;
        const response = await clients.sqs.send(new CreateQueueCommand({
          QueueName: queueName(settings, jobId, rank),
          Attributes: {
            MaximumMessageSize: String(settings.maxMessageBytes),
            VisibilityTimeout: String(visibilityTimeoutSeconds),
            MessageRetentionPeriod: String(24 * 3600),
          },
          tags: { 'lambda-mpi:job': jobId },
        }));
        urls[rank] = response.QueueUrl!;
      }));
    }
  } catch (error) {
    await deleteQueues(clients, urls.filter(Boolean));
    throw explainAwsError(error, { service: 'sqs', settings, operation: 'CreateQueue' });
  }
  const urlBase = urls[0]!.slice(0, -1);
  urls.forEach((url, rank) => {
    if (url !== `${urlBase}${rank}`) throw new Error(`unexpected queue URL ${url} for rank ${rank}`);
  });
  return { urlBase };
}

/**
 * Deletes the job's queues, then every object under its prefix. Safe to call more than once. In
 * that order so that a rank starting late, which writes its claim and then checks its queue, either
 * wrote before the objects were listed (and its claim goes with them) or finds its queue gone.
 */
export async function deleteJobResources(clients: AwsClients, settings: AwsSettings, jobId: string, queues: JobQueues, size: number): Promise<void> {
  const queuesDeleted = await deleteQueues(clients, Array.from({ length: size }, (_, rank) => queueUrl(queues, rank))).then(() => undefined, (error: unknown) => error);
  await deleteJobObjects(clients, settings.bucket, jobId);
  if (queuesDeleted) throw queuesDeleted;
}

async function deleteQueues(clients: AwsClients, urls: string[]): Promise<void> {
  for (let start = 0; start < urls.length; start += CREATE_CONCURRENCY) {
    await Promise.all(urls.slice(start, start + CREATE_CONCURRENCY).map(async (url) => {
      try {
        await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
      } catch (error) {
        if ((error as { name?: string }).name !== 'QueueDoesNotExist') throw error;
      }
    }));
  }
}

export async function deleteJobObjects(clients: AwsClients, bucket: string, jobId: string): Promise<void> {
  let token: string | undefined;
  do {
    const page = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: jobPrefix(jobId), ContinuationToken: token }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length) await clients.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}
