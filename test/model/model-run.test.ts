import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, JobTimeoutError, MAX_SIZE, defineProgram } from '../../src/index.ts';
import { AWS_MODEL_DEFAULTS, type AwsModelConstants } from '../../src/model/constants.ts';
import { modelProgram, type ModeledFailure } from '../../src/model/model-run.ts';

/** Every latency at its median, compute free: the start-up below is worked out by hand. */
const FLAT: AwsModelConstants = { ...AWS_MODEL_DEFAULTS, latencyTailSigma: 0, lambdaBandwidthBytesPerSecond: Infinity };

describe('modelProgram: a job on modeled Lambdas', () => {
  it.each([
    // Rank 0: HeadBucket 20, then the CreateQueue calls (50 each, 100 at once): one round up to
    // 100 ranks, done at 70; the job record (PUT 30) meanwhile. It invokes its children at 70 and
    // they theirs at once (100 per level), all long before the queues may be used at 70 + 1,000;
    // then each worker checks its queue (15) and claims its rank (PUT 30): up at 1,115; it checks
    // in with rank 0 (one SQS request, 15) before its program runs: 1,130.
    [9, 1.13],
    [10, 1.13],
    // 200 queues: two rounds of CreateQueue (120), ready at 1,120, workers up at 1,165, on at 1,180.
    [200, 1.18],
  ])('starts %i ranks when the queues may be used, the invocation tree long done: the last program runs at %f s', async (size, startup) => {
    const report = await modelProgram('hello', { size, constants: FLAT, cpuScale: 0 });
    expect(report.startupSeconds).toBeCloseTo(startup, 9);
    expect(report.requests.lambdaInvoke).toBe(size - 1);
  });

  it('invokes a rank\'s children before its program runs, however long the program computes first', async () => {
    let cpu = 0;
    // Every rank computes 10 modeled seconds before its first wait: rank 9 (rank 1's child)
    // still starts when the others do.
    const busy = defineProgram(async (comm) => {
      cpu += 10_000;
      return comm.rank;
    });
    const report = await modelProgram(busy, { size: 10, constants: FLAT, cpuScale: 1, meter: () => cpu });
    expect(report.startupSeconds).toBeCloseTo(1.13, 9);
  });

  it('is repeatable for a seed, and the seed matters', async () => {
    const options = { size: 12, cpuScale: 0, input: { samples: 1000 } };
    const first = await modelProgram('pi', options);
    const again = await modelProgram('pi', options);
    const otherSeed = await modelProgram('pi', { ...options, seed: 2 });
    expect(again).toEqual(first);
    expect(otherSeed.totalSeconds).not.toBe(first.totalSeconds);
    expect(otherSeed.result).toEqual(first.result);
  });

  it('times the collectives a program calls and bills what it used', async () => {
    const program = defineProgram(async (comm) => {
      await comm.barrier();
      await comm.barrier();
      return comm.allreduce(comm.rank);
    });
    const report = await modelProgram(program, { size: 16, constants: FLAT, cpuScale: 0 });
    expect(report.result).toBe(120);
    expect(Object.keys(report.collectives)).toEqual(['allreduce', 'barrier']);
    expect(report.collectives.barrier!.calls).toBe(2);
    expect(report.collectives.allreduce!.calls).toBe(1);
    // The second barrier starts with every rank in it and leaves after four rounds of one hop, five
    // at most (the first let the ranks out within a hop of each other).
    expect(report.collectives.barrier!.lastCallSeconds).toBeLessThanOrEqual(5 * 0.015 + 1e-9);
    expect(report.totalSeconds).toBeCloseTo(report.startupSeconds + report.runSeconds + report.cleanupSeconds, 9);
    expect(report.costUsd).toBeCloseTo(report.cost.lambda + report.cost.sqs + report.cost.s3, 12);
  });

  describe('bad input, refused as a real run refuses it', () => {
    it('refuses more ranks than a job may have, before any rank starts', async () => {
      let started = false;
      const program = defineProgram(async () => void (started = true));
      const error = await modelProgram(program, { size: MAX_SIZE + 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ argument: 'size', value: MAX_SIZE + 1 });
      expect((error as Error).message).toBe(`size must be an integer in 1..${MAX_SIZE}; received ${MAX_SIZE + 1}`);
      expect(started).toBe(false);
    });

    it('refuses more ranks than the account\'s Lambda concurrency, naming the quota', async () => {
      const error = await modelProgram('hello', { size: 11, constants: { ...AWS_MODEL_DEFAULTS, accountConcurrency: 10 } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ argument: 'size', value: 11 });
      expect((error as Error).message).toMatch(/needs one concurrent Lambda execution per rank, and the account has 10 free/);
    });

    it('times out a program that blocks forever at its modeled deadline, naming the ranks and what they wait on', async () => {
      const stuck = defineProgram(async (comm) => {
        if (comm.rank === 1) await comm.recv(0, 5);
        if (comm.rank === 2) await comm.barrier();
      });
      // Ten modeled minutes pass long before the test's own timeout.
      const timeoutMs = 600_000;
      const error = (await modelProgram(stuck, { size: 3, timeoutMs }).catch((e: unknown) => e)) as ModeledFailure;
      expect(error).toBeInstanceOf(JobTimeoutError);
      expect((error as unknown as JobTimeoutError).running).toEqual([
        { rank: 1, operation: 'recv', source: 0, tag: 5, silent: false },
        { rank: 2, operation: 'barrier', source: 1, tag: expect.any(Number), silent: false },
      ]);
      expect(error.message).toMatch(/timed out after 600000 ms; ranks still running: rank 1 waits in recv, source 0, tag 5; rank 2 waits in barrier/);
      // The deadline counts from the run function's start, like a real job's.
      expect(error.modelReport!.startupSeconds + error.modelReport!.runSeconds).toBeGreaterThan(timeoutMs / 1000);
    });
  });
});
