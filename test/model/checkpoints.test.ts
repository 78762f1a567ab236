import { describe, expect, it } from 'vitest';
import { MAX, defineProgram, wtime } from '../../src/index.ts';
import { AWS_MODEL_DEFAULTS } from '../../src/model/constants.ts';
import { modelProgram } from '../../src/model/model-run.ts';

const MIB = 2 ** 20;

describe('checkpoints in the model', () => {
  it('a checkpoint is every rank\'s PUT through its own link, and the next generation restores it exactly', async () => {
    const program = defineProgram(async (comm) => {
      const started = wtime();
      const restored = await comm.restore<Float64Array>();
      const readSeconds = wtime() - started;
      if (restored) return { readSeconds: await comm.allreduce(readSeconds, MAX), same: restored.every((value, i) => value === i + comm.rank) };
      const state = Float64Array.from({ length: (8 * MIB) / 8 }, (_, i) => i + comm.rank);
      const writeStarted = wtime();
      await comm.checkpointIfDue(state);
      return { never: wtime() - writeStarted };
    });
    const report = await modelProgram(program, { size: 4, generationSeconds: 0.001 });
    const { readSeconds, same } = report.result as { readSeconds: number; same: boolean };
    expect(same).toBe(true);
    // Each rank's 8 MiB come down its own link: no faster than the link's bandwidth allows.
    expect(readSeconds).toBeGreaterThanOrEqual((8 * MIB) / AWS_MODEL_DEFAULTS.lambdaBandwidthBytesPerSecond);
    // Four parts, the manifest; the restore reads the manifest and the part on every rank.
    expect(report.requests.s3Put).toBeGreaterThanOrEqual(5);
    expect(report.requests.s3Get).toBeGreaterThanOrEqual(8);
  });
});
