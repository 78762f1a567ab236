import { describe, expect, it } from 'vitest';
import { Request, defineProgram, runLocal, wtime } from '../../src/index.ts';
import { AWS_MODEL_DEFAULTS, type AwsModelConstants } from '../../src/model/constants.ts';
import { modelChannels } from '../../src/model/modeled-job.ts';
import { modelProgram } from '../../src/model/model-run.ts';
import { haloStencil } from '../../bench/halo-stencil.ts';

/** Every latency at its median (no tail), bandwidth unbounded: the times below are worked out by hand. */
const FLAT: AwsModelConstants = { ...AWS_MODEL_DEFAULTS, latencyTailSigma: 0, lambdaBandwidthBytesPerSecond: Infinity };
/** One SQS hop: a small message to a waiting long poll. */
const HOP = 15;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Overlap in the model as on Node: what a turn starts leaves when the program yields to the event
 * loop (setImmediate), and the compute after the yield runs in the rank's own turn, measured.
 */
describe('nonblocking calls overlap compute in the model', () => {
  it('isend/irecv, a yield, then 100 ms of compute: the exchange hides behind the compute (100 ms, not 100 + one hop)', async () => {
    let cpu = 0;
    const exchange = (overlap: boolean) => defineProgram(async (comm) => {
      await comm.barrier();
      const start = wtime();
      const other = 1 - comm.rank;
      if (overlap) {
        const requests = [comm.irecv(other), comm.isend('edge', other)];
        await yieldToEventLoop();
        cpu += 100;
        await Request.waitall(requests);
      } else {
        await comm.sendrecv('edge', other, other);
        cpu += 100;
      }
      return (wtime() - start) * 1000;
    });
    const run = (overlap: boolean) => runLocal(exchange(overlap), { size: 2, transport: modelChannels({ constants: FLAT, cpuScale: 1, meter: () => cpu }) });
    const blocking = await run(false);
    const overlapped = await run(true);
    // To a tenth of a ms: the yield itself takes a pass of the event loop.
    for (const ms of blocking.results as number[]) expect(ms).toBeCloseTo(100 + HOP, 1);
    for (const ms of overlapped.results as number[]) expect(ms).toBeCloseTo(100, 1);
  });

  it('the compute after a yield is charged to the rank that yielded, not to the rank that runs next', async () => {
    let cpu = 0;
    const program = defineProgram(async (comm) => {
      await comm.barrier();
      const start = wtime();
      if (comm.rank === 0) {
        const sent = comm.isend('edge', 1);
        await yieldToEventLoop();
        cpu += 100;
        await sent.wait();
      } else {
        await comm.recv(0);
      }
      return (wtime() - start) * 1000;
    });
    const r = await runLocal(program, { size: 2, transport: modelChannels({ constants: FLAT, cpuScale: 1, meter: () => cpu }) });
    const [computing, receiving] = r.results as [number, number];
    expect(computing).toBeCloseTo(100, 1);
    expect(receiving).toBeCloseTo(HOP, 1);
  });

  it('a program polling test() in a setImmediate loop sees its message arrive, even when its compute costs no modeled time', async () => {
    const program = defineProgram(async (comm) => {
      await comm.barrier();
      if (comm.rank === 1) return comm.send(await comm.recv(0), 0);
      const start = wtime();
      const reply = comm.irecv(1);
      comm.isend('ping', 1);
      let polled = reply.test();
      while (!polled.done) {
        await yieldToEventLoop();
        polled = reply.test();
      }
      return { value: polled.value, ms: (wtime() - start) * 1000 };
    });
    const r = await runLocal(program, { size: 2, transport: modelChannels({ constants: FLAT, cpuScale: 0 }) });
    expect(r.result).toEqual({ value: 'ping', ms: expect.closeTo(2 * HOP, 1) });
  });

  it('a 2-D stencil on 256 ranks: isend/irecv halos overlapping the interior sweep beat blocking sendrecv, with the same answer', async () => {
    const STEPS = 3;
    const BLOCK = 8;
    /** Modeled CPU per cell swept: the interior (36 cells) takes about one hop. */
    const MS_PER_CELL = 0.5;
    let cpu = 0;
    const run = (overlap: boolean) => modelProgram(haloStencil({ overlap, steps: STEPS, block: BLOCK, onSweep: (cells) => (cpu += cells * MS_PER_CELL) }), {
      size: 256, constants: FLAT, cpuScale: 1, meter: () => cpu,
    });
    const blocking = await run(false);
    const overlapped = await run(true);
    console.log(`modeled 256-rank stencil, ${STEPS} steps: blocking sendrecv ${(blocking.runSeconds * 1000).toFixed(1)} ms, overlapped isend/irecv ${(overlapped.runSeconds * 1000).toFixed(1)} ms`);
    expect(overlapped.result).toBe(blocking.result);
    // Both pay every rank's compute: a model that lost the compute after the yield would not.
    const compute = STEPS * BLOCK * BLOCK * MS_PER_CELL;
    expect(overlapped.runSeconds * 1000).toBeGreaterThan(compute);
    // Blocking: four sendrecvs one after the other, then the sweep; overlapped: the halos travel
    // during the interior sweep. At least one hop a step is saved.
    expect(blocking.runSeconds * 1000 - overlapped.runSeconds * 1000).toBeGreaterThan(STEPS * HOP);
  }, 240_000);
});
