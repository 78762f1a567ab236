import { describe, expect, it } from 'vitest';
import { defineProgram } from '../../src/index.ts';
import { AWS_MODEL_DEFAULTS, type AwsModelConstants } from '../../src/model/constants.ts';
import { modelProgram } from '../../src/model/model-run.ts';
import { timelineOf } from '../../src/report/job-timeline.ts';

/** Every latency at its median, compute free. */
const FLAT: AwsModelConstants = { ...AWS_MODEL_DEFAULTS, latencyTailSigma: 0, lambdaBandwidthBytesPerSecond: Infinity };

describe('groups and Cartesian topologies in the model', () => {
  it("appear by name in the job's timeline and in the modeled collectives, also on the communicators they make", async () => {
    const program = defineProgram(async (comm) => {
      const pair = await comm.create(comm.group.incl([0, 1]));
      const rest = comm.rank >= 2 ? await comm.createGroup(comm.group.excl([0, 1])) : undefined;
      const cart = (await comm.createCart([2, 2], { periods: [true, false] }))!;
      const row = await cart.sub([false, true]);
      const around = await cart.neighborAllgather(cart.rank);
      const swapped = await row.neighborAlltoall([`${row.rank}:back`, `${row.rank}:ahead`]);
      await (pair ?? rest)!.barrier();
      return { around, swapped };
    });
    const report = await modelProgram(program, { size: 4, constants: FLAT, cpuScale: 0, trace: true });
    expect(report.result).toEqual({ around: [2, 2, undefined, 1], swapped: [undefined, '1:back'] });
    const names = timelineOf(report.trace!).lanes.map((lane) => new Set(lane.spans.map((span) => span.name)));
    for (const [rank, seen] of names.entries()) {
      for (const name of ['create', 'createCart', 'sub', 'neighborAllgather', 'neighborAlltoall', 'barrier']) expect(seen, `rank ${rank}`).toContain(name);
      if (rank >= 2) expect(seen).toContain('createGroup');
    }
    // The communicators made by create, createGroup, createCart and sub are timed like the world.
    expect(Object.keys(report.collectives)).toEqual(expect.arrayContaining(['create', 'createGroup', 'createCart', 'sub', 'neighborAllgather', 'neighborAlltoall', 'barrier']));
    expect(report.collectives.neighborAllgather!.calls).toBe(1);
    // A neighborhood exchange over queues takes at least one message hop of modeled time.
    expect(report.collectives.neighborAllgather!.seconds).toBeGreaterThan(0);
  });
});
