import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { execFile, spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportLines } from '../../src/cli/commands/offline.ts';
import { runLocal } from '../../src/index.ts';
import { newJobId } from '../../src/runtime/job-id.ts';
import { JobKey } from '../../src/transport/aws/job-key.ts';
import { localLambdaClient, localS3Client } from '../../tools/local-aws/clients.ts';
import { freePort } from '../../tools/local-aws/free-port.ts';
import { startOfflineStack, type OfflineStack } from '../../tools/local-aws/offline-stack.ts';
import { findLeftovers } from '../aws/leftovers.ts';
import type { Program } from '../../src/mpi/program.ts';
import { lambdaMpiWith } from '../cli/run-cli.ts';
import { offlineShellEnv } from './offline-env.ts';

/**
 * Trusting a job on Lambda, tried as an adversary would, on the whole local stack
 * (serverless-offline + local S3/SQS): ranks that die, run out of memory or never yield, rank 0
 * dying mid-job, forged and duplicated events, hostile HTTP bodies. Each case states how soon the
 * job must fail (loosely: long before its deadline) and that nothing is left behind.
 *
 * The stack's silence limit is 4 s (param silenceSeconds) so the cases run quickly; the start
 * deadline keeps its default of 30 s. A rank that never starts (its invocation throttled) cannot
 * be made on serverless-offline, which runs every invocation: test/unit/liveness.test.ts has it.
 */
const SILENCE_SECONDS = 4;
let stack: OfflineStack;
let lambda: LambdaClient;
/** The CLI's environment for the stage (`lambda-mpi run … --stage chaos`). */
let env: NodeJS.ProcessEnv;
const retryFixture = join(import.meta.dirname, '../fixtures/retry-sum.ts');
const jobIds: string[] = [];
const stackLines: string[] = [];

interface Invocation {
  functionError?: string;
  body: any;
  seconds: number;
  /** When the answer came (epoch ms). */
  answeredAt: number;
}

async function invoke(name: 'run' | 'worker' | 'sweep', payload: unknown): Promise<Invocation> {
  const started = Date.now();
  const response = await lambda.send(new InvokeCommand({ FunctionName: stack.functionName(name), Payload: Buffer.from(JSON.stringify(payload)) }));
  const body = JSON.parse(Buffer.from(response.Payload ?? []).toString() || 'null');
  if (body?.jobId) jobIds.push(body.jobId);
  return { ...(response.FunctionError ? { functionError: response.FunctionError } : {}), body, seconds: (Date.now() - started) / 1000, answeredAt: Date.now() };
}

async function http(method: string, url: string, body?: unknown): Promise<{ status: number; body: any; location: string | null }> {
  const response = await fetch(url.startsWith('http') ? url : `${stack.httpEndpoint}${url}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-api-key': stack.apiKey },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  if (parsed?.jobId) jobIds.push(parsed.jobId);
  return { status: response.status, body: parsed, location: response.headers.get('location') };
}

/** GETs a job's record every second until it is no longer running; with the seconds that took. */
async function settled(location: string, limitSeconds: number): Promise<{ record: any; seconds: number }> {
  const started = Date.now();
  for (;;) {
    const got = await http('GET', location);
    if (got.body.status !== 'running') return { record: got.body, seconds: (Date.now() - started) / 1000 };
    if (Date.now() - started > limitSeconds * 1000) throw new Error(`still running after ${limitSeconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

async function objectsUnder(prefix: string): Promise<string[]> {
  const s3 = localS3Client(stack.s3Endpoint);
  try {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: prefix }));
    return (page.Contents ?? []).map((o) => o.Key!);
  } finally {
    s3.destroy();
  }
}

const leftoversOf = (jobId: string) => findLeftovers(stack, `lambda-mpi-chaos-${jobId}-`, [`jobs/${jobId}/`]);

