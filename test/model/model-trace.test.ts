import { describe, expect, it } from 'vitest';
import { defineProgram } from '../../src/index.ts';
import { AWS_MODEL_DEFAULTS, type AwsModelConstants } from '../../src/model/constants.ts';
import { modelProgram } from '../../src/model/model-run.ts';
import { timelineOf } from '../../src/report/job-timeline.ts';

/** Every latency at its median, compute free: the figures below are the model's own. */
const FLAT: AwsModelConstants = { ...AWS_MODEL_DEFAULTS, latencyTailSigma: 0, lambdaBandwidthBytesPerSecond: Infinity };

describe("a modeled job's timeline (model --report)", () => {
  it("is on the model's clock: the ranks' calls lie within the modeled start-up and run, the clean-up is the modeled one", async () => {
    const program = defineProgram(async (comm) => {
      await comm.barrier();
      return comm.allreduce(comm.rank);
    });
    const report = await modelProgram(program, { size: 6, constants: FLAT, cpuScale: 0, trace: true });
    const timeline = timelineOf(report.trace!);
    const us = (seconds: number) => Math.round(seconds * 1e6);
    const programEnds = timeline.lanes.map((lane) => lane.endUs);
    // The last rank starts its program when start-up ends (modeled seconds, much longer than modeling it takes here).
    expect(Math.max(...programEnds)).toBeGreaterThanOrEqual(us(report.startupSeconds));
    expect(Math.max(...programEnds)).toBeLessThanOrEqual(us(report.startupSeconds + report.runSeconds) + 1);
    for (const lane of timeline.lanes.slice(1)) {
      expect(lane.spans.filter((span) => span.category === 'wait').map((span) => span.name)).toEqual(['barrier', 'allreduce']);
    }
    const cleanup = timeline.lanes[0]!.spans.filter((span) => span.category === 'cleanup');
    expect(cleanup).toHaveLength(1);
    expect(cleanup[0]!.start).toBeCloseTo(us(report.startupSeconds + report.runSeconds), -1);
    expect(cleanup[0]!.duration).toBeCloseTo(us(report.cleanupSeconds), -1);
  });
});
