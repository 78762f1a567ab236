import { describe, expect, it } from 'vitest';
import { defineProgram } from '../../src/index.ts';
import { modelProgram } from '../../src/model/model-run.ts';

/**
 * The model's figures add up: each rank's point-to-point time, its collectives and the rest make
 * its run, and no call counts time from before every rank ran (a rank that waits in its first call
 * for ranks still starting waits for their start-up, which start-up already counts).
 */
describe('model: where each rank\'s run went', () => {
  // Every rank enters a barrier at once, then passes a message round the ring in one sendrecv.
  const program = defineProgram(async (comm) => {
    await comm.barrier();
    await comm.sendrecv(comm.rank, (comm.rank + 1) % comm.size, (comm.rank + comm.size - 1) % comm.size);
    return comm.rank;
  });

  it('splits each rank\'s run into point-to-point, collectives and the rest, which add up to the run and start after start-up', async () => {
    const report = await modelProgram(program, { size: 16 });
    expect(report.ranks.map((split) => split.rank)).toEqual([...Array(16).keys()]);
    for (const split of report.ranks) {
      expect(split.pointToPointSeconds).toBeGreaterThan(0);
      expect(split.pointToPointSeconds + split.collectiveSeconds + split.otherSeconds).toBeCloseTo(report.runSeconds, 9);
      expect(split.pointToPointSeconds + split.collectiveSeconds).toBeLessThanOrEqual(report.runSeconds);
    }
    // The slowest rank's figures are one rank's: they fit in the run too.
    expect(report.collectives.barrier!.seconds).toBeLessThanOrEqual(report.runSeconds);
    expect(report.pointToPoint.seconds).toBeLessThanOrEqual(report.runSeconds);
  });
});
