import { describe, expect, it } from 'vitest';
import { defineProgram, runLocal } from '../../src/index.ts';
import { modelChannels, type ModeledJob } from '../../src/model/modeled-job.ts';

/**
 * The radix-16 dissemination barrier (queue transports) over several rounds: no rank leaves before
 * the last has entered, whatever order the ranks arrive in.
 */
describe('the barrier of queue transports', () => {
  it.each([17, 40, 300])('lets no rank out before every rank is in, on %i ranks entering at scattered times', async (size) => {
    let cpu = 0;
    let job: ModeledJob | undefined;
    const program = defineProgram(async (comm) => {
      await comm.allreduce(1); // every rank runs on the model's turns from here
      cpu += ((comm.rank * 7919) % size) * 3; // enter in a scrambled order, up to 3·size ms apart
      const entered = job!.scheduler.virtualNow();
      await comm.barrier();
      return { entered, left: job!.scheduler.virtualNow() };
    });
    const r = await runLocal(program, { size, transport: modelChannels({ cpuScale: 1, meter: () => cpu, onJob: (made) => (job = made) }) });
    const times = r.results as Array<{ entered: number; left: number }>;
    const lastIn = Math.max(...times.map((t) => t.entered));
    const firstOut = Math.min(...times.map((t) => t.left));
    expect(firstOut).toBeGreaterThanOrEqual(lastIn);
  });
});