beforeAll(async () => {
  const [httpPort, lambdaPort, s3Port, sqsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  stack = await startOfflineStack({
    httpPort, lambdaPort, s3Port, sqsPort, stage: 'chaos',
    // Workers of 256 MB: the one that runs out of memory does so sooner, and the machine is shared.
    params: { diagnostics: 'true', silenceSeconds: String(SILENCE_SECONDS), workerMemory: '256' },
    onLine: (line) => stackLines.push(line),
  });
  lambda = localLambdaClient(stack.lambdaEndpoint);
  env = offlineShellEnv(stack, 'chaos');
}, 120_000);

afterAll(async () => {
  lambda?.destroy();
  await stack?.stop();
}, 60_000);

describe('a worker that dies is noticed in seconds, and named', () => {
  it('its process exits mid-job: the job fails naming it, long before its deadline', async () => {
    const r = await invoke('run', { program: 'crash-rank', size: 4, input: { rank: 2 }, timeoutSeconds: 120 });
    expect(r.body.errorMessage).toMatch(/^rank 2 stopped answering: its heartbeats stopped at \S+Z while rank 0 was caught up with its queue at \S+Z, and its process kept no pulse \(its process ended: a crash, out of memory, or its function's timeout\)$/);
    expect(r.body.trace[0]).toMatch(/^RankLostError: /);
    expect(r.seconds).toBeLessThan(60);
  }, 150_000);

  it('it runs out of memory: its job fails naming it, while the stack and a job beside it live on', async () => {
    const input = { samples: 2_000_000, seed: 9 };
    const [oom, beside] = await Promise.all([
      invoke('run', { program: 'crash-rank', size: 3, input: { rank: 1, how: 'memory' }, timeoutSeconds: 120 }),
      invoke('run', { program: 'pi', size: 3, input, timeoutSeconds: 120 }),
    ]);
    expect(oom.body.errorMessage).toMatch(/^rank 1 stopped answering: its heartbeats stopped at /);
    expect(oom.seconds).toBeLessThan(60);
    expect(beside.body.result).toEqual((await runLocal('pi', { size: 3, input })).result);
    expect(stackLines.some((line) => /lambda-mpi-chaos-worker: its execution environment ended \(ran out of memory \(memorySize 256 MB\)\)/.test(line))).toBe(true);
    // The stack itself lives on: the next job runs.
    expect((await invoke('run', { program: 'sendrecv', size: 2 })).body.results).toEqual([null, 'fred']);
  }, 150_000);

  it('a worker busy in synchronous code for three times the silence limit is alive, not lost', async () => {
    const seconds = 3 * SILENCE_SECONDS;
    const r = await invoke('run', { program: 'busy-rank', size: 3, input: { rank: 2, seconds }, timeoutSeconds: 120 });
    expect(r.functionError).toBeUndefined();
    expect(r.body.results).toEqual([null, null, seconds]);
  }, 150_000);

  it('with --retries 1, a worker killed mid-run is retried from the last checkpoint and the job ends with the uninterrupted result; without retries the kill fails it naming the rank', async () => {
    // Rank 1 of the abandoned generation ends only after the job went on: it must not take the job's objects with it.
    const input = { steps: 16, stepMs: 50, checkpointEvery: 4, killRank: 2, killAtStep: 6, holdRank: 1 };
    const program = (await import(retryFixture)).default as Program;
    const started = Date.now();
    const [retried, unretried, whole] = await Promise.all([
      lambdaMpiWith(env, 'run', retryFixture, '-n', '3', '--stage', 'chaos', '--input', JSON.stringify(input), '--timeout', '110', '--retries', '1', '--result'),
      lambdaMpiWith(env, 'run', retryFixture, '-n', '3', '--stage', 'chaos', '--input', JSON.stringify({ ...input, holdRank: -1 }), '--timeout', '110'),
      runLocal(program, { size: 3, input: { ...input, killRank: -1, holdRank: -1 } }),
    ]);
    console.log(`the retried job, ${((Date.now() - started) / 1000).toFixed(1)} s:\n${retried.stderr}`);
    expect(retried.code).toBe(0);
    const result = JSON.parse(retried.stdout.trim().split('\n').at(-1)!);
    expect(result.sum).toBe((whole.result as { sum: number }).sum);
    // The retry is a generation of its own, from the last checkpoint complete before the kill:
    // one of step 4 (or of step 5, had checkpointIfDue ended a generation there), not the beginning.
    const stderrLines = retried.stderr.split('\n');
    const retryLine = stderrLines.find((line) => line.includes('was lost; retry'))!;
    const [, checkpoint, generation] = /^lambda-mpi: rank 2 was lost; retry 1 of 1 from checkpoint (\d+) as generation (\d+)$/.exec(retryLine)!.map(Number);
    expect(stderrLines.indexOf(`lambda-mpi: generation ${generation} began from checkpoint ${checkpoint}`)).toBeGreaterThan(stderrLines.indexOf(retryLine));
    expect(result.restoredAt[generation!]).toBeGreaterThanOrEqual(4);
    expect(result.restoredAt[generation!]).toBeLessThanOrEqual(6);
    const jobId = /job ([a-z2-7]{26}):/.exec(retried.stderr)![1]!;
    const record = (await http('GET', `/runs/${jobId}`)).body;
    expect(record.status).toBe('succeeded');
    expect(record.retries).toEqual([expect.objectContaining({ retry: 1, lostRank: 2, fromCheckpoint: checkpoint, generation })]);
    expect(record.retries[0].reason).toMatch(/^rank 2 stopped answering/);
    expect(record.output.map((l: { line: string }) => l.line)).toContain(retryLine);
    // The abandoned generation is in the cost: every rank was invoked once per generation, it too.
    expect(record.generations.count).toBe(result.last + 1);
    expect(await leftoversOf(jobId)).toEqual({ queues: [], objects: [] });

    expect(unretried.code).toBe(1);
    expect(unretried.stderr).toMatch(/failed: rank 2 stopped answering: /);
    expect(unretried.stderr).not.toContain('was lost; retry');
    const failedId = /job ([a-z2-7]{26}):/.exec(unretried.stderr)![1]!;
    expect(await leftoversOf(failedId)).toEqual({ queues: [], objects: [] });
    for (const id of [jobId, failedId]) for (const what of ['killed', 'retried', 'held-ended']) await rm(join(tmpdir(), `lambda-mpi-retry-sum-${id}-${what}`), { force: true });
  }, 180_000);
});

describe('deadlines hold while rank 0 runs synchronous code', () => {
  it('a CPU-bound rank 0 (pi) past its timeout fails with the timeout, not "succeeded"', async () => {
    const r = await invoke('run', { program: 'pi', size: 1, input: { samples: 600_000_000 }, timeoutSeconds: 2 });
    expect(r.body.trace[0]).toMatch(/^JobTimeoutError: job \S+ timed out after 2000 ms; ranks still running: rank 0 is running outside any communication call/);
  }, 150_000);

  it('rank 0 still busy past the deadline: the job is recorded timed out and its queues deleted while rank 0 is still busy', async () => {
    const busySeconds = 40;
    const post = await http('POST', '/runs', { program: 'busy-rank', size: 3, input: { rank: 0, seconds: busySeconds }, timeoutSeconds: 4, waitSeconds: 0 });
    expect(post.status).toBe(202);
    const { record, seconds } = await settled(post.location!, 60);
    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ name: 'JobTimeoutError' });
    expect(record.error.message).toMatch(/timed out after 4000 ms; ranks still running: rank 0 is running outside any communication call; rank 0's program has not yielded since \S+Z \(synchronous code\)/);
    // Recorded at its deadline (plus grace), while rank 0's loop had most of its 40 s to go.
    expect(seconds).toBeLessThan(busySeconds / 2);
    expect((await leftoversOf(post.body.jobId)).queues).toEqual([]);
  }, 150_000);
});

describe('rank 0 that dies or never starts is seen by whoever watches', () => {
  it('its process exits mid-job: GET says lost within a minute, naming rank 0; the sweeper then deletes what it left', async () => {
    const post = await http('POST', '/runs', { program: 'crash-rank', size: 3, input: { rank: 0 }, timeoutSeconds: 110, waitSeconds: 0 });
    expect(post.status).toBe(202);
    const { record, seconds } = await settled(post.location!, 90);
    expect(seconds).toBeLessThan(60);
    expect(record).toMatchObject({ status: 'lost', program: 'crash-rank', size: 3, error: { name: 'RankLostError', rank: 0 } });
    expect(record.error.message).toMatch(/^rank 0 stopped answering: its process's pulse stopped at /);
    expect(record.error.stack).toBeUndefined();
    const swept = await invoke('sweep', {});
    expect(swept.body.jobs).toContainEqual(expect.objectContaining({ jobId: post.body.jobId, verdict: 'ended' }));
    expect(await leftoversOf(post.body.jobId)).toEqual({ queues: [], objects: [] });
  }, 150_000);

  it('its start was throttled and dropped: GET says lost once the start deadline passed, with the likely cause', async () => {
    const jobId = newJobId();
    jobIds.push(jobId);
    // What POST /runs leaves when Lambda never runs the run function: the record alone.
    const s3 = localS3Client(stack.s3Endpoint);
    await s3.send(new PutObjectCommand({
      Bucket: stack.bucket, Key: `runs/${jobId}.json`,
      Body: JSON.stringify({ jobId, status: 'running', program: 'pi', size: 4, startedAt: new Date(Date.now() - 45_000).toISOString() }),
    }));
    s3.destroy();
    const got = await http('GET', `/runs/${jobId}`);
    expect(got.body).toMatchObject({ status: 'lost', error: { name: 'RankLostError', rank: 0 } });
    expect(got.body.error.message).toMatch(/^rank 0 never started: it did not check in within 45 s of its invocation \(likely throttled/);
  });
});

describe('guards', () => {
  const workerEvent = (jobId: string, rank: number, size: number, stage = 'chaos') => ({
    kind: 'lambda-mpi/worker', jobId, rank, size, program: 'hello', timeoutMs: 60_000, deadline: Date.now() + 60_000,
    queueUrlBase: `${stack.sqsEndpoint}/000000000000/lambda-mpi-${stage}-${jobId}-`, fanout: 8, jobKey: JobKey.generate().toText(),
  });

  it('a forged worker event for rank 0, for a rank beyond the size, or for another stage\'s queues is refused; the job runs on', async () => {
    const jobId = newJobId();
    const job = invoke('run', { jobId, program: 'busy-rank', size: 2, input: { rank: 1, seconds: 2 } });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const refusals = await Promise.all([workerEvent(jobId, 0, 2), workerEvent(jobId, 2, 2), workerEvent(jobId, 1, 2, 'prod')].map((e) => invoke('worker', e)));
    expect(refusals.map((r) => r.body.outcome)).toEqual([
      'refused: a worker runs ranks 1..size-1 only (rank 0 is the run function); rank 0 was asked for',
      'refused: a worker runs ranks 1..size-1 only (rank 0 is the run function); rank 2 was asked for',
      'refused: its queues are not this stage\'s queues of its job',
    ]);
    expect((await job).body.results).toEqual([null, 2]);
  }, 60_000);

  it('a worker event for a job that does not exist does nothing and leaves nothing', async () => {
    const jobId = newJobId();
    expect((await invoke('worker', workerEvent(jobId, 1, 2))).body).toEqual({ rank: 1, outcome: 'ignored: the job is over (its queues are gone)' });
    expect(await objectsUnder(`jobs/${jobId}/`)).toEqual([]);
  });

  it('fast-failing jobs leave no claim behind, right after they end (no sweeper needed)', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await invoke('run', { program: 'fail-rank', size: 8, input: { rank: 1 }, timeoutSeconds: 60 });
      const jobId = /job (\S+)/.exec(r.body.trace.join('\n'))?.[1] ?? r.body.jobId;
      expect(r.body.errorMessage).toBe('rank 1 failed: Error: rank 1 failed on purpose');
      // Late workers take back their claims as they find the job over.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await objectsUnder('jobs/')).toEqual([]);
      if (jobId) jobIds.push(jobId);
    }
  }, 120_000);

  it('a body nested 100,000 levels deep is refused with 400 before anything is written', async () => {
    const before = await objectsUnder('runs/');
    const r = await http('POST', '/runs', `{"program":"pi","size":2,"input":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/^input is nested more than 1000 levels deep/);
    expect(await objectsUnder('runs/')).toEqual(before);
  });

  it('an input above the asynchronous invocation\'s size goes to rank 0 through S3, and the 202 Location is a URL that works', async () => {
    const input = { samples: 400_000_000, seed: 4, notes: 'x'.repeat(1_200_000) };
    const post = await http('POST', '/runs', { program: 'pi', size: 2, input, waitSeconds: 0 });
    expect(post.status).toBe(202);
    expect(post.location).toBe(`${stack.httpEndpoint}/runs/${post.body.jobId}`);
    const s3 = localS3Client(stack.s3Endpoint);
    const stored = await s3.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: `jobs/${post.body.jobId}/input.json` })).then(() => true, () => false);
    s3.destroy();
    expect(stored).toBe(true);
    const { record } = await settled(post.location!, 120);
    expect(record.status).toBe('succeeded');
    expect(record.result).toEqual((await runLocal('pi', { size: 2, input: { samples: 400_000_000, seed: 4 } })).result);
  }, 150_000);
});

/** Whether the stuck loop of busy-rank (with `marker`) still runs: its spin count stops changing once its thread is ended. */
async function loopStops(marker: string, limitSeconds: number): Promise<boolean> {
  const path = join(tmpdir(), marker);
  const limit = Date.now() + limitSeconds * 1000;
  let last = await readFile(path, 'utf8').catch(() => undefined);
  while (Date.now() < limit) {
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const now = await readFile(path, 'utf8').catch(() => undefined);
    if (now !== undefined && now === last) return true;
    last = now;
  }
  return false;
}

describe('nothing runs on after its job', () => {
  it('a worker stuck in synchronous code is ended within seconds of its job\'s end, and its pulse writes nothing after the sweep', async () => {
    const jobId = newJobId();
    jobIds.push(jobId);
    const marker = `lambda-mpi-stuck-worker-${jobId}`;
    try {
      const r = await invoke('run', { jobId, program: 'busy-rank', size: 2, input: { rank: 1, seconds: 600, marker }, timeoutSeconds: 4 });
      expect(r.body.trace[0]).toMatch(/^JobTimeoutError: job \S+ timed out after 4000 ms; ranks still running: rank 0 waits in barrier/);
      // Two of the pulse's periods after the sweep, nothing of the job was written again.
      await invoke('sweep', {});
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      expect(await objectsUnder(`jobs/${jobId}/`)).toEqual([]);
      // Its loop ran: the marker is there; then it stops changing, long before the loop's 600 s.
      expect(await readFile(join(tmpdir(), marker), 'utf8')).toMatch(/^\d+$/);
      expect(await loopStops(marker, 60)).toBe(true);
      expect(stackLines.some((line) => line.includes(`lambda-mpi-chaos-worker: ending its thread (rank 1 of job ${jobId}: its job is over while its program still runs synchronous code)`))).toBe(true);
    } finally {
      await rm(join(tmpdir(), marker), { force: true });
      await rm(join(tmpdir(), `${marker}.next`), { force: true });
    }
  }, 150_000);

  it('rank 0 stuck in synchronous code: the CLI exits with code 1 once the job\'s record is final, though rank 0\'s invocation never answers', async () => {
    const marker = `lambda-mpi-stuck-rank0-${Date.now()}`;
    const proxy = await holdRunAnswers(stack.lambdaEndpoint);
    try {
      const started = Date.now();
      const r = await lambdaMpi(['run', 'busy-rank', '-n', '2', '--stage', 'chaos', '--timeout', '4', '--input', JSON.stringify({ rank: 0, seconds: 600, marker })], proxy.endpoint);
      const jobId = /job ([a-z2-7]{26}):/.exec(r.stderr)?.[1];
      if (jobId) jobIds.push(jobId);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/timed out after 4000 ms; ranks still running: rank 0 is running outside any communication call; rank 0's program has not yielded since/);
      expect(proxy.held).toBeGreaterThan(0);
      expect((Date.now() - started) / 1000).toBeLessThan(120);
      // And rank 0's thread itself was ended: its loop stops.
      expect(await loopStops(marker, 60)).toBe(true);
    } finally {
      await proxy.close();
      await rm(join(tmpdir(), marker), { force: true });
      await rm(join(tmpdir(), `${marker}.next`), { force: true });
    }
  }, 200_000);
});

/**
 * No live rank is called dead under load: rounds of concurrent 4-rank jobs on the local stack
 * (every function a thread of one process) with a process that burns a core beside them, mixing
 * ranks busy in synchronous code (pi, busy-rank) and ranks that wait in a barrier (heartbeats).
 * Heavy: it runs once, here, beside the other cases on the same stack.
 */
describe('no false deaths under load', () => {
  const ROUNDS = 4;
  const JOBS_PER_ROUND = 15;

  it(`${ROUNDS} rounds of ${JOBS_PER_ROUND} concurrent 4-rank jobs with a CPU burner: every job succeeds; a worker killed in the last round is still reported within 30 s of its last sign of life`, async () => {
    const burner = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    const outcomes: Array<{ program: string; ok: boolean; error?: string; seconds: number }> = [];
    let crash: Invocation | undefined;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const jobs = Array.from({ length: JOBS_PER_ROUND }, (_, i) => (i % 2 === 0
          ? { program: 'pi', size: 4, input: { samples: 20_000_000, seed: round * 100 + i }, timeoutSeconds: 110 }
          : { program: 'busy-rank', size: 4, input: { rank: i % 4, seconds: 2 }, timeoutSeconds: 110 }));
        const last = round === ROUNDS - 1;
        const [results, crashed] = await Promise.all([
          Promise.all(jobs.map((job) => invoke('run', job))),
          last ? invoke('run', { program: 'crash-rank', size: 4, input: { rank: 3 }, timeoutSeconds: 110 }) : Promise.resolve(undefined),
        ]);
        if (crashed) crash = crashed;
        results.forEach((r, i) => outcomes.push({ program: jobs[i]!.program, ok: !r.functionError, ...(r.functionError ? { error: String(r.body?.errorMessage) } : {}), seconds: r.seconds }));
      }
    } finally {
      burner.kill('SIGKILL');
    }
    const failures = outcomes.filter((o) => !o.ok);
    // The killed rank's last sign of life, as the error names it, to the job's answer (clean-up included).
    const lastSign = Date.parse(/stopped at (\S+Z)/.exec(String(crash?.body.errorMessage))?.[1] ?? '');
    const reportedAfter = (crash!.answeredAt - lastSign) / 1000;
    console.log(`load: ${outcomes.length} jobs, ${failures.length} failed (${failures.filter((f) => /stopped answering/.test(f.error ?? '')).length} as lost); ` +
      `slowest ${Math.max(...outcomes.map((o) => o.seconds)).toFixed(1)} s; the killed worker's job answered ${crash?.seconds.toFixed(1)} s after it started, ` +
      `${reportedAfter.toFixed(1)} s after the worker's last sign of life`);
    expect(outcomes).toHaveLength(ROUNDS * JOBS_PER_ROUND);
    expect(failures).toEqual([]);
    expect(crash?.body.errorMessage).toMatch(/^rank 3 stopped answering: its heartbeats stopped at \S+Z while rank 0 was caught up/);
    expect(reportedAfter).toBeLessThan(30);
  }, 600_000);
});

/** `lambda-mpi` (bin/) against this stack, as a user's shell has it after `eval "$(lambda-mpi offline)"`; `lambdaEndpoint` overrides the Lambda endpoint. */
async function lambdaMpi(args: string[], lambdaEndpoint = stack.lambdaEndpoint): Promise<{ code: number; stdout: string; stderr: string }> {
  const exported = exportLines({
    event: 'ready',
    stage: 'chaos', httpEndpoint: stack.httpEndpoint, lambdaEndpoint, s3Endpoint: stack.s3Endpoint, sqsEndpoint: stack.sqsEndpoint,
    apiKey: stack.apiKey, bucket: stack.bucket, queuePrefix: 'lambda-mpi-chaos',
    functions: { run: stack.functionName('run'), worker: stack.functionName('worker'), http: stack.functionName('http') },
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, region: 'us-east-1',
  });
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('LAMBDA_MPI_')));
  const env = { ...base, ...Object.fromEntries(exported.map((line) => /^export ([A-Z0-9_]+)=(.*)$/.exec(line)!.slice(1))) };
  const cli = join(import.meta.dirname, '../../bin/lambda-mpi.mjs');
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0, stdout, stderr });
    });
  });
}

/**
 * A pass-through to the stack's Lambda endpoint that never answers a synchronous invocation of
 * the run function: the CLI sees a rank 0 whose invocation never answers, whatever happens to it.
 */
async function holdRunAnswers(target: string): Promise<{ endpoint: string; held: number; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const state = { held: 0 };
  const server: Server = createServer((req, res) => {
    const synchronousRun = req.url?.includes(`/functions/${stack.functionName('run')}/invocations`) &&
      (req.headers['x-amz-invocation-type'] ?? 'RequestResponse') === 'RequestResponse';
    if (synchronousRun) state.held++;
    const upstream = request({ hostname, port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      if (synchronousRun) {
        answer.resume();
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => res.destroy(error));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get held() {
      return state.held;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('cleanup', () => {
  it('leaves no queue and no job object behind, whatever died', async () => {
    expect(jobIds.length).toBeGreaterThan(5);
    await invoke('sweep', {});
    expect(await findLeftovers(stack, 'lambda-mpi-chaos', ['jobs/'])).toEqual({ queues: [], objects: [] });
  });
});
