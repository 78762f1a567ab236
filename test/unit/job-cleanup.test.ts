import { describe, expect, it } from 'vitest';
import { addCleanup } from '../../src/runtime/job-cleanup.ts';
import type { RunResult } from '../../src/runtime/run-result.ts';
import { runLocal } from '../../src/index.ts';

const origin = Date.parse('2026-12-01T10:00:00.000Z');

function resultOf(startupMs: number, runMs: number): RunResult {
  return {
    jobId: 'j', size: 1, result: null, results: [null], output: [],
    timings: { startedAt: new Date(origin).toISOString(), durationMs: startupMs + runMs, phases: { startupMs, runMs, cleanupMs: 0 }, ranks: [] },
  } as unknown as RunResult;
}

describe("a job's clean-up in its timings", () => {
  it('is everything from the result to the end, a wait before the deleting included: the phases add up to the job', () => {
    const result = resultOf(100, 200);
    // The result at 300 ms; the deleting began at 700 ms (after closing and a sweep it waited for) and ended at 800 ms.
    addCleanup(result, origin + 700, origin + 800);
    expect(result.timings.durationMs).toBe(800);
    expect(result.timings.phases).toEqual({ startupMs: 100, runMs: 200, cleanupMs: 500 });
  });

  for (const threads of [false, true]) {
    it(`adds up on a real job too (${threads ? 'threads' : 'inline'})`, async () => {
      const run = await runLocal('hello', { size: 3, threads });
      const { startupMs, runMs, cleanupMs } = run.timings.phases!;
      expect(startupMs + runMs + cleanupMs).toBe(run.timings.durationMs);
    });
  }
});
