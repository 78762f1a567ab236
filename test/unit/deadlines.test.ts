import { describe, expect, it } from 'vitest';
import { JobTimeoutError, defineProgram, runLocal } from '../../src/index.ts';
import { newJobId } from '../../src/runtime/job-id.ts';
import { runRankZero } from '../../src/runtime/rank-zero.ts';
import { runWorkerRank } from '../../src/runtime/worker-rank.ts';
import { MemoryFabric } from '../../src/transport/memory/memory-transport.ts';

/**
 * Deadlines that hold when a rank runs synchronous code: its timers cannot fire while it runs, but
 * the job's time is up all the same, so it never "succeeds" after its deadline and its report says
 * which ranks were busy. And the ranks a rank starts are asked for before its program runs.
 */
function spin(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) { /* synchronous work */ }
}

async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the job to fail, but it succeeded');
}

describe('a job whose rank runs synchronous code past its deadline', () => {
  it('rank 0 busy past the deadline: the job times out, naming rank 0 as busy outside any call', async () => {
    const program = defineProgram(async (comm) => {
      if (comm.rank === 0) spin(600);
      return comm.rank;
    });
    // One rank: nobody else is late (in-process, other ranks share rank 0's thread and would be).
    const error = await rejection(runLocal(program, { size: 1, timeoutMs: 200 }));
    expect(error).toBeInstanceOf(JobTimeoutError);
    expect(error.running).toEqual([{ rank: 0, silent: false }]);
    expect(error.message).toMatch(/ranks still running: rank 0 is running outside any communication call/);
  });

  it('a worker busy past the deadline: the job times out, naming it, however fast rank 0 was', async () => {
    const program = defineProgram(async (comm) => {
      if (comm.rank === 2) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        spin(600);
      }
      return comm.rank;
    });
    const error = await rejection(runLocal(program, { size: 3, timeoutMs: 200 }));
    expect(error).toBeInstanceOf(JobTimeoutError);
    expect(error.running).toEqual([{ rank: 2, silent: false }]);
  });

  it('a job that ends in time still succeeds', async () => {
    const program = defineProgram(async (comm) => {
      spin(50);
      return comm.rank;
    });
    expect((await runLocal(program, { size: 3, timeoutMs: 5_000 })).results).toEqual([0, 1, 2]);
  });
});

describe('starting ranks before the program runs', () => {
  /** A launch whose request leaves after a turn of the event loop, as an SDK request does. */
  function launcher(sent: number[]): () => Promise<void> {
    return () => new Promise<void>((resolve) => setImmediate(() => {
      sent.push(Date.now());
      resolve();
    }));
  }

  it('rank 0 invokes its children before its own synchronous work', async () => {
    const sent: number[] = [];
    let programStarted = 0;
    const program = defineProgram(async () => {
      programStarted = Date.now();
      spin(300);
      return 'done';
    });
    const fabric = new MemoryFabric(1);
    const jobId = newJobId();
    const result = await runRankZero({
      jobId, rank: 0, size: 1, program, input: undefined, transport: fabric.transport(0), deadline: Date.now() + 5_000, timeoutMs: 5_000,
      processorName: 'test', launchWorkers: launcher(sent),
    });
    expect(result.result).toBe('done');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeLessThanOrEqual(programStarted);
  });

  it('a worker invokes its children before its own synchronous work', async () => {
    const sent: number[] = [];
    let programStarted = 0;
    const program = defineProgram(async (comm) => {
      if (comm.rank === 1) {
        programStarted = Date.now();
        spin(300);
      }
      return comm.rank;
    });
    const fabric = new MemoryFabric(2);
    const jobId = newJobId();
    const common = { jobId, size: 2, program, input: undefined, deadline: Date.now() + 5_000, timeoutMs: 5_000, processorName: 'test' };
    const [result] = await Promise.all([
      runRankZero({ ...common, rank: 0, transport: fabric.transport(0) }),
      runWorkerRank({ ...common, rank: 1, transport: fabric.transport(1), launchChildren: launcher(sent) }),
    ]);
    expect(result.results).toEqual([0, 1]);
    expect(sent[0]).toBeLessThanOrEqual(programStarted);
  });
});
