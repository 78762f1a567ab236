import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DeleteQueueCommand, ListQueuesCommand, ListQueueTagsCommand } from '@aws-sdk/client-sqs';
import type { AwsSettings } from '../config.ts';
import { isJobId } from '../runtime/job-id.ts';
import { createAwsClients, type AwsClients } from '../transport/aws/clients.ts';
import { deleteJobObjects } from '../transport/aws/job-resources.ts';
import type { LambdaConfig } from './lambda-config.ts';
import { judgeRunning, lostRecord, readPulse, type LivenessLimits } from './job-liveness.ts';
import { readJobRecord, writeJobRecord } from '../job-store/job-record.ts';
import { jobIdOfWorkingKey, WORKING_OBJECTS_PREFIX } from '../job-store/keys.ts';
import { openValkeyConnection } from '../transport/valkey/valkey-connection.ts';
import { deleteCachedJob, listCachedJobs, type StageCache } from './valkey-sweep.ts';

/**
 * The sweeper: whatever died, a job's queues and objects go (and the multipart uploads its files
 * noted among them are aborted first: deleteJobObjects). It finds every job that has
 * resources (the stage's tagged queues, and `jobs/<jobId>/` prefixes), and deletes them for each
 * job that ended (its record says so: rank 0 died during its cleanup, or a late worker wrote
 * after it), that is lost (rank 0 never started or went silent: the record is rewritten `lost`),
 * or that has no record at all any more (it expired). A job whose rank 0 is alive is left alone.
 * On a stage over Valkey the job's keys in the cache take the queues' place (such a stage has no
 * queue, and its functions in the VPC have no way to SQS).
 * On AWS it runs on a schedule (the `sweep` function); on the local stack, which has no
 * schedules, rank 0 runs it when a job starts.
 */
export interface SweptJob {
  jobId: string;
  /** Why its resources went: the job had ended, was found lost now, or had no record. */
  verdict: 'ended' | 'lost' | 'unrecorded';
  queuesDeleted: number;
  objectsDeleted: boolean;
  /** On a stage over Valkey: how many of its keys in the cache were deleted. */
  keysDeleted?: number;
}

export interface SweepOptions extends LivenessLimits {
  now?: number;
  /** Jobs never to touch (the job of the rank 0 that sweeps). */
  spare?: string[];
  /** The stage's Valkey cache, on a stage over Valkey: its keys are swept instead of queues. */
  cache?: StageCache;
}

/** Resources without a record are only swept this long after they were last written: a job writes its record first, but clocks differ. */
const UNRECORDED_GRACE_MS = 10 * 60_000;

const TAG = 'lambda-mpi:job';

export async function sweepJobs(clients: AwsClients, settings: AwsSettings, options: SweepOptions): Promise<SweptJob[]> {
  const now = options.now ?? Date.now();
  const queues = options.cache ? new Map<string, string[]>() : await listJobQueues(clients, settings);
  const cached = options.cache ? await listCachedJobs(options.cache, now) : new Map<string, number>();
  const prefixes = await listJobPrefixes(clients, settings.bucket);
  const jobIds = new Set([...queues.keys(), ...cached.keys(), ...prefixes.keys()]);
  for (const spared of options.spare ?? []) jobIds.delete(spared);
  const swept: SweptJob[] = [];
  for (const jobId of jobIds) {
    const lastWritten = Math.max(prefixes.get(jobId) ?? 0, cached.get(jobId) ?? 0);
    const verdict = await judge(clients, settings, jobId, now, lastWritten, options);
    if (!verdict) continue;
    const queuesDeleted = await deleteTaggedQueues(clients, jobId, queues.get(jobId) ?? []);
    const keysDeleted = options.cache && cached.has(jobId) ? await deleteCachedJob(options.cache, jobId) : 0;
    const objectsDeleted = prefixes.has(jobId);
    if (objectsDeleted) await deleteJobObjects(clients, settings.bucket, jobId);
    // A deleted queue may be listed for a while yet (as on SQS): that is not news.
    if (verdict === 'lost' || queuesDeleted > 0 || objectsDeleted || keysDeleted > 0) {
      swept.push({ jobId, verdict, queuesDeleted, objectsDeleted, ...(options.cache ? { keysDeleted } : {}) });
    }
  }
  return swept;
}

