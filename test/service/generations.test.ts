import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../../src/index.ts';
import type { Program } from '../../src/mpi/program.ts';
import { requestCancel } from '../../src/watch/cancel-request.ts';
import { localS3Client } from '../../tools/local-aws/clients.ts';
import { freePort } from '../../tools/local-aws/free-port.ts';
import { startOfflineStack, type OfflineStack } from '../../tools/local-aws/offline-stack.ts';
import { findLeftovers } from '../aws/leftovers.ts';
import { makeUserProject, type UserProject } from '../fixtures/user-project.ts';
import { offlineShellEnv } from './offline-env.ts';

/**
 * Jobs longer than one Lambda on the local stack (serverless-offline + local S3/SQS, started once
 * for the file): `lambda-mpi run <file> --stage gens --generation-seconds S` ends each generation
 * early, so rank 0 hands the job to a new run function several times within one test.
 */
const STAGE = 'gens';
const cli = join(import.meta.dirname, '../../bin/lambda-mpi.mjs');
const exec = promisify(execFile);
const fixture = join(import.meta.dirname, '../fixtures/generations-sum.ts');

let stack: OfflineStack;
let project: UserProject;
let env: NodeJS.ProcessEnv;
let s3: S3Client;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function lambdaMpi(args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [cli, ...args], { cwd: project.dir, env, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function readJson(key: string): Promise<any> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }));
    return JSON.parse(await response.Body!.transformToString());
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** The job's event log as a watcher reads it: every chunk, in order. */
async function eventLog(jobId: string): Promise<any[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: `runs/${jobId}/events/`, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return Promise.all(keys.sort().map((key) => readJson(key)));
}

/** What the job left behind of its own: its queues, and its working objects (its record and log under runs/ stay). */
async function leftoversOf(jobId: string) {
  const local = { region: stack.region, sqsEndpoint: stack.sqsEndpoint, s3Endpoint: stack.s3Endpoint, credentials: stack.credentials, bucket: stack.bucket };
  return findLeftovers(local, `lambda-mpi-${STAGE}-${jobId}`, [`jobs/${jobId}/`]);
}

