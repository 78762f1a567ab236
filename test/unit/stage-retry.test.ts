import { describe, expect, it } from 'vitest';
import { estimateJobCost } from '../../src/cost/job-cost.ts';
import { RankFailedError, RankLostError } from '../../src/mpi/errors.ts';
import { PROCESS_ENDED_CODE } from '../../src/runtime/generations/retries.ts';
import type { RunResult } from '../../src/runtime/run-result.ts';
import { withCarried } from '../../src/service/generation-handover.ts';
import { carryAbandoned, stageRetryOf } from '../../src/service/stage-retry.ts';
import { goesOnAfter } from '../../src/service/worker-lambda.ts';
import type { CheckpointManifest } from '../../src/transport/transport.ts';

/** What rank 0 on a stage decides when a generation fails, and what a retry adds to the job's one result. */
const JOB = 'abcdefghijklmnopqrstuvwxyz';
const lost = (rank: number) => new RankLostError(JOB, { rank, state: 'silent', since: 0, evidence: 'heartbeats' });
const threw = (rank: number) => new RankFailedError(JOB, rank, { name: 'Error', message: 'a bug', stack: '' });
const processEnded = (rank: number) => new RankFailedError(JOB, rank, { name: 'Error', message: 'its thread ended', stack: '', code: PROCESS_ENDED_CODE });
const manifest = (checkpoint: number, generation: number): CheckpointManifest => ({ checkpoint, generation, size: 3, parts: [] });

const job = (over: Partial<Parameters<typeof stageRetryOf>[1]> = {}) => ({
  retries: 1, done: 0, generation: 2, deadline: Date.now() + 60_000, latest: async () => manifest(3, 1), ...over,
});

describe('a failed generation on a stage with retries', () => {
  it('is retried when a worker was lost, as the job\'s next generation, from the latest complete checkpoint', async () => {
    for (const error of [lost(2), processEnded(2)]) {
      const retry = await stageRetryOf(error, job());
      expect(retry?.next).toEqual({ number: 3, restoreFrom: 3 });
      expect(retry?.retry).toMatchObject({ retry: 1, lostRank: 2, fromCheckpoint: 3, generation: 3 });
      expect(retry?.line).toEqual({ rank: 0, stream: 'stderr', line: 'lambda-mpi: rank 2 was lost; retry 1 of 1 from checkpoint 3 as generation 3' });
    }
  });

  it('starts from the beginning when no checkpoint completed', async () => {
    const retry = await stageRetryOf(lost(1), job({ generation: 0, latest: async () => undefined }));
    expect(retry?.next).toEqual({ number: 1 });
    expect(retry?.line.line).toBe('lambda-mpi: rank 1 was lost; retry 1 of 1 from the beginning (no checkpoint yet)');
  });

  it('is not retried when the program threw, when rank 0 itself is named, when the retries are used up, or past the deadline', async () => {
    expect(await stageRetryOf(threw(2), job())).toBeUndefined();
    expect(await stageRetryOf(lost(0), job())).toBeUndefined();
    expect(await stageRetryOf(lost(2), job({ done: 1 }))).toBeUndefined();
    expect(await stageRetryOf(lost(2), job({ deadline: Date.now() - 1 }))).toBeUndefined();
  });
});

describe('an abandoned generation in the job\'s one result', () => {
  const last: RunResult = {
    jobId: JOB, size: 2, result: 1, results: [1, 2], link: { duplicates: 0, reordered: 0 } as never,
    output: [{ rank: 0, stream: 'stdout', line: 'after' }],
    timings: { startedAt: '', durationMs: 1_000, ranks: [{ rank: 0, durationMs: 1_000, handlerMs: 0 }, { rank: 1, durationMs: 1_000, handlerMs: 0, endMs: 1_000 }] },
  };
  const retry = { retry: 1, lostRank: 1, reason: 'rank 1 stopped answering', generation: 1, fromCheckpoint: 1 };

  it('brings its output and the retry\'s line first, the retry into the result, and its time and invocations into the cost', () => {
    const carried = carryAbandoned(undefined, {
      size: 2, output: [{ rank: 0, stream: 'stdout', line: 'before' }, { rank: 0, stream: 'stderr', line: 'retry line' }], requests: {}, elapsedMs: 4_000, retry,
    });
    const whole = withCarried(structuredClone(last), carried);
    expect(whole.output.map((l) => l.line)).toEqual(['before', 'retry line', 'after']);
    expect(whole.retries).toEqual([retry]);
    expect(whole.generations).toEqual({ count: 2, earlierBilledMs: [4_000, 4_000] });
    expect(estimateJobCost(whole).lambda.invocations).toBe(2 * estimateJobCost(last).lambda.invocations);
  });
});

describe('a worker whose queue is gone, before it deletes the job\'s objects', () => {
  const running = { jobId: JOB, status: 'running' as const, program: 'p', size: 3, startedAt: '' };
  it('leaves them when the record says a later generation runs or was invoked (a hand-over or a retry): they are the next generation\'s', () => {
    expect(goesOnAfter({ ...running, generation: 1, nextGenerationAt: 'now' }, 1)).toBe(true);
    expect(goesOnAfter({ ...running, generation: 2 }, 1)).toBe(true);
  });
  it('deletes them when the job ended, or its generation\'s rank 0 is ending it', () => {
    expect(goesOnAfter({ ...running, generation: 1 }, 1)).toBe(false);
    expect(goesOnAfter(running, 0)).toBe(false);
    expect(goesOnAfter({ jobId: JOB, status: 'failed', error: { name: 'E', message: 'm' } }, 1)).toBe(false);
    expect(goesOnAfter(undefined, 0)).toBe(false);
  });
});
