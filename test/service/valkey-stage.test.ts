import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopChild } from '../../tools/local-aws/child-process.ts';
import { freePort } from '../../tools/local-aws/free-port.ts';
import { startOfflineStack, type OfflineStack } from '../../tools/local-aws/offline-stack.ts';
import { runLocal } from '../../src/index.ts';
import type { Program } from '../../src/mpi/program.ts';
import { startValkeyServer, type LocalValkeyServer } from '../../tools/local-aws/valkey-server.ts';
import { findLeftovers } from '../aws/leftovers.ts';
import { lambdaMpiWith, startLambdaMpi, until } from '../cli/run-cli.ts';
import { offlineShellEnv } from './offline-env.ts';

/**
 * The local stack over Valkey (`lambda-mpi offline --channel valkey`: serverless-offline, the
 * local S3/SQS and a local redis-server or valkey-server, started once for the file), as a user
 * runs it: `lambda-mpi run … --stage` with live output, and Ctrl-C. The job's frames, heartbeats
 * and control go through the server, large bodies through S3; the job creates no queue and leaves
 * no key.
 */
const STAGE = 'valkey';
const ticker = join(import.meta.dirname, '../fixtures/ticker.ts');
const generationsSum = join(import.meta.dirname, '../fixtures/generations-sum.ts');
const threadExits = join(import.meta.dirname, '../fixtures/thread-exits.ts');

let stack: OfflineStack;
let env: NodeJS.ProcessEnv;
let redis: Redis;
const stackLines: string[] = [];
const children: ChildProcess[] = [];
/** The server started in the stack's place by the restart case. */
let restarted: LocalValkeyServer | undefined;

