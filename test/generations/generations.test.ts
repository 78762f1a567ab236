import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineProgram, runLocal, type OutputLine } from '../../src/index.ts';
import { ForwardingTransport } from '../../src/transport/forwarding-transport.ts';
import type { Frame, Transport } from '../../src/transport/transport.ts';

const sumProgram = fileURLToPath(new URL('../fixtures/generations-sum.ts', import.meta.url));
const input = { steps: 60, stepMs: 5 };

/** What every rank of the sum returns: the total and the generations its steps ran in. */
interface SumResult {
  sum: number;
  generations: number[];
  last: number;
}

function expectedSum(size: number, steps: number): number {
  let sum = 0;
  for (let step = 0; step < steps; step++) sum += step * (size * (size - 1)) / 2;
  return sum;
}

describe('jobs in generations (runLocal generationSeconds)', () => {
  for (const threads of [false, true]) {
    it(`a sum over 3+ generations equals the uninterrupted run (${threads ? 'threads' : 'inline'})`, async () => {
      const lines: OutputLine[] = [];
      const whole = await runLocal<typeof input, SumResult>(sumProgram, { size: 3, input, threads });
      const split = await runLocal<typeof input, SumResult>(sumProgram, { size: 3, input, threads, generationSeconds: 0.06, onOutput: (line) => lines.push(line) });
      const wholeResults = whole.results as SumResult[];
      const splitResults = split.results as SumResult[];
      expect(wholeResults.map((v) => v.sum)).toEqual([0, 1, 2].map(() => expectedSum(3, input.steps)));
      expect(wholeResults.every((v) => v.last === 0)).toBe(true);
      expect(splitResults.map((v) => v.sum)).toEqual(wholeResults.map((v) => v.sum));
      // Every rank went through the same generations, each one more than the last, at least three of them.
      const seen = splitResults[0]!.generations;
      expect(seen.length).toBeGreaterThanOrEqual(3);
      expect(seen).toEqual(seen.map((_, index) => index));
      for (const value of splitResults) expect(value.generations).toEqual(seen);
      const began = lines.filter((line) => /generation \d+ began/.test(line.line)).map((line) => line.line);
      // One line per generation after the first (the last may begin after the last step: it only returns).
      expect(began).toHaveLength(splitResults[0]!.last);
      expect(splitResults[0]!.last - seen.at(-1)!).toBeLessThanOrEqual(1);
      if (threads) expect(existsSync(join(tmpdir(), `lambda-mpi-checkpoints-${split.jobId}`))).toBe(false);
    });
  }

  it('checkpointIfDue not due sends at most one small collective per agreement interval, however fast the loop', async () => {
    /** Counts the data frames every rank sends (control frames: check-ins, reports, are not the program's). */
    class CountingTransport extends ForwardingTransport {
      static frames = 0;
      override send(frame: Frame): Promise<void> {
        if (frame.kind === 'data') CountingTransport.frames += 1;
        return super.send(frame);
      }
    }
    const size = 4;
    // A generation of 3 s agrees every 0.3 s (a tenth of it); the loop below runs for about a second.
    const loop = defineProgram(async (comm) => {
      const started = Date.now();
      let x = 0;
      for (let call = 0; call < 400_000; call++) {
        x += Math.sqrt(call);
        await comm.checkpointIfDue({ x });
      }
      return { calls: 400_000, ms: Date.now() - started };
    });
    const run = await runLocal(loop, { size, generationSeconds: 3, wrapTransport: (transport: Transport) => new CountingTransport(transport) });
    const { calls, ms } = run.result as { calls: number; ms: number };
    const agreements = CountingTransport.frames / (size - 1);
    // The first two calls agree (nothing is measured yet), then the interval grows at most 16-fold per
    // agreement until it spans an agreement interval (0.3 s here): a handful for the whole run.
    const ramp = Math.ceil(Math.log(calls) / Math.log(16)) + 2;
    expect(calls).toBeGreaterThan(10_000);
    expect(agreements).toBeLessThanOrEqual(ramp + Math.ceil(ms / 300));
    console.log(`checkpointIfDue, not due: ${calls} calls in ${ms} ms on ${size} ranks, ${CountingTransport.frames} data frames (${agreements} agreements)`);
  });
});