beforeAll(async () => {
  const [httpPort, lambdaPort, s3Port, sqsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  [stack, project] = await Promise.all([
    // Run functions of 20 s: a job's generation ends at its function's end less the hand-over
    // and clean-up (15 s), so a job longer than that meets the end of its function here.
    startOfflineStack({ httpPort, lambdaPort, s3Port, sqsPort, stage: STAGE, params: { runTimeout: String(RUN_TIMEOUT_SECONDS) } }),
    readFile(fixture, 'utf8').then((text) => makeUserProject({ 'sum.ts': text, 'no-checkpoints.ts': NO_CHECKPOINTS })),
  ]);
  env = offlineShellEnv(stack, STAGE);
  s3 = localS3Client(stack.s3Endpoint);
}, 120_000);

afterAll(async () => {
  s3?.destroy();
  await Promise.all([stack?.stop(), project?.remove()]);
}, 60_000);

const INPUT = { steps: 48, stepMs: 5 };
const RUN_TIMEOUT_SECONDS = 20;

/** A loop that never calls checkpointIfDue: it cannot outlast its run function. */
const NO_CHECKPOINTS = `import { defineProgram } from 'lambda-mpi';
export default defineProgram(async (comm, input: { seconds: number }) => {
  const until = Date.now() + input.seconds * 1000;
  let rounds = 0;
  // Rank 0's clock says when to stop, so every rank stops at the same round.
  while (await comm.bcast(Date.now() < until, 0)) rounds += await comm.allreduce(1);
  return rounds;
});
`;

describe('a job longer than one generation on the local stack', () => {
  it('sums over three or more generations as one uninterrupted run does: one output stream, one record, a line per generation', { timeout: 180_000 }, async () => {
    const program = (await import(fixture)).default as Program;
    const [staged, whole] = await Promise.all([
      lambdaMpi(['run', './sum.ts', '-n', '3', '--stage', STAGE, '--input', JSON.stringify(INPUT), '--generation-seconds', '1', '--timeout', '110', '--result']),
      runLocal(program, { size: 3, input: INPUT }),
    ]);
    expect(staged.stderr).not.toMatch(/failed|error/i);
    expect(staged.code).toBe(0);
    const result = JSON.parse(staged.stdout.trim().split('\n').at(-1)!);
    const uninterrupted = whole.result as { sum: number };
    expect(result.sum).toBe(uninterrupted.sum);
    // Every step ran once, in generations 0, 1, 2, … in turn.
    expect(result.generations.length).toBeGreaterThanOrEqual(3);
    expect(result.generations).toEqual(result.generations.map((_: number, i: number) => i));
    const jobId = /job ([a-z2-7]{26}):/.exec(staged.stderr)![1]!;
    // One output stream: each generation's line once, in order.
    // The last generation may begin after the last step (its checkpoint was due there): it only
    // returns, so it ran no step of its own and `last` names it.
    const last: number = result.last;
    expect([0, 1]).toContain(last - result.generations.at(-1));
    const began = staged.stderr.split('\n').filter((line) => /^lambda-mpi: generation \d+ began from checkpoint \d+$/.test(line));
    expect(began).toEqual(Array.from({ length: last }, (_, i) => `lambda-mpi: generation ${i + 1} began from checkpoint ${i + 1}`));
    // One record: the job's result, its output over all generations, its generations counted for the cost.
    const record = await readJson(`runs/${jobId}.json`);
    expect(record.status).toBe('succeeded');
    expect(record.result).toEqual(result);
    expect(record.generations.count).toBe(last + 1);
    expect(record.output.filter((l: { line: string }) => l.line.startsWith('lambda-mpi: generation')).map((l: { line: string }) => l.line)).toEqual(began);
    // One event log over the generations, as `lambda-mpi watch` follows it: numbered on, each line once, one end.
    const chunks = await eventLog(jobId);
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    expect(chunks.filter((c) => c.end).map((c) => [c.seq, c.end.status])).toEqual([[chunks.length - 1, 'succeeded']]);
    const logged = chunks.flatMap((c) => c.events).filter((e) => e.kind === 'output').flatMap((e) => e.lines);
    expect(logged.filter((line: string) => line.startsWith('lambda-mpi: generation'))).toEqual(began);
    // Its progress covers the whole job: the time since the job's start, the generation running,
    // and no rank finished before the job's end (a generation's end is a hand-over).
    const progress = chunks.map((c) => c.progress);
    expect(progress.map((p) => p.elapsedMs)).toEqual(progress.map((p) => p.elapsedMs).sort((a, b) => a - b));
    expect(progress.map((p) => p.generation ?? 0)).toEqual(progress.map((p) => p.generation ?? 0).sort((a, b) => a - b));
    expect(progress.at(-1).generation).toBe(last);
    expect(progress.slice(0, -1).filter((p) => p.finished === p.size && (p.generation ?? 0) < last)).toEqual([]);
    expect(await leftoversOf(jobId)).toEqual({ queues: [], objects: [] });
  });

  it('a cancel while the job switches generations ends it and leaves nothing behind', { timeout: 180_000 }, async () => {
    const child = spawn(process.execPath, [cli, 'run', './sum.ts', '-n', '3', '--stage', STAGE, '--input', JSON.stringify({ steps: 3000, stepMs: 10 }), '--generation-seconds', '1', '--timeout', '110'], { cwd: project.dir, env });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    try {
      let jobId: string | undefined;
      while (!(jobId = /job ([a-z2-7]{26}):/.exec(stderr)?.[1])) await new Promise((r) => setTimeout(r, 50));
      // The moment rank 0 handed the job over and the next generation's run function has not taken it on.
      let switching: any;
      while (!(switching = await readJson(`runs/${jobId}.json`))?.nextGenerationAt) {
        if (switching && switching.status !== 'running') throw new Error(`the job ended before it switched: ${JSON.stringify(switching)}`);
      }
      await requestCancel(s3, stack.bucket, jobId, 'the generations test');
      expect(await exited).toBe(1);
      const record = await readJson(`runs/${jobId}.json`);
      expect(record).toMatchObject({ status: 'cancelled', cancelledBy: 'the generations test' });
      expect(stderr).toContain(`lambda-mpi: job ${jobId} was cancelled (by the generations test)`);
      expect(await leftoversOf(jobId)).toEqual({ queues: [], objects: [] });
    } finally {
      child.kill();
    }
  });

  it('a job longer than its run function whose program never calls checkpointIfDue fails at the function\'s end, saying how to checkpoint', { timeout: 120_000 }, async () => {
    const r = await lambdaMpi(['run', './no-checkpoints.ts', '-n', '2', '--stage', STAGE, '--input', JSON.stringify({ seconds: 60 }), '--timeout', '100']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/generation 0's run function reached its end \(\d+ s\) with \d+ s of the job's timeout left, and the program had not ended its generation/);
    expect(r.stderr).toContain('must call `await comm.checkpointIfDue(state)` in its loop');
    expect(r.stderr).not.toMatch(/lost|silent/);
    const jobId = /job ([a-z2-7]{26}):/.exec(r.stderr)![1]!;
    expect((await readJson(`runs/${jobId}.json`)).error).toMatchObject({ code: 'FUNCTION_TIME_UP' });
    expect(await leftoversOf(jobId)).toEqual({ queues: [], objects: [] });
  });
});
