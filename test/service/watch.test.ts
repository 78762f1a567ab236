import { S3Client } from '@aws-sdk/client-s3';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linesOfChunks } from '../../src/watch/event-chunk.ts';
import { EventLogReader } from '../../src/watch/event-log-reader.ts';
import { forEachLine, stopChild } from '../../tools/local-aws/child-process.ts';
import { freePort } from '../../tools/local-aws/free-port.ts';
import { startOfflineStack, type OfflineStack } from '../../tools/local-aws/offline-stack.ts';
import { findLeftovers } from '../aws/leftovers.ts';
import { cli, lambdaMpiWith, type CliOutcome } from '../cli/run-cli.ts';
import { offlineShellEnv } from './offline-env.ts';

/**
 * Watching and stopping jobs on the local stack (serverless-offline + local S3/SQS, started once
 * for the file), as a user does: `lambda-mpi run … --stage` as a child process with live output,
 * progress and Ctrl-C; GET and DELETE /runs/{jobId}; `lambda-mpi cancel`; `sls invoke` whose
 * socket timeout is shorter than the job; the trace file and the cost lines.
 */
const STAGE = 'watch';
const ticker = join(import.meta.dirname, '../fixtures/ticker.ts');
const exec = promisify(execFile);

let stack: OfflineStack;
let env: NodeJS.ProcessEnv;
let s3: S3Client;
let tmp: string;
/** The ticker's id once the first test shipped it. */
let tickerId: string;
/** Every line the stack printed (its functions' logs), with when it came. */
const stackLines: Array<{ at: number; line: string }> = [];
const jobIds: string[] = [];
/** CLI children, stopped after the file if a failed test left one running. */
const children: ChildProcess[] = [];
/** Measured figures, printed at the end (no test asserts on them). */
const figures: Record<string, number> = {};

interface Line {
  at: number;
  text: string;
}

