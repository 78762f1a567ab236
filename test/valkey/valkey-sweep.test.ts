import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveAwsSettings } from '../../src/config.ts';
import { newJobId } from '../../src/runtime/job-id.ts';
import { writePulse } from '../../src/service/job-liveness.ts';
import { sweepJobs, type SweepOptions } from '../../src/service/sweeper.ts';
import { readJobRecord, writeJobRecord, type JobRecord } from '../../src/job-store/job-record.ts';
import { createAwsClients } from '../../src/transport/aws/clients.ts';
import { openValkeyConnection, type ValkeyConnection } from '../../src/transport/valkey/valkey-connection.ts';
import { inboxKey, jobOnKey } from '../../src/transport/valkey/valkey-keys.ts';
import { resolveValkeySettings, type ValkeySettings } from '../../src/transport/valkey/valkey-settings.ts';
import { findLeftovers } from '../aws/leftovers.ts';
import { keysIn, localValkeyServer } from './local-valkey.ts';

/**
 * The sweeper on a stage over Valkey, against a real redis-server and the local S3: what a killed
 * rank 0 left in the cache (its lists and its "on" key) goes with the job's objects once the job
 * is over or lost, and SQS, which such a stage cannot reach, is never asked.
 */
const local = inject('localAws');
const valkey = localValkeyServer();
// No SQS server answers here: a sweep of a Valkey stage that asked SQS anything would fail.
const settings = resolveAwsSettings({ bucket: local.bucket, region: local.region, endpoints: { s3: local.s3Endpoint, sqs: 'http://127.0.0.1:9' }, credentials: local.credentials, queuePrefix: 'lmvsweep' });
const clients = createAwsClients(settings);
const limits = { startDeadlineMs: 30_000 };
let cache: { connection: ValkeyConnection; settings: ValkeySettings };

beforeAll(async () => {
  const cacheSettings = resolveValkeySettings({ url: valkey.url(), keyPrefix: 'lmvsweep' });
  cache = { connection: await openValkeyConnection(cacheSettings, 'sweep-test'), settings: cacheSettings };
});
afterAll(async () => {
  await cache?.connection.close();
  clients.destroy();
});

const sweep = (options: Partial<SweepOptions> = {}) => sweepJobs(clients, settings, { ...limits, cache, ...options });

/**
 * What a rank 0 killed mid-job leaves: its record (if any), its "on" key, a list with a frame for
 * rank 1, both last written `writtenAgoMs` ago (their TTLs tell), and an object (unless not).
 */
async function jobLeftBehind(record: (jobId: string) => JobRecord | undefined, { prefix = 'lmvsweep', writtenAgoMs = 0, object = true } = {}): Promise<string> {
  const jobId = newJobId();
  const status = record(jobId);
  if (status) await writeJobRecord(clients.s3, local.bucket, status);
  const { redis } = cache.connection;
  await redis.set(jobOnKey(prefix, jobId), '1', 'PX', cache.settings.ttlSeconds * 1000 - writtenAgoMs);
  await redis.rpush(inboxKey(prefix, jobId, 1), 'a frame');
  await redis.pexpire(inboxKey(prefix, jobId, 1), cache.settings.ttlSeconds * 1000 - writtenAgoMs);
  if (object) await clients.s3.send(new PutObjectCommand({ Bucket: local.bucket, Key: `jobs/${jobId}/claims/1`, Body: 'x' }));
  return jobId;
}

const keysOf = async (jobId: string) => (await keysIn(valkey.url())).filter((key) => key.includes(`{${jobId}}`));
const objectsOf = async (jobId: string) => (await findLeftovers(local, 'lmvsweep-none-', [`jobs/${jobId}/`])).objects;
const iso = (ms: number) => new Date(ms).toISOString();
const running = (jobId: string, startedAt: number): JobRecord => ({
  jobId, status: 'running', program: 'pi', size: 2, startedAt: iso(startedAt), rankZeroStartedAt: iso(startedAt), deadline: iso(startedAt + 120_000),
});

describe('the sweeper on a stage over Valkey', () => {
  it('deletes the keys and objects a job that ended left, without asking SQS', async () => {
    const jobId = await jobLeftBehind((id) => ({ jobId: id, status: 'failed', error: { name: 'Error', message: 'rank 0 died in its cleanup' } }));
    expect(await sweep()).toContainEqual({ jobId, verdict: 'ended', queuesDeleted: 0, objectsDeleted: true, keysDeleted: 2 });
    expect(await keysOf(jobId)).toEqual([]);
    expect(await objectsOf(jobId)).toEqual([]);
  });

  it('leaves a job whose rank 0 pulses alone, and records one whose rank 0 went silent as lost and deletes its keys', async () => {
    const now = Date.now();
    const alive = await jobLeftBehind((id) => running(id, now - 50_000));
    await writePulse(clients.s3, local.bucket, alive, now - 5_000);
    const silent = await jobLeftBehind((id) => running(id, now - 120_000));
    await writePulse(clients.s3, local.bucket, silent, now - 50_000);
    const swept = await sweep({ now });
    expect(swept.map((j) => j.jobId)).not.toContain(alive);
    expect(await keysOf(alive)).toHaveLength(2);
    expect(swept).toContainEqual({ jobId: silent, verdict: 'lost', queuesDeleted: 0, objectsDeleted: true, keysDeleted: 2 });
    expect(await readJobRecord(clients.s3, local.bucket, silent)).toMatchObject({ status: 'lost', error: { name: 'RankLostError', rank: 0 } });
    expect(await keysOf(silent)).toEqual([]);
    await writeJobRecord(clients.s3, local.bucket, { jobId: alive, status: 'succeeded' });
    await sweep();
    expect(await keysOf(alive)).toEqual([]);
  });

  it('takes the keys of a job without a record once nothing was written for 10 minutes (by their TTL), and leaves another stage\'s keys alone', async () => {
    const fresh = await jobLeftBehind(() => undefined, { object: false, writtenAgoMs: 60_000 });
    const stale = await jobLeftBehind(() => undefined, { object: false, writtenAgoMs: 11 * 60_000 });
    const otherStage = await jobLeftBehind((id) => ({ jobId: id, status: 'succeeded' }), { prefix: 'lmvother', object: false });
    const swept = await sweep();
    expect(swept.map((j) => j.jobId)).not.toContain(fresh);
    expect(await keysOf(fresh)).toHaveLength(2);
    expect(swept).toContainEqual({ jobId: stale, verdict: 'unrecorded', queuesDeleted: 0, objectsDeleted: false, keysDeleted: 2 });
    expect(await keysOf(stale)).toEqual([]);
    expect(await keysOf(otherStage)).toHaveLength(2);
    await new Redis(valkey.url()).pipeline().unlink(...await keysOf(otherStage), ...await keysOf(fresh)).quit().exec();
    expect(await keysIn(valkey.url())).toEqual([]);
  });
});
