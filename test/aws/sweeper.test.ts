import { CreateMultipartUploadCommand, GetObjectCommand, ListMultipartUploadsCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { resolveAwsSettings } from '../../src/config.ts';
import { newJobId } from '../../src/runtime/job-id.ts';
import { writePulse } from '../../src/service/job-liveness.ts';
import { readJobRecord, writeJobRecord, type JobRecord } from '../../src/job-store/job-record.ts';
import { sweepJobs } from '../../src/service/sweeper.ts';
import { pendingUploadKey } from '../../src/job-store/keys.ts';
import { notePendingUpload } from '../../src/job-store/pending-uploads.ts';
import { createAwsClients } from '../../src/transport/aws/clients.ts';
import { createJobResources } from '../../src/transport/aws/job-resources.ts';
import { findLeftovers, itLeavesNothingBehind } from './leftovers.ts';

/**
 * The sweeper against the real local SQS and S3: it deletes the queues and objects of jobs that
 * ended or were lost, records lost jobs `lost`, and leaves running jobs and foreign queues alone.
 */
const local = inject('localAws');
const PREFIX = 'lmsweep';
const settings = resolveAwsSettings({ bucket: local.bucket, region: local.region, endpoints: { s3: local.s3Endpoint, sqs: local.sqsEndpoint }, credentials: local.credentials, queuePrefix: PREFIX });
const clients = createAwsClients(settings);
const limits = { startDeadlineMs: 30_000 };
const jobIds: string[] = [];

afterAll(() => clients.destroy());

/** A job as rank 0 leaves it mid-run: its record, its queues (tagged), a claim and a frame. */
async function jobWithResources(record: (jobId: string) => JobRecord | undefined, size = 3): Promise<string> {
  const jobId = newJobId();
  jobIds.push(jobId);
  const status = record(jobId);
  if (status) await writeJobRecord(clients.s3, local.bucket, status);
  await createJobResources(clients, settings, jobId, size);
  for (const key of ['claims/1', 'frames/0-1-0']) {
    await clients.s3.send(new PutObjectCommand({ Bucket: local.bucket, Key: `jobs/${jobId}/${key}`, Body: 'x' }));
  }
  return jobId;
}

const iso = (ms: number) => new Date(ms).toISOString();
const running = (jobId: string, startedAt: number, rankZero = true): JobRecord => ({
  jobId, status: 'running', program: 'pi', size: 3, startedAt: iso(startedAt),
  ...(rankZero ? { rankZeroStartedAt: iso(startedAt), deadline: iso(startedAt + 120_000) } : {}),
});

async function leftoversOf(jobId: string) {
  return findLeftovers(local, `${PREFIX}-${jobId}-`, [`jobs/${jobId}/`]);
}

describe('the sweeper', () => {
  it('deletes the queues and objects of a job that ended, and leaves its record', async () => {
    const jobId = await jobWithResources((id) => ({ jobId: id, status: 'succeeded', result: 1 }));
    const swept = await sweepJobs(clients, settings, limits);
    expect(swept).toContainEqual({ jobId, verdict: 'ended', queuesDeleted: 3, objectsDeleted: true });
    expect(await leftoversOf(jobId)).toEqual({ queues: [], objects: [] });
    expect((await readJobRecord(clients.s3, local.bucket, jobId))?.status).toBe('succeeded');
  });

  it('leaves a running job whose rank 0 pulses alone', async () => {
    const now = Date.now();
    const jobId = await jobWithResources((id) => running(id, now - 50_000));
    await writePulse(clients.s3, local.bucket, jobId, now - 5_000);
    const swept = await sweepJobs(clients, settings, { ...limits, now });
    expect(swept.map((j) => j.jobId)).not.toContain(jobId);
    expect((await leftoversOf(jobId)).queues).toHaveLength(3);
    expect((await readJobRecord(clients.s3, local.bucket, jobId))?.status).toBe('running');
  });

  it('records a job whose rank 0 went silent as lost, naming rank 0 and since when, and deletes what it left', async () => {
    const now = Date.now();
    const jobId = await jobWithResources((id) => running(id, now - 120_000));
    const lastPulse = now - 50_000;
    await writePulse(clients.s3, local.bucket, jobId, lastPulse);
    const swept = await sweepJobs(clients, settings, { ...limits, now });
    expect(swept).toContainEqual({ jobId, verdict: 'lost', queuesDeleted: 3, objectsDeleted: true });
    expect(await readJobRecord(clients.s3, local.bucket, jobId)).toMatchObject({
      status: 'lost', program: 'pi', size: 3,
      error: { name: 'RankLostError', rank: 0, message: `rank 0 stopped answering: its process's pulse stopped at ${iso(lastPulse)} (its process ended: a crash, out of memory, or its function's timeout)` },
    });
    expect(await leftoversOf(jobId)).toEqual({ queues: [], objects: [] });
  });

  it('records a job whose rank 0 never started as lost, with the likely cause', async () => {
    const now = Date.now();
    const jobId = newJobId();
    jobIds.push(jobId);
    // What the HTTP function leaves when the run function's start was throttled: a record and the input.
    await writeJobRecord(clients.s3, local.bucket, running(jobId, now - 60_000, false));
    await clients.s3.send(new PutObjectCommand({ Bucket: local.bucket, Key: `jobs/${jobId}/input.json`, Body: '{}' }));
    const swept = await sweepJobs(clients, settings, { ...limits, now });
    expect(swept).toContainEqual({ jobId, verdict: 'lost', queuesDeleted: 0, objectsDeleted: true });
    const record = await readJobRecord(clients.s3, local.bucket, jobId);
    expect(record).toMatchObject({ status: 'lost', error: { name: 'RankLostError', rank: 0 } });
    expect((record as { error: { message: string } }).error.message).toMatch(/^rank 0 never started: it did not check in within 60 s of its invocation \(likely throttled/);
  });

  it('aborts the multipart uploads a lost job noted (its files were inside close), and drops notes that name none', async () => {
    const now = Date.now();
    const jobId = await jobWithResources((id) => running(id, now - 120_000));
    await writePulse(clients.s3, local.bucket, jobId, now - 50_000);
    const Bucket = 'lmsweep-data';
    const { UploadId } = await clients.s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'out.bin' }));
    await clients.s3.send(new UploadPartCommand({ Bucket, Key: 'out.bin', UploadId, PartNumber: 1, Body: 'part' }));
    await notePendingUpload(clients.s3, local.bucket, jobId, { bucket: Bucket, key: 'out.bin', uploadId: UploadId! });
    // A program may write anything under its job's prefix: a note that is no note is only deleted.
    await clients.s3.send(new PutObjectCommand({ Bucket: local.bucket, Key: pendingUploadKey(jobId, 'junk'), Body: '{"bucket":1}' }));
    const pending = async () => ((await clients.s3.send(new ListMultipartUploadsCommand({ Bucket }))).Uploads ?? []).map((upload) => upload.UploadId);
    expect(await pending()).toContain(UploadId);

    const swept = await sweepJobs(clients, settings, { ...limits, now });
    expect(swept).toContainEqual({ jobId, verdict: 'lost', queuesDeleted: 3, objectsDeleted: true });
    expect(await pending()).not.toContain(UploadId);
    expect(await leftoversOf(jobId)).toEqual({ queues: [], objects: [] });
  });

  it('gives a just-started job its start deadline', async () => {
    const now = Date.now();
    const jobId = newJobId();
    jobIds.push(jobId);
    await writeJobRecord(clients.s3, local.bucket, running(jobId, now - 5_000, false));
    await clients.s3.send(new PutObjectCommand({ Bucket: local.bucket, Key: `jobs/${jobId}/input.json`, Body: '{}' }));
    expect((await sweepJobs(clients, settings, { ...limits, now })).map((j) => j.jobId)).not.toContain(jobId);
    expect(await readJobRecord(clients.s3, local.bucket, jobId)).toMatchObject({ status: 'running' });
    // Tidy: this one is over too once the test ends.
    await writeJobRecord(clients.s3, local.bucket, { jobId, status: 'failed', error: { name: 'Error', message: 'test over' } });
  });

  it('deletes the queues of a job without a record (expired), but not a queue that only looks like a job\'s', async () => {
    const jobId = await jobWithResources(() => undefined, 2);
    const lookalike = (await clients.sqs.send(new CreateQueueCommand({ QueueName: `${PREFIX}-${newJobId()}-0` }))).QueueUrl!;
    // Its objects are fresh: a record may still be on its way, so only later (its grace is minutes).
    expect((await sweepJobs(clients, settings, limits)).map((j) => j.jobId)).not.toContain(jobId);
    const swept = await sweepJobs(clients, settings, { ...limits, now: Date.now() + 11 * 60_000 });
    expect(swept).toContainEqual({ jobId, verdict: 'unrecorded', queuesDeleted: 2, objectsDeleted: true });
    expect(await leftoversOf(jobId)).toEqual({ queues: [], objects: [] });
    const stillThere = await findLeftovers(local, lookalike.slice(lookalike.lastIndexOf('/') + 1), []);
    expect(stillThere.queues).toEqual([lookalike]);
    await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: lookalike }));
  });

  it('spares the job of the rank 0 that sweeps, and leaves other stages\' queues alone', async () => {
    const mine = await jobWithResources((id) => ({ jobId: id, status: 'failed', error: { name: 'Error', message: 'x' } }));
    const otherStage = resolveAwsSettings({ ...settings, queuePrefix: `${PREFIX}x` });
    const other = newJobId();
    jobIds.push(other);
    await writeJobRecord(clients.s3, local.bucket, { jobId: other, status: 'succeeded' });
    await createJobResources(clients, otherStage, other, 1);
    const swept = await sweepJobs(clients, settings, { ...limits, spare: [mine] });
    expect(swept.map((j) => j.jobId)).not.toContain(mine);
    expect(swept.map((j) => j.jobId)).not.toContain(other);
    expect((await findLeftovers(local, `${PREFIX}x-${other}-`, [])).queues).toHaveLength(1);
    // The other stage's own sweeper takes it, and the spared job goes at the next sweep.
    await sweepJobs(clients, otherStage, limits);
    await sweepJobs(clients, settings, limits);
  });

  it('a second sweep finds nothing more to do', async () => {
    const swept = await sweepJobs(clients, settings, { ...limits, now: Date.now() + 11 * 60_000 });
    expect(swept.filter((j) => j.queuesDeleted > 0 || j.objectsDeleted)).toEqual([]);
  });
});

describe('cleanup', () => {
  it('the running job of the test above is over: its record ends it, and the sweep takes its resources', async () => {
    for (const jobId of jobIds) {
      const record = await readJobRecord(clients.s3, local.bucket, jobId);
      if (record?.status === 'running') await writeJobRecord(clients.s3, local.bucket, { jobId, status: 'failed', error: { name: 'Error', message: 'test over' } });
    }
    await sweepJobs(clients, settings, limits);
    const pulse = await clients.s3.send(new GetObjectCommand({ Bucket: local.bucket, Key: `jobs/${jobIds[1]}/alive` })).then(() => true, () => false);
    expect(pulse).toBe(false);
  });
  itLeavesNothingBehind(PREFIX, jobIds);
});