beforeAll(async () => {
  const [httpPort, lambdaPort, s3Port, sqsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  stack = await startOfflineStack({ httpPort, lambdaPort, s3Port, sqsPort, stage: STAGE, channel: 'valkey', onLine: (line) => stackLines.push(line) });
  env = offlineShellEnv(stack, STAGE);
  redis = new Redis(stack.valkey!.url, { lazyConnect: true });
  // It reconnects by itself after the restart case; the refusals meanwhile are expected.
  redis.on('error', () => undefined);
  await redis.connect();
}, 120_000);

afterAll(async () => {
  await Promise.all(children.map((child) => stopChild(child, 'SIGKILL', 5_000)));
  redis?.disconnect();
  await stack?.stop();
  await restarted?.stop();
}, 60_000);

/** The job's record, as GET /runs/{jobId} gives it. */
async function record(jobId: string): Promise<any> {
  const response = await fetch(`${stack.httpEndpoint}/runs/${jobId}`, { headers: { 'x-api-key': stack.apiKey } });
  return response.json();
}

/** Every key in the server, and every queue and object the job left. */
async function leftovers(jobId: string): Promise<{ keys: string[]; queues: string[]; objects: string[] }> {
  return { keys: await redis.keys('*'), ...(await findLeftovers(stack, `lambda-mpi-${STAGE}-${jobId}`, [`jobs/${jobId}/`])) };
}

describe('run --stage over the Valkey channel of the local stack', () => {
  it('runs a job whose vectors go as S3 claim checks: the right answer, no SQS request, its Valkey commands in its cost, nothing left', async () => {
    const r = await lambdaMpiWith(env, 'run', 'vector-allreduce', '-n', '3', '--stage', STAGE, '--input', JSON.stringify({ length: 1 << 18 }), '--result');
    expect(r.code, r.stderr).toBe(0);
    const jobId = /^lambda-mpi: job ([a-z2-7]{26})/m.exec(r.stderr)![1]!;
    const result = await record(jobId);
    expect(result.status).toBe('succeeded');
    // Its phases add up to its time: the clean-up is everything after the result.
    const { startupMs, runMs, cleanupMs } = result.timings.phases;
    expect(startupMs + runMs + cleanupMs).toBe(result.timings.durationMs);
    // 2 MiB vectors, over the 1 MiB threshold: their bodies went through S3, their claims through the lists.
    expect(result.requests.sqs ?? {}).toEqual({});
    const vectorBytes = 8 * (1 << 18);
    expect(result.requests.s3.PutObject.bytesSent).toBeGreaterThanOrEqual(2 * vectorBytes);
    expect(result.requests.s3.GetObject.bytesReceived).toBeGreaterThanOrEqual(2 * vectorBytes);
    // The cost names the channel's commands (every rank's pushes and pops), not an empty SQS line.
    const commands = Object.values(result.requests.valkey as Record<string, { requests: number; ecpus: number }>);
    expect(Object.keys(result.requests.valkey)).toEqual(expect.arrayContaining(['RPUSH', 'PEXPIRE', 'BLMPOP']));
    const sum = (of: 'requests' | 'ecpus') => commands.reduce((total, count) => total + count[of], 0);
    expect(r.stderr).toContain(`lambda-mpi:   Valkey  ${sum('requests')} commands, ${sum('ecpus')} ECPUs `);
    expect(r.stderr).not.toMatch(/^lambda-mpi: {3}SQS /m);
    // Its start-up names the step that opened the channel, and no queues.
    expect(r.stderr).toMatch(new RegExp(`^lambda-mpi: job ${jobId} took .* start-up [^(]+\\(record [^,]+, Valkey [^,]+, input`, 'm'));
    expect(await leftovers(jobId)).toEqual({ keys: [], queues: [], objects: [] });
  }, 120_000);

  it('Ctrl-C cancels a job over Valkey: every rank stops, the record says cancelled, no key is left', async () => {
    const { child, stdout, stderr, exited } = startLambdaMpi(env, 'run', ticker, '-n', '3', '--stage', STAGE, '--input', JSON.stringify({ sleepMs: 120_000 }), '--tag-output');
    children.push(child);
    // Live output: each rank's last line is on the terminal while the job still runs.
    await until(() => stdout.filter((l) => / last from rank /.test(l)).length >= 3, 60_000, () => `the ranks did not print within 60 s:\n${stderr.join('\n')}`);
    const jobId = /^lambda-mpi: job ([a-z2-7]{26}): /m.exec(stderr.join('\n'))![1]!;
    expect(await redis.exists(`lambda-mpi:{${jobId}}:on`)).toBe(1);
    child.kill('SIGINT');
    expect(await exited, stderr.join('\n')).toBe(1);
    expect(stderr.join('\n')).toMatch(new RegExp(`^lambda-mpi: job ${jobId} was cancelled \\(by Ctrl-C of lambda-mpi run\\)`, 'm'));
    expect(await record(jobId)).toMatchObject({ status: 'cancelled', cancelledBy: 'Ctrl-C of lambda-mpi run' });
    expect(await leftovers(jobId)).toEqual({ keys: [], queues: [], objects: [] });
  }, 120_000);

  it('a job goes on in generations over Valkey, each with lists of its own: the uninterrupted result, a line per generation, no key left', async () => {
    // A Valkey hop is a millisecond: the steps' own compute (2 s of it) is what outlasts a
    // 1 s generation. The uninterrupted twin's sum does not depend on the compute, so it skips it.
    const steps = 400;
    const [r, whole] = await Promise.all([
      lambdaMpiWith(env, 'run', generationsSum, '-n', '3', '--stage', STAGE, '--input', JSON.stringify({ steps, stepMs: 5 }), '--generation-seconds', '1', '--result'),
      runLocal((await import(generationsSum)).default as Program, { size: 3, input: { steps, stepMs: 0 } }),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(result.sum).toBe((whole.result as { sum: number }).sum);
    expect(result.generations.length).toBeGreaterThanOrEqual(2);
    expect(result.generations).toEqual(result.generations.map((_: number, i: number) => i));
    // The last generation may begin after the last step (its checkpoint was due there) and run none.
    const last: number = result.last;
    expect([0, 1]).toContain(last - result.generations.at(-1));
    const began = r.stderr.split('\n').filter((line) => /^lambda-mpi: generation \d+ began from checkpoint \d+$/.test(line));
    expect(began).toEqual(Array.from({ length: last }, (_, i) => `lambda-mpi: generation ${i + 1} began from checkpoint ${i + 1}`));
    const jobId = /^lambda-mpi: job ([a-z2-7]{26})/m.exec(r.stderr)![1]!;
    expect(await record(jobId)).toMatchObject({ status: 'succeeded', generations: { count: last + 1 } });
    expect(await leftovers(jobId)).toEqual({ keys: [], queues: [], objects: [] });
  }, 150_000);
  it('a worker whose process ends mid-job is found lost: the job fails naming its rank, long before its deadline, and leaves no key', async () => {
    const started = Date.now();
    const r = await lambdaMpiWith(env, 'run', threadExits, '-n', '3', '--stage', STAGE, '--timeout', '120');
    expect(r.code, r.stderr).toBe(1);
    // Its silence limit is 10 s; the job's deadline, 120 s.
    expect(Date.now() - started).toBeLessThan(90_000);
    const jobId = /^lambda-mpi: job ([a-z2-7]{26})/m.exec(r.stderr)![1]!;
    expect(r.stderr).toMatch(/rank 2 stopped answering/);
    expect(await record(jobId)).toMatchObject({ status: 'failed', error: { name: 'RankLostError', rank: 2 } });
    expect(await leftovers(jobId)).toEqual({ keys: [], queues: [], objects: [] });
  }, 240_000);

  // Last: the stack's server is replaced by another on the same port.
  it('a server restart mid-job fails the job naming the channel, long before its deadline, never a hang', async () => {
    const { child, stdout, stderr, exited } = startLambdaMpi(env, 'run', ticker, '-n', '3', '--stage', STAGE, '--input', JSON.stringify({ sleepMs: 100_000 }), '--timeout', '120', '--tag-output');
    children.push(child);
    await until(() => stdout.filter((l) => / last from rank /.test(l)).length >= 3, 60_000, () => `the ranks did not print within 60 s:\n${stderr.join('\n')}`);
    const jobId = /^lambda-mpi: job ([a-z2-7]{26}): /m.exec(stderr.join('\n'))![1]!;
    const started = Date.now();
    process.kill(stack.valkey!.pid, 'SIGKILL');
    restarted = await startValkeyServer({ port: Number(new URL(stack.valkey!.url).port) });
    expect(await exited, stderr.join('\n')).toBe(1);
    // The ranks sleep 100 s and the job's deadline is 120 s: it ended because the server went.
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(stderr.join('\n')).toContain(stack.valkey!.url);
    expect(await record(jobId)).toMatchObject({ status: 'failed', error: { message: expect.stringContaining(`TransportError: Valkey: the connection to ${stack.valkey!.url} was lost`) } });
    expect(await leftovers(jobId)).toEqual({ keys: [], queues: [], objects: [] });
  }, 180_000);
});
