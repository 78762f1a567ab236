import { describe, expect, it } from 'vitest';
import { Request, defineProgram, runLocal, wtick, wtime, type Program } from '../../src/index.ts';
import { AWS_MODEL_DEFAULTS, type AwsModelConstants } from '../../src/model/constants.ts';
import { modelChannels, type ModelPlacementOptions } from '../../src/model/modeled-job.ts';
import { modelProgram } from '../../src/model/model-run.ts';

/** Every latency at its median (no tail), bandwidth unbounded: the times below are worked out by hand. */
const FLAT: AwsModelConstants = { ...AWS_MODEL_DEFAULTS, latencyTailSigma: 0, lambdaBandwidthBytesPerSecond: Infinity };
/** One SQS request: a blocking send resolves when SendMessageBatch answers, one request latency after it leaves. */
const SQS_REQUEST = 15;

/** wtime on the model is epoch-based: to a tenth of a microsecond, hence two decimals of a millisecond below. */
async function modeled<R>(program: Program<unknown, R>, size: number, options: ModelPlacementOptions = {}) {
  return runLocal(program, { size, transport: modelChannels({ constants: FLAT, cpuScale: 0, ...options }) });
}

describe('nonblocking point-to-point in the model', () => {
  it('wtime reads the modeled clock: a rank\'s compute, scaled, and the hops it waits', async () => {
    let cpu = 0;
    const program = defineProgram(async (comm) => {
      await comm.barrier(); // afterwards every rank runs in the model's turns
      const start = wtime();
      if (comm.rank === 0) {
        cpu += 40; // 40 ms of CPU at a scale of 2: 80 modeled ms
        const computed = wtime();
        await comm.send('ping', 1);
        await comm.recv(1);
        return { computeMs: (computed - start) * 1000, totalMs: (wtime() - start) * 1000, tick: wtick() };
      }
      await comm.send(await comm.recv(0), 0);
      return undefined;
    });
    const r = await modeled(program, 2, { cpuScale: 2, meter: () => cpu });
    const { computeMs, totalMs, tick } = r.result as { computeMs: number; totalMs: number; tick: number };
    expect(computeMs).toBeCloseTo(80, 2);
    // Then a round trip: two hops of one SQS request each.
    expect(totalMs).toBeCloseTo(80 + 2 * SQS_REQUEST, 2);
    expect(tick).toBeGreaterThan(0);
  });

  it('isends to two ranks overlap: both requests leave together and rank 0 waits one request latency, not two', async () => {
    const sends = (nonblocking: boolean) => defineProgram(async (comm) => {
      await comm.barrier();
      if (comm.rank !== 0) return comm.recv(0);
      const start = wtime();
      if (nonblocking) await Request.waitall([comm.isend('a', 1), comm.isend('b', 2)]);
      else {
        await comm.send('a', 1);
        await comm.send('b', 2);
      }
      return (wtime() - start) * 1000;
    });
    const blocking = await modeled(sends(false), 3);
    const overlapped = await modeled(sends(true), 3);
    expect(blocking.results).toEqual([expect.any(Number), 'a', 'b']);
    expect(overlapped.results).toEqual([expect.any(Number), 'a', 'b']);
    expect(blocking.result).toBeCloseTo(2 * SQS_REQUEST, 2);
    expect(overlapped.result).toBeCloseTo(SQS_REQUEST, 2);
  });

  it('runs a program of isend, irecv and waitall through `lambda-mpi model`', async () => {
    const ring = defineProgram(async (comm) => {
      const received = comm.irecv<number>((comm.rank - 1 + comm.size) % comm.size);
      const sent = comm.isend(comm.rank, (comm.rank + 1) % comm.size);
      const [value] = await Request.waitall<unknown>([received, sent]);
      return value;
    });
    const report = await modelProgram(ring, { size: 4, constants: FLAT, cpuScale: 0 });
    expect(report.result).toBe(3);
    expect(report.runSeconds).toBeGreaterThan(0);
  });
});