interface CliChild {
  child: ChildProcess;
  stdout: Line[];
  stderr: Line[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

function spawnCli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): CliChild {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const stdout: Line[] = [];
  const stderr: Line[] = [];
  forEachLine(child.stdout!, (text) => stdout.push({ at: Date.now(), text }));
  forEachLine(child.stderr!, (text) => {
    stderr.push({ at: Date.now(), text });
    const id = /^lambda-mpi: job ([a-z2-7]{26}): /.exec(text)?.[1];
    if (id && !jobIds.includes(id)) jobIds.push(id);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
  return { child, stdout, stderr, exited };
}

function lambdaMpi(args: string[]): Promise<CliOutcome> {
  return lambdaMpiWith(env, ...args);
}

async function http(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${stack.httpEndpoint}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-api-key': stack.apiKey },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const parsed = await response.json() as any;
  if (typeof parsed?.jobId === 'string' && !jobIds.includes(parsed.jobId)) jobIds.push(parsed.jobId);
  return { status: response.status, body: parsed };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const texts = (lines: Line[]) => lines.map((l) => l.text);
const jobIdOf = (run: CliChild) => /^lambda-mpi: job ([a-z2-7]{26}): /m.exec(texts(run.stderr).join('\n'))?.[1];

beforeAll(async () => {
  const [httpPort, lambdaPort, s3Port, sqsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  stack = await startOfflineStack({ httpPort, lambdaPort, s3Port, sqsPort, stage: STAGE, onLine: (line) => stackLines.push({ at: Date.now(), line }) });
  env = offlineShellEnv(stack, STAGE);
  s3 = new S3Client({ endpoint: stack.s3Endpoint, region: stack.region, credentials: stack.credentials, forcePathStyle: true });
  tmp = await mkdtemp(join(tmpdir(), 'lambda-mpi-watch-'));
}, 120_000);

afterAll(async () => {
  await Promise.all(children.map((child) => stopChild(child, 'SIGKILL', 5_000)));
  s3?.destroy();
  await stack?.stop();
  await rm(tmp, { recursive: true, force: true });
  if (Object.keys(figures).length) console.log(`watch figures on the local stack (ms): ${JSON.stringify(figures)}`);
}, 60_000);

describe('lambda-mpi run --stage: the job as it runs', () => {
  it("prints each rank's lines as they are printed, seconds before the job ends; progress, time, cost and a trace after", async () => {
    const traceFile = join(tmp, 'timeline.json');
    const run = spawnCli(['run', ticker, '-n', '4', '--stage', STAGE, '--input', JSON.stringify({ pauseMs: 5000 }), '--tag-output', '--result', '--trace', traceFile]);
    const end = await run.exited;
    const stderr = texts(run.stderr).join('\n');
    expect(end.code, stderr).toBe(0);
    tickerId = /bundled .* into (sha256:[0-9a-f]{64})/.exec(stderr)![1]!;
    const jobId = jobIdOf(run)!;
    for (let rank = 0; rank < 4; rank++) {
      const first = run.stdout.find((l) => l.text === `[${rank}] first from rank ${rank}`);
      const last = run.stdout.find((l) => l.text === `[${rank}] last from rank ${rank}`);
      expect(first, `rank ${rank}'s first line`).toBeDefined();
      expect(last).toBeDefined();
      // Printed 5 s before its last line: it was on the terminal seconds before the job ended.
      expect(end.at - first!.at).toBeGreaterThan(2_500);
      figures[`rank${rank}FirstLineBeforeEnd`] = end.at - first!.at;
    }
    expect(texts(run.stdout).at(-1)).toBe('6');
    expect(run.stdout).toHaveLength(9);
    // Plain progress lines (stderr is not a terminal), the last with every rank finished.
    expect(stderr).toMatch(new RegExp(`^lambda-mpi: job ${jobId}: 4/4 ranks started, 0/4 finished, \\d+\\.\\d s$`, 'm'));
    expect(stderr).toMatch(new RegExp(`^lambda-mpi: job ${jobId}: 4/4 ranks started, 4/4 finished, \\d+\\.\\d s$`, 'm'));
    expect(stderr).toMatch(new RegExp(`^lambda-mpi: job ${jobId} took [\\d.]+ m?s: start-up [\\d.]+ m?s \\(record \\d+ ms, queues \\d+ ms, input \\d+ ms, invocations \\d+ ms; rank \\d began last, at .*\\), run [\\d.]+ m?s, clean-up [\\d.]+ m?s$`, 'm'));
    expect(stderr).toMatch(new RegExp(`^lambda-mpi: estimated cost of job ${jobId}: \\$0\\.0\\d+ \\(us-east-1, arm64, prices of \\d{4}-\\d{2}\\)$`, 'm'));
    expect(stderr).toMatch(/^lambda-mpi: {3}SQS {5}\d+ requests, \d+ billed 64 KiB chunks × \$0\.000000400 = \$0\.0\d+$/m);

    const trace = JSON.parse(await readFile(traceFile, 'utf8'));
    expect(trace.otherData).toMatchObject({ jobId, size: 4 });
    for (const event of trace.traceEvents) {
      expect(event).toEqual(expect.objectContaining({ name: expect.any(String), ph: expect.stringMatching(/^[XiM]$/), ts: expect.any(Number), pid: 1, tid: expect.any(Number) }));
      if (event.ph === 'X') expect(event.dur).toBeGreaterThanOrEqual(0);
    }
    const tracks = trace.traceEvents.filter((e: any) => e.name === 'thread_name').map((e: any) => [e.tid, e.args.name]);
    expect(tracks).toEqual([[0, 'rank 0'], [1, 'rank 1'], [2, 'rank 2'], [3, 'rank 3']]);
    const spans = (tid: number) => trace.traceEvents.filter((e: any) => e.ph === 'X' && e.tid === tid);
    expect(spans(0).map((e: any) => e.name)).toEqual(expect.arrayContaining(['record running', 'create queues', 'store input', 'compute', 'reduce root 0', 'clean-up']));
    for (const rank of [1, 2, 3]) {
      const names = spans(rank).map((e: any) => `${e.cat}:${e.name}`);
      expect(names).toEqual(expect.arrayContaining([expect.stringMatching(/^startup:invocation \((cold start|warm)\)$/), 'startup:load program and input', 'compute:compute', 'wait:reduce root 0']));
    }
  }, 90_000);

  it('delivers 100,000 lines of one rank complete and in order, through the event log', async () => {
    const count = 100_000;
    const run = spawnCli(['run', tickerId, '-n', '2', '--stage', STAGE, '--input', JSON.stringify({ lines: count, printRank: 1 }), '--tag-output']);
    const end = await run.exited;
    expect(end.code, texts(run.stderr).join('\n')).toBe(0);
    const expected = ['first from rank 1', ...Array.from({ length: count - 1 }, (_, i) => `rank 1 line ${i + 1}`), 'last from rank 1'];
    const printed = texts(run.stdout);
    expect(printed.length).toBe(expected.length);
    expect(printed).toEqual(expected.map((line) => `[1] ${line}`));
    // The log itself carries them all, each once, in order: they did not come from the final answer.
    const chunks = await new EventLogReader(s3, stack.bucket, jobIdOf(run)!).available();
    expect(chunks.at(-1)!.end).toEqual({ status: 'succeeded' });
    expect(linesOfChunks(chunks).map((l) => l.line)).toEqual(expected);
  }, 120_000);
});

describe('cancel', () => {
  it('Ctrl-C of the CLI cancels the job: every rank stops, nothing is left, the record says cancelled, exit 1', async () => {
    const run = spawnCli(['run', tickerId, '-n', '4', '--stage', STAGE, '--input', JSON.stringify({ sleepMs: 120_000 }), '--tag-output']);
    await until(() => run.stdout.filter((l) => / last from rank /.test(l.text)).length === 4, 'every rank printed and went to sleep');
    const jobId = jobIdOf(run)!;
    const mark = stackLines.length;
    const sent = Date.now();
    run.child.kill('SIGINT');
    const end = await run.exited;
    figures.ctrlCToExit = end.at - sent;
    const stderr = texts(run.stderr).join('\n');
    expect(end.code, stderr).toBe(1);
    expect(stderr).toContain(`lambda-mpi: Ctrl-C: cancelling job ${jobId} (Ctrl-C again to exit at once)`);
    expect(stderr).toMatch(new RegExp(`^lambda-mpi: job ${jobId} was cancelled \\(by Ctrl-C of lambda-mpi run\\) in \\d+\\.\\d s: every rank stopped, its messages and objects are deleted$`, 'm'));
    expect((await http('GET', `/runs/${jobId}`)).body).toMatchObject({ status: 'cancelled', cancelledBy: 'Ctrl-C of lambda-mpi run', error: { name: 'JobCancelledError' } });
    // Each worker's function ended, stopped, long before its program's 120 s sleep would have.
    await until(() => [1, 2, 3].every((rank) => stackLines.slice(mark).some(({ line }) => line.includes(`[job ${jobId}] lambda-mpi: rank ${rank} ended after`))), 'every worker ended', 30_000);
    for (const rank of [1, 2, 3]) {
      const ended = stackLines.slice(mark).find(({ line }) => line.includes(`[job ${jobId}] lambda-mpi: rank ${rank} ended after`))!;
      expect(ended.line).toMatch(/: stopped: job .* aborted by rank 0: job .* was cancelled \(by Ctrl-C of lambda-mpi run\)$/);
      figures[`ctrlCToRank${rank}Ended`] = ended.at - sent;
    }
    expect(await findLeftovers(stack, `lambda-mpi-${STAGE}-${jobId}`, [`jobs/${jobId}/`])).toEqual({ queues: [], objects: [] });
  }, 90_000);

  it('a second Ctrl-C exits at once; the job is cancelled all the same', async () => {
    const run = spawnCli(['run', tickerId, '-n', '2', '--stage', STAGE, '--input', JSON.stringify({ sleepMs: 120_000 })]);
    await until(() => run.stderr.some((l) => / 2\/2 ranks started/.test(l.text)), 'both ranks started');
    const jobId = jobIdOf(run)!;
    run.child.kill('SIGINT');
    await until(() => run.stderr.some((l) => l.text.includes('Ctrl-C: cancelling')), 'the first Ctrl-C heard');
    run.child.kill('SIGINT');
    const end = await run.exited;
    expect(end.code).toBe(130);
    expect(texts(run.stderr).join('\n')).toContain(`lambda-mpi: second Ctrl-C: exiting now; job ${jobId} is being cancelled`);
    await until(async () => (await http('GET', `/runs/${jobId}`)).body.status === 'cancelled', 'the job recorded cancelled');
  }, 90_000);

  it('GET while running gives progress and the output so far, then only new lines from a cursor; DELETE cancels', async () => {
    const started = await http('POST', '/runs', { program: tickerId, size: 3, input: { lines: 3, sleepMs: 120_000 }, waitSeconds: 0 });
    expect(started.status).toBe(202);
    const { jobId } = started.body;
    let page: any;
    await until(async () => {
      page = (await http('GET', `/runs/${jobId}`)).body;
      return page.progress?.started === 3 && page.output.length === 12;
    }, 'every rank started and printed');
    expect(page).toMatchObject({ status: 'running', progress: { size: 3, started: 3, finished: 0 }, more: false, cursor: expect.any(Number) });
    for (let rank = 0; rank < 3; rank++) {
      expect(page.output.filter((l: any) => l.rank === rank).map((l: any) => l.line)).toEqual([`first from rank ${rank}`, `rank ${rank} line 1`, `rank ${rank} line 2`, `last from rank ${rank}`]);
    }
    const next = (await http('GET', `/runs/${jobId}?cursor=${page.cursor}`)).body;
    expect(next).toMatchObject({ status: 'running', output: [] });
    expect(next.cursor).toBeGreaterThanOrEqual(page.cursor);

    const cancelled = await http('DELETE', `/runs/${jobId}`);
    expect(cancelled).toMatchObject({ status: 200, body: { jobId, status: 'cancelled', cancelled: true, cancelledBy: 'DELETE /runs/{jobId}' } });
    expect((await http('GET', `/runs/${jobId}`)).body.status).toBe('cancelled');
    expect(await http('DELETE', `/runs/${jobId}`)).toEqual({ status: 200, body: { jobId, status: 'cancelled', cancelled: false, message: `job ${jobId} already was cancelled: nothing to cancel` } });
    // After the end, a cursor still gives only the lines after it: here, none.
    expect((await http('GET', `/runs/${jobId}?cursor=${page.cursor}`)).body).toMatchObject({ status: 'cancelled', output: [] });
    expect(await findLeftovers(stack, `lambda-mpi-${STAGE}-${jobId}`, [`jobs/${jobId}/`])).toEqual({ queues: [], objects: [] });
  }, 90_000);

  it('DELETE of an unknown job, or with a bad cursor, is a clear answer', async () => {
    const unknown = 'a'.repeat(26);
    expect(await http('DELETE', `/runs/${unknown}`)).toEqual({ status: 404, body: { jobId: unknown, status: 'unknown', cancelled: false, message: `no job ${unknown} on this stage: nothing to cancel` } });
    const bad = await http('GET', `/runs/${unknown}?cursor=-1`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^cursor must be a non-negative integer/);
  });

  it('lambda-mpi cancel <jobId> --stage cancels a job started elsewhere; a finished or unknown job is a clear answer', async () => {
    const started = await http('POST', '/runs', { program: tickerId, size: 2, input: { sleepMs: 120_000 }, waitSeconds: 0 });
    const { jobId } = started.body;
    await until(async () => (await http('GET', `/runs/${jobId}`)).body.progress?.started === 2, 'both ranks started');
    const r = await lambdaMpi(['cancel', jobId, '--stage', STAGE]);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^job ${jobId} cancelled in \\d+\\.\\d s: every rank stopped, its messages and objects are deleted\\n$`)) });
    expect(await lambdaMpi(['cancel', jobId, '--stage', STAGE])).toMatchObject({ code: 0, stdout: `job ${jobId} already was cancelled: nothing to cancel\n` });
    const finished = await http('POST', '/runs', { program: 'sendrecv', size: 2 });
    expect(finished.body.status).toBe('succeeded');
    expect(await lambdaMpi(['cancel', finished.body.jobId, '--stage', STAGE])).toMatchObject({ code: 0, stdout: `job ${finished.body.jobId} already succeeded: nothing to cancel\n` });
    const unknown = 'b'.repeat(26);
    expect(await lambdaMpi(['cancel', unknown, '--stage', STAGE])).toMatchObject({ code: 1, stderr: `lambda-mpi: stage ${STAGE} has no job ${unknown} (no s3://${stack.bucket}/runs/${unknown}.json): nothing to cancel\n` });
  }, 90_000);
});

describe('sls invoke -f run past the Serverless CLI socket timeout', () => {
  it('runs the job once: the CLI\'s retries of the same request are answered with the running job', async () => {
    const mark = stackLines.length;
    const data = { program: tickerId, size: 2, input: { pauseMs: 8_000, printRank: 0 } };
    const { stdout } = await exec(process.execPath, ['node_modules/serverless/bin/serverless.js', 'invoke', '-f', 'run', '--stage', STAGE, '--data', JSON.stringify(data)], {
      env: { ...env, AWS_CLIENT_TIMEOUT: '2500', SLS_AWS_REQUEST_MAX_RETRIES: '2', SLS_TELEMETRY_DISABLED: '1' },
      timeout: 90_000,
    });
    const answer = JSON.parse(stdout.slice(stdout.indexOf('{')));
    expect(answer).toMatchObject({ status: 'running', duplicateRequest: true, jobId: expect.stringMatching(/^[a-z2-7]{26}$/) });
    jobIds.push(answer.jobId);
    const started = () => stackLines.slice(mark).filter(({ line }) => line.includes(`lambda-mpi: job started: ${tickerId} on 2 ranks`));
    await until(async () => (await http('GET', `/runs/${answer.jobId}`)).body.status === 'succeeded', 'the one job succeeded');
    expect(started().map(({ line }) => /\[job ([a-z2-7]{26})\]/.exec(line)?.[1])).toEqual([answer.jobId]);
    expect(stackLines.slice(mark).some(({ line }) => line.includes(`[job ${answer.jobId}] lambda-mpi: an identical request arrived while this job runs`))).toBe(true);
    // Once that job is over, the same request runs a new job.
    const again = await exec(process.execPath, ['node_modules/serverless/bin/serverless.js', 'invoke', '-f', 'run', '--stage', STAGE, '--data', JSON.stringify({ ...data, input: { printRank: 0 } })], {
      env: { ...env, SLS_TELEMETRY_DISABLED: '1' }, timeout: 90_000,
    });
    const result = JSON.parse(again.stdout.slice(again.stdout.indexOf('{')));
    jobIds.push(result.jobId);
    expect(result).toMatchObject({ status: 'succeeded', result: 1 });
  }, 120_000);
});

describe('the functions\' logs', () => {
  it("name the job on every line they write about one (rank output included)", () => {
    const ours = stackLines.filter(({ line }) => /\[rank \d+\]|lambda-mpi: | from rank /.test(line) && !/^lambda-mpi offline/.test(line));
    expect(ours.length).toBeGreaterThan(100);
    expect(ours.filter(({ line }) => !/\[job [a-z2-7]{26}\]/.test(line))).toEqual([]);
  });

  it('leaves no queue and no job object behind, cancelled jobs included', async () => {
    expect(jobIds.length).toBeGreaterThan(6);
    expect(await findLeftovers(stack, `lambda-mpi-${STAGE}`, ['jobs/'])).toEqual({ queues: [], objects: [] });
  });
});
