import { describe, expect, it } from 'vitest';
import { SUM, defineProgram, runLocal, wtime, type Program } from '../../src/index.ts';
import { AWS_MODEL_DEFAULTS, type AwsModelConstants } from '../../src/model/constants.ts';
import { modelChannels, type ModelPlacementOptions } from '../../src/model/modeled-job.ts';

/** Every latency at its median (no tail), bandwidth unbounded: the times below are worked out by hand. */
const FLAT: AwsModelConstants = { ...AWS_MODEL_DEFAULTS, latencyTailSigma: 0, lambdaBandwidthBytesPerSecond: Infinity };
/** One SQS request: a message to a waiting long poll takes one request latency (a hop). */
const SQS_REQUEST = 15;

async function modeled<R>(program: Program<unknown, R>, size: number, options: ModelPlacementOptions = {}) {
  return runLocal(program, { size, transport: modelChannels({ constants: FLAT, cpuScale: 0, ...options }) });
}

describe('nonblocking collectives in the model', () => {
  it('an iallreduce started before a computation overlaps it: a late partner costs the rank no time beyond its own compute', async () => {
    // Rank 1 computes 100 modeled ms before it joins; rank 0 computes 100 ms too, before (blocking)
    // or after starting (nonblocking) its part. Blocking: rank 0 waits in the allreduce for rank 1
    // (100 ms + a hop), then computes: 100 + 15 + 100 ms. Nonblocking: its own compute fills the wait.
    let cpu = 0;
    const job = (nonblocking: boolean) => defineProgram(async (comm) => {
      await comm.barrier(); // afterwards every rank runs in the model's turns
      const start = wtime();
      let sum: number | undefined;
      if (comm.rank === 1) {
        cpu += 100;
        sum = await comm.allreduce(1, SUM);
      } else if (nonblocking) {
        const request = comm.iallreduce(1, SUM);
        cpu += 100;
        sum = await request.wait();
      } else {
        sum = await comm.allreduce(1, SUM);
        cpu += 100;
      }
      return { sum, ms: (wtime() - start) * 1000 };
    });
    const blocking = await modeled(job(false), 2, { cpuScale: 1, meter: () => cpu });
    const overlapped = await modeled(job(true), 2, { cpuScale: 1, meter: () => cpu });
    expect(blocking.results.map((r) => (r as { sum: number }).sum)).toEqual([2, 2]);
    expect(overlapped.results.map((r) => (r as { sum: number }).sum)).toEqual([2, 2]);
    const blockingMs = (blocking.result as { ms: number }).ms;
    const overlappedMs = (overlapped.result as { ms: number }).ms;
    expect(blockingMs).toBeCloseTo(100 + SQS_REQUEST + 100, 0);
    expect(overlappedMs).toBeCloseTo(100 + SQS_REQUEST, 0);
  });
});
