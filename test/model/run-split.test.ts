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

  // A halo exchange: each step sends to and receives from both neighbours at once, as a stencil
  // does, so four point-to-point calls are in progress together; then two broadcasts at once.
  const overlapping = defineProgram(async (comm) => {
    const left = (comm.rank + comm.size - 1) % comm.size;
    const right = (comm.rank + 1) % comm.size;
    for (let step = 0; step < 20; step++) {
      await Promise.all([comm.send(step, left, 1), comm.send(step, right, 2), comm.recv(right, 1), comm.recv(left, 2)]);
    }
    await Promise.all([comm.ibcast(comm.rank, 0).wait(), comm.ibcast(comm.rank, 1).wait()]);
    return comm.rank;
  });

  it('counts calls in progress together once: the parts still add up to the run, and no figure is longer than it', async () => {
    const report = await modelProgram(overlapping, { size: 8 });
    for (const split of report.ranks) {
      expect(split.pointToPointSeconds).toBeGreaterThan(0);
      expect(split.collectiveSeconds).toBeGreaterThan(0);
      expect(split.pointToPointSeconds + split.collectiveSeconds).toBeLessThanOrEqual(report.runSeconds);
      expect(split.pointToPointSeconds + split.collectiveSeconds + split.otherSeconds).toBeCloseTo(report.runSeconds, 9);
    }
    expect(report.pointToPoint.seconds).toBeLessThanOrEqual(report.runSeconds);
    expect(report.pointToPoint.calls).toBe(80);
    expect(report.collectives.ibcast!.calls).toBe(2);
    expect(report.collectives.ibcast!.seconds).toBeLessThanOrEqual(report.runSeconds);
  });
});