describe('retries of a lost rank (runLocal threads, retries)', () => {
  const lostRankProgram = fileURLToPath(new URL('../fixtures/generations-lost-rank.ts', import.meta.url));
  const sum40 = expectedSum(3, 40);

  it('a rank whose thread ends mid-run: the job completes from the last checkpoint, the retry in the result and the output', async () => {
    const lines: OutputLine[] = [];
    const run = await runLocal(lostRankProgram, { size: 3, threads: true, retries: 1, input: { dieAt: 'between-checkpoints' }, onOutput: (line) => lines.push(line) });
    expect(run.results).toEqual([0, 1, 2].map(() => ({ sum: sum40, startedAt: 20, generation: 1 })));
    expect(run.retries).toEqual([expect.objectContaining({ retry: 1, lostRank: 2, fromCheckpoint: 2, generation: 1 })]);
    expect(lines.map((line) => line.line)).toContain('lambda-mpi: rank 2 was lost; retry 1 of 1 from checkpoint 2 as generation 1');
  });

  it('a rank lost while the others wrote their parts of a checkpoint: the retry falls back to the previous complete one', async () => {
    const run = await runLocal(lostRankProgram, { size: 3, threads: true, retries: 1, input: { dieAt: 'mid-checkpoint' } });
    // Checkpoint 3 has ranks 0 and 1's parts but no manifest: the job restarts from checkpoint 2 (step 20).
    expect(run.retries).toEqual([expect.objectContaining({ lostRank: 2, fromCheckpoint: 2 })]);
    expect(run.results).toEqual([0, 1, 2].map(() => ({ sum: sum40, startedAt: 20, generation: 1 })));
  });

  it('without retries the lost rank fails the job; a rank that throws is never retried', async () => {
    await expect(runLocal(lostRankProgram, { size: 3, threads: true, input: { dieAt: 'between-checkpoints' } })).rejects.toThrow(/the thread of rank 2 exited \(code 9\)/);
    const throwing = fileURLToPath(new URL('../fixtures/failing-rank.ts', import.meta.url));
    await expect(runLocal(throwing, { size: 3, threads: true, retries: 2 })).rejects.toThrow(/^rank 2 failed: Error: bad rank$/);
  });
});

describe('examples/long-running', () => {
  it('the heat solver gives the same rod in generations as in one run', async () => {
    const heat = fileURLToPath(new URL('../../examples/long-running/heat.ts', import.meta.url));
    const input = { cells: 400, iterations: 3_000, reportEvery: 100_000 };
    const whole = await runLocal(heat, { size: 3, input });
    const split = await runLocal(heat, { size: 3, input, generationSeconds: 0.05, onOutput: () => undefined });
    expect(split.output.some((line) => /^generation [1-9]\d*: carrying on from iteration \d+$/.test(line.line))).toBe(true);
    expect(split.result).toBe(whole.result);
  });
});

describe('the timeline of a job in generations', () => {
  it('one trace over all generations, each checkpoint a span on every rank', async () => {
    const run = await runLocal(sumProgram, { size: 2, input: { steps: 20, stepMs: 5 }, generationSeconds: 0.03, trace: true });
    const generations = (run.results as SumResult[])[0]!.last;
    const events = run.trace!.traceEvents as Array<{ name: string; tid?: number; ph: string }>;
    const checkpoints = events.filter((event) => event.name === 'checkpoint' && event.ph === 'X');
    expect(generations).toBeGreaterThanOrEqual(2);
    // Each generation after the first began from a checkpoint every rank wrote, on the one timeline.
    expect(checkpoints).toHaveLength(2 * generations);
  });
});
