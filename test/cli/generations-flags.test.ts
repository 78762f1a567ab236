import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lambdaMpi } from './run-cli.ts';

const heat = fileURLToPath(new URL('../../examples/long-running/heat.ts', import.meta.url));

describe('run --generation-seconds and --retries', () => {
  it('runs a program in generations: one output stream with a line per generation, the same result', async () => {
    const input = JSON.stringify({ cells: 400, iterations: 3_000, reportEvery: 100_000 });
    const [split, whole] = await Promise.all([
      lambdaMpi('run', heat, '-n', '3', '--input', input, '--generation-seconds', '0.05', '--retries', '1', '--result'),
      lambdaMpi('run', heat, '-n', '3', '--input', input, '--result'),
    ]);
    expect(split.code).toBe(0);
    expect(split.stderr).toMatch(/^lambda-mpi: generation 1 began from checkpoint 1$/m);
    expect(split.stdout.trim().split('\n').at(-1)).toBe(whole.stdout.trim().split('\n').at(-1));
  });

  it('refuses a bad value in the flag\'s words, and --retries with --inline (a lost rank would be this process)', async () => {
    const [zero, many, inline] = await Promise.all([
      lambdaMpi('run', heat, '-n', '2', '--generation-seconds', '0'),
      lambdaMpi('run', heat, '-n', '2', '--retries', '11'),
      lambdaMpi('run', heat, '-n', '2', '--retries', '1', '--inline'),
    ]);
    expect(inline.code).toBe(2);
    expect(inline.stderr).toMatch(/--retries needs ranks in threads/);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--generation-seconds must be a positive number of seconds; received "0"/);
    expect(many.stderr).toMatch(/--retries must be a whole number from 0 to 10; received "11"/);
  });
});
