import { describe, expect, it } from 'vitest';
import { SUM, defineProgram } from '../../src/index.ts';
import { AWS_MODEL_DEFAULTS, type AwsModelConstants } from '../../src/model/constants.ts';
import { modelProgram } from '../../src/model/model-run.ts';

/** Every latency at its median, compute free: what is left is hops and bytes. */
const FLAT: AwsModelConstants = { ...AWS_MODEL_DEFAULTS, latencyTailSigma: 0, lambdaBandwidthBytesPerSecond: Infinity };

describe('the variable-count collectives on modeled Lambdas', () => {
  it('are timed by name in the report\'s collectives', async () => {
    const program = defineProgram(async (comm) => {
      const counts = Array.from({ length: comm.size }, (_, i) => i % 3);
      const total = counts.reduce((a, b) => a + b, 0);
      await comm.scatterv(comm.rank === 0 ? new Float64Array(total) : undefined, counts, 0);
      await comm.gatherv(new Int32Array(comm.rank % 3), 1);
      await comm.allgatherv(new Int32Array(comm.rank % 2));
      await comm.alltoallv(new Float64Array(comm.size), new Array(comm.size).fill(1));
      await comm.reduceScatter(new Float64Array(total), SUM, counts);
      return (await comm.reduceScatterBlock(new Float64Array(2 * comm.size).fill(1), SUM))[0];
    });
    const report = await modelProgram(program, { size: 8, constants: FLAT, cpuScale: 0 });
    expect(report.result).toBe(8);
    expect(Object.keys(report.collectives).sort()).toEqual(['allgatherv', 'alltoallv', 'gatherv', 'reduceScatter', 'reduceScatterBlock', 'scatterv']);
    for (const figure of Object.values(report.collectives)) expect(figure.calls).toBe(1);
  });

  it('alltoallv of large blocks costs less modeled time than moving the same blocks through a root', async () => {
    // 16 ranks, 128 KiB per pair, every Lambda's bandwidth as modeled: pairwise, each rank moves
    // its own 2 MiB; through a root, the root moves all 32 MiB twice.
    const perPair = 16_384;
    const shuffle = (throughRoot: boolean) => defineProgram(async (comm) => {
      await comm.barrier();
      if (!throughRoot) {
        await comm.alltoallv(new Float64Array(comm.size * perPair), new Array(comm.size).fill(perPair));
        return undefined;
      }
      const rows = await comm.gather(Array.from({ length: comm.size }, () => new Float64Array(perPair)), 0);
      await comm.scatter(rows && rows.map((_, dest) => rows.map((row) => row[dest]!)), 0);
      return undefined;
    });
    const steady = { ...AWS_MODEL_DEFAULTS, latencyTailSigma: 0 };
    const [direct, viaRoot] = await Promise.all([false, true].map((throughRoot) => modelProgram(shuffle(throughRoot), { size: 16, constants: steady, cpuScale: 0 })));
    const relayed = viaRoot!.collectives.gather!.lastCallSeconds + viaRoot!.collectives.scatter!.lastCallSeconds;
    expect(direct!.collectives.alltoallv!.lastCallSeconds).toBeLessThan(relayed / 2);
  });
});
