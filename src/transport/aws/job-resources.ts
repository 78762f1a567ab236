import { DeleteObjectsCommand, HeadBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand } from '@aws-sdk/client-sqs';
import type { AwsSettings } from '../../config.ts';
import { systemClock, type Clock } from '../clock.ts';
import { explainAwsError } from './aws-errors.ts';
import type { AwsClients } from './clients.ts';
import { jobPrefix } from '../../job-store/keys.ts';
import { abortPendingUploads, isPendingUploadKey } from '../../job-store/pending-uploads.ts';

/**
 * One receive queue per rank per job, named from the job id: concurrent jobs never share one. A
 * job's later generation has queues of its own: a receive an ended generation's rank still had
 * in flight would otherwise take the new generation's messages.
 */
export function queueName(settings: AwsSettings, jobId: string, rank: number, generation = 0): string {
  return generation === 0 ? `${settings.queuePrefix}-${jobId}-${rank}` : `${settings.queuePrefix}-${jobId}-g${generation}-${rank}`;
}

/** Where every queue of a job is: the names differ only in their rank suffix, and so do the URLs. */
export interface JobQueues {
  /** The URL of rank 0's queue without its final "0". */
  urlBase: string;
  /**
   * Epoch ms from which the queues may be used: AWS asks to wait a second after CreateQueue
   * (settings.queueReadyDelayMs; 0 for local servers).
   */
  readyAt?: number;
}

export function queueUrl(queues: JobQueues, rank: number): string {
  return `${queues.urlBase}${rank}`;
}

/**
 * CreateQueue and DeleteQueue calls in flight at once, a new one starting as each ends (so a slow
 * call holds up one slot, not a wave). SQS publishes no rate for these calls; at the model's
 * ~50 ms each, 100 in flight create 1,000 queues in ~0.6 s and delete 10,000 in ~6 s, inside
 * rank 0's cleanup margin (docs/architecture.md, "Start-up and cleanup at scale").
 */
export const QUEUE_CALLS_IN_FLIGHT = 100;

/**
 * Runs `task(0)` … `task(count - 1)` with at most `limit` in flight. After a failure no new task
 * starts; the first failure is thrown once the tasks in flight have settled.
 */
export async function inFlightPool(count: number, limit: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (!failure && next < count) {
      const index = next++;
      try {
        await task(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  if (failure) throw failure.error;
}

/** Resolves at epoch ms `at` (at once if it has passed). */
export function waitUntil(at: number | undefined, clock: Clock = systemClock): Promise<void> {
  const delay = at === undefined ? 0 : at - clock.now();
  return delay > 0 ? new Promise((resolve) => clock.schedule(resolve, delay)) : Promise.resolve();
}

/**
 * Creates the job's queues (and checks the bucket) before any rank starts, so missing
 * configuration fails the job at once with a clear error. Tags let a sweeper find queues a
 * crashed job left behind.
 */
export async function createJobResources(
  clients: AwsClients,
  settings: AwsSettings,
  jobId: string,
  size: number,
  { visibilityTimeoutSeconds = 30, clock = systemClock, generation = 0 }: { visibilityTimeoutSeconds?: number; clock?: Clock; generation?: number } = {},
): Promise<JobQueues> {
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: settings.bucket }));
  } catch (error) {
    throw explainAwsError(error, { service: 's3', settings, operation: `HeadBucket ${settings.bucket}` });
  }
  const urls: string[] = new Array(size);
  try {
    await inFlightPool(size, QUEUE_CALLS_IN_FLIGHT, async (rank) => {
      const response = await clients.sqs.send(new CreateQueueCommand({
        QueueName: queueName(settings, jobId, rank, generation),
        Attributes: {
          MaximumMessageSize: String(settings.maxMessageBytes),
          VisibilityTimeout: String(visibilityTimeoutSeconds),
          MessageRetentionPeriod: String(24 * 3600),
        },
        tags: { 'lambda-mpi:job': jobId },
      }));
      urls[rank] = response.QueueUrl!;
    });
  } catch (error) {
    await deleteQueues(clients, urls.filter(Boolean));
    throw explainAwsError(error, { service: 'sqs', settings, operation: 'CreateQueue' });
  }
  const urlBase = urls[0]!.slice(0, -1);
  urls.forEach((url, rank) => {
    if (url !== `${urlBase}${rank}`) throw new Error(`unexpected queue URL ${url} for rank ${rank}`);
  });
  return { urlBase, readyAt: clock.now() + settings.queueReadyDelayMs };
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

/** Deletes the job's queues only (a generation's, when the job goes on in the next). */
export async function deleteJobQueues(clients: AwsClients, queues: JobQueues, size: number): Promise<void> {
  await deleteQueues(clients, Array.from({ length: size }, (_, rank) => queueUrl(queues, rank)));
}

async function deleteQueues(clients: AwsClients, urls: string[]): Promise<void> {
  await inFlightPool(urls.length, QUEUE_CALLS_IN_FLIGHT, async (i) => {
    try {
      await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: urls[i]! }));
    } catch (error) {
      if ((error as { name?: string }).name !== 'QueueDoesNotExist') throw error;
    }
  });
}

/**
 * Lists the job's objects page by page, deleting each page while the next one is listed. Uploads
 * the job's files noted as pending are aborted first (pending-uploads.ts); a note whose abort
 * failed stays for the next cleanup, and the failure is thrown once the rest is deleted.
 */
export async function deleteJobObjects(clients: AwsClients, bucket: string, jobId: string): Promise<void> {
  const deletions: Promise<string[]>[] = [];
  let token: string | undefined;
  do {
    const page = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: jobPrefix(jobId), ContinuationToken: token }));
    const keys = (page.Contents ?? []).map((o) => o.Key!);
    deletions.push(deleteAfterAborts(clients, bucket, jobId, keys));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const failures = (await Promise.all(deletions)).flat();
  if (failures.length) throw new Error(failures.join('; '));
}

/** Deletes `keys` but the notes of uploads that could not be aborted; those failures. */
async function deleteAfterAborts(clients: AwsClients, bucket: string, jobId: string, keys: string[]): Promise<string[]> {
  const notes = keys.filter((key) => isPendingUploadKey(jobId, key));
  const { done, failures } = notes.length ? await abortPendingUploads(clients.s3, bucket, notes) : { done: [], failures: [] };
  const kept = new Set(notes.filter((key) => !done.includes(key)));
  const objects = keys.filter((key) => !kept.has(key)).map((Key) => ({ Key }));
  if (objects.length) await clients.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
  return failures;
}
