import { describe, expect, it } from 'vitest';
import { estimateJobCost } from '../../src/cost/job-cost.ts';
import { RankLostError } from '../../src/mpi/errors.ts';
import type { RunResult } from '../../src/runtime/run-result.ts';
import { carryOn, handoverRefusal, withCarried } from '../../src/service/generation-handover.ts';
import { generationLimitMs } from '../../src/service/generation-limit.ts';
import { judgeRunning } from '../../src/service/job-liveness.ts';
import { CLEANUP_MARGIN_MS } from '../../src/service/lambda-config.ts';

/**
 * The parts of a switch between generations on a stage that need no stack: how long a generation
 * may run, what watchers judge while rank 0 changes, and how the generations' parts make one result.
 */
const JOB = 'abcdefghijklmnopqrstuvwxyz';
const limits = { startDeadlineMs: 30_000 };

describe('a job switching generations, as watchers judge it', () => {
  const now = Date.parse('2026-01-01T01:00:00Z');
  const iso = (msAgo: number) => new Date(now - msAgo).toISOString();
  const running = { jobId: JOB, status: 'running' as const, program: 'p', size: 4, startedAt: iso(600_000), rankZeroStartedAt: iso(120_000), deadline: iso(-3_600_000) };
  const oldPulse = now - 120_000;

  it('is not lost while the next generation\'s run function has its start deadline, though the old rank 0 pulses no more', () => {
    expect(judgeRunning(running, oldPulse, now, limits)).toBeInstanceOf(RankLostError);
    expect(judgeRunning({ ...running, nextGenerationAt: iso(20_000) }, oldPulse, now, limits)).toBeUndefined();
  });

  it('is lost (never started) when the next generation does not take the job on within its start deadline', () => {
    const lost = judgeRunning({ ...running, nextGenerationAt: iso(limits.startDeadlineMs + 60_000) }, oldPulse, now, limits);
    expect(lost?.lost).toMatchObject({ rank: 0, state: 'never-started' });
  });
});

describe('a generation\'s length on a stage', () => {
  const now = 1_000_000;
  const functionEndsAt = now + 900_000;
  it('is unbounded for a job that ends within its function, unless generationSeconds asks', () => {
    expect(generationLimitMs(now, functionEndsAt, now + 60_000, undefined)).toBeUndefined();
    expect(generationLimitMs(now, functionEndsAt, now + 60_000, 2)).toBe(2_000);
  });
  it('ends before the function does, leaving the hand-over and the clean-up, for a longer job', () => {
    const limit = generationLimitMs(now, functionEndsAt, now + 3_600_000, undefined)!;
    expect(now + limit).toBeLessThan(functionEndsAt - CLEANUP_MARGIN_MS);
    expect(generationLimitMs(now, functionEndsAt, now + 3_600_000, 10_000)).toBe(limit);
  });
});

describe('a handover in the run function\'s event', () => {
  const handover = { number: 2, restoreFrom: 2, startedAt: 1, deadline: 2, eventSeq: 7 };
  it('is taken as rank 0 writes it, and refused in words when it is not', () => {
    expect(handoverRefusal(handover, JOB)).toBeUndefined();
    expect(handoverRefusal(handover, undefined)).toMatch(/under its job's id/);
    expect(handoverRefusal({ ...handover, restoreFrom: 0 }, JOB)).toMatch(/restoreFrom must be/);
  });
});

describe('generations making one result', () => {
  const generation = (line: string, durationMs: number, puts: number): RunResult => ({
    jobId: JOB, size: 2, result: undefined, results: [], link: { duplicates: 0, reordered: 0 } as never,
    output: [{ rank: 0, stream: 'stdout', line }],
    timings: { startedAt: '', durationMs, ranks: [{ rank: 0, durationMs, handlerMs: 0 }, { rank: 1, durationMs, handlerMs: 0, endMs: durationMs }] },
    requests: { s3: { PutObject: { requests: puts, bytesSent: 0, bytesReceived: 0 } } },
  });

  it('sums the ranks\' time, requests and cost, and keeps the output in order', () => {
    let carried = carryOn(undefined, generation('first', 1_000, 3), [1_000, 1_000]);
    carried = carryOn(carried, generation('second', 2_000, 4), [2_000, 2_000]);
    const last = generation('third', 500, 5);
    const whole = withCarried(last, carried);
    expect(whole.output.map((l) => l.line)).toEqual(['first', 'second', 'third']);
    expect(whole.requests!.s3!.PutObject!.requests).toBe(3 + 4 + 5);
    expect(whole.timings.ranks.map((r) => r.durationMs)).toEqual([3_500, 3_500]);
    expect(whole.generations).toEqual({ count: 3, earlierBilledMs: [3_000, 3_000] });
    const alone = estimateJobCost(last);
    const summed = estimateJobCost(whole);
    expect(summed.lambda.invocations).toBe(3 * alone.lambda.invocations);
    expect(summed.lambda.gbSeconds).toBeCloseTo(alone.lambda.gbSeconds * 7, 6);
  });

  it('counts the ended generations as run time: the start-up is the last generation\'s own', () => {
    const carried = carryOn(undefined, generation('first', 5_000, 1), [5_000, 5_000]);
    const last = generation('second', 6_400, 1);
    last.timings.ranks[0]!.handlerMs = 5_500;
    last.timings.phases = { startupMs: 6_000, runMs: 400, cleanupMs: 0 };
    expect(withCarried(last, carried).timings.phases).toEqual({ startupMs: 500, runMs: 5_900, cleanupMs: 0 });
  });
});
