import { describe, expect, it } from 'vitest';
import { modelProgram } from '../../src/model/model-run.ts';

/**
 * The model at the size it exists for: 1,000 ranks in this process. The wall-clock time is
 * printed (issue 12 asks for under two minutes on a 2-core machine), not asserted.
 */
describe('1,000 modeled ranks', () => {
  it('models hello on 1,000 ranks: every rank started and reported', async () => {
    const started = performance.now();
    const report = await modelProgram('hello', { size: 1_000 });
    console.log(`model hello -n 1000: ${((performance.now() - started) / 1000).toFixed(1)} s of wall time; modeled start-up ${report.startupSeconds.toFixed(2)} s, run ${report.runSeconds.toFixed(2)} s`);
    expect(report.requests.lambdaInvoke).toBe(999);
    expect(report.runSeconds).toBeGreaterThan(0);
  }, 300_000);

  it('models a 1 MiB allreduce on 1,000 ranks with the right answer on every rank', async () => {
    const started = performance.now();
    // vector-allreduce checks every rank's sum against its closed form and throws otherwise.
    const report = await modelProgram('vector-allreduce', { size: 1_000, input: { length: 2 ** 17 } });
    console.log(`model vector-allreduce -n 1000 (1 MiB): ${((performance.now() - started) / 1000).toFixed(1)} s of wall time; modeled allreduce ${report.collectives.allreduce!.seconds.toFixed(2)} s`);
    const offset = (1_000 * 999) / 2;
    expect(report.result).toMatchObject({ length: 2 ** 17, checksum: 1_000 * (2 ** 17 - 1) + offset });
    expect(report.collectives.allreduce!.calls).toBe(1);
  }, 300_000);
});