/** Whether a job's resources may go, and why; undefined while it may still run. */
async function judge(
  clients: AwsClients, settings: AwsSettings, jobId: string, now: number, lastWritten: number, limits: LivenessLimits,
): Promise<SweptJob['verdict'] | undefined> {
  const record = await readJobRecord(clients.s3, settings.bucket, jobId);
  if (!record) return now - lastWritten > UNRECORDED_GRACE_MS ? 'unrecorded' : undefined;
  if (record.status !== 'running') return 'ended';
  const lost = judgeRunning(record, await readPulse(clients.s3, settings.bucket, jobId), now, limits);
  if (!lost) return undefined;
  await writeJobRecord(clients.s3, settings.bucket, lostRecord(record, lost));
  return 'lost';
}

/** The stage's job queues by job id: names `<prefix>-<jobId>-<rank>`, or `<prefix>-<jobId>-g<generation>-<rank>`. */
async function listJobQueues(clients: AwsClients, settings: AwsSettings): Promise<Map<string, string[]>> {
  const byJob = new Map<string, string[]>();
  const namePrefix = `${settings.queuePrefix}-`;
  let token: string | undefined;
  do {
    const page = await clients.sqs.send(new ListQueuesCommand({ QueueNamePrefix: namePrefix, MaxResults: 1000, NextToken: token }));
    for (const url of page.QueueUrls ?? []) {
      const name = url.slice(url.lastIndexOf('/') + 1);
      const match = /^(.*)-([a-z2-7]{26})-(?:g\d+-)?(\d+)$/.exec(name);
      if (!match || match[1] !== settings.queuePrefix || !isJobId(match[2])) continue;
      const urls = byJob.get(match[2]!) ?? [];
      urls.push(url);
      byJob.set(match[2]!, urls);
    }
    token = page.NextToken;
  } while (token);
  return byJob;
}

/**
 * Job ids with objects under `jobs/`, with when each job's newest object was written. A listing
 * of every key, not of prefixes: s3rver's delimiter listing leaves out prefixes with deeper keys.
 */
async function listJobPrefixes(clients: AwsClients, bucket: string): Promise<Map<string, number>> {
  const newest = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: WORKING_OBJECTS_PREFIX, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      const jobId = jobIdOfWorkingKey(object.Key!);
      if (jobId !== undefined && isJobId(jobId)) newest.set(jobId, Math.max(newest.get(jobId) ?? 0, object.LastModified?.getTime() ?? 0));
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return newest;
}

/** Deletes the queues tagged as this job's (a queue that only looks like one is left alone). */
async function deleteTaggedQueues(clients: AwsClients, jobId: string, urls: string[]): Promise<number> {
  let deleted = 0;
  await Promise.all(urls.map(async (url) => {
    try {
      const tags = await clients.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }));
      if (tags.Tags?.[TAG] !== jobId) return;
      await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
      deleted++;
    } catch (error) {
      if ((error as { name?: string }).name !== 'QueueDoesNotExist') throw error;
    }
  }));
  return deleted;
}

/** One sweep of the stage the functions belong to, with clients of its own; logs what it deleted. */
export async function sweepStage(config: LambdaConfig, spare: string[] = []): Promise<SweptJob[]> {
  const clients = createAwsClients(config.aws);
  const { channel } = config;
  const connection = channel.kind === 'valkey' ? await openValkeyConnection(channel.valkey, 'sweep') : undefined;
  try {
    const cache = connection && channel.kind === 'valkey' ? { cache: { connection, settings: channel.valkey } } : {};
    const swept = await sweepJobs(clients, config.aws, { startDeadlineMs: config.startDeadlineMs, spare, ...cache });
    for (const job of swept) {
      const what = job.keysDeleted === undefined ? `${job.queuesDeleted} queue(s)` : `${job.keysDeleted} key(s) in the cache`;
      console.log(`lambda-mpi sweep: job ${job.jobId} (${job.verdict}): ${what}${job.objectsDeleted ? ' and its objects' : ''} deleted`);
    }
    return swept;
  } finally {
    await connection?.close();
    clients.destroy();
  }
}
