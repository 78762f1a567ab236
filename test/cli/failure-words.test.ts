import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lambdaMpi, lambdaMpiWith } from './run-cli.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/**
 * Every failure keeps its words: whatever a rank does to end itself, the job fails naming that
 * rank and what it did (exit code 1), with its program's own frames and none of lambda-mpi's.
 */
describe('a failed job says which rank failed and why, in the CLI', () => {
  it('--inline: a rank that calls process.exit(7) fails the job naming the rank and the call, exit code 1', async () => {
    const r = await lambdaMpi('run', fixture('thread-exits.ts'), '-n', '3', '--inline');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^lambda-mpi: rank 2 failed: ProcessExitInRankError: rank 2 called process\.exit\(7\)/m);
    expect(r.stderr).toMatch(/thread-exits\.ts:5:/);
  });

  it('--inline: a rank whose promise nobody awaits rejects fails the job with that rank\'s error, not Node\'s crash report', async () => {
    const r = await lambdaMpi('run', fixture('unhandled-rejection.ts'), '-n', '3', '--inline', '--timeout', '60');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^lambda-mpi: rank 1 failed: TypeError: nobody awaited this$/m);
    expect(r.stderr).toMatch(/unhandled-rejection\.ts:15:/);
    expect(r.stderr).not.toMatch(/Node\.js v\d/);
  });

  it('--inline: a rank that throws from a timer fails the job with that rank\'s error', async () => {
    const r = await lambdaMpi('run', fixture('uncaught-in-timer.ts'), '-n', '3', '--inline', '--timeout', '60');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^lambda-mpi: rank 1 failed: RangeError: thrown outside the program$/m);
  });

  it.each([['--inline'], ['--threads']])('%s: the failing rank\'s stack holds its program\'s frames and none of lambda-mpi\'s', async (placement) => {
    const r = await lambdaMpi('run', fixture('failing-rank.ts'), '-n', '3', placement);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rank 2 failed: Error: bad rank\nError: bad rank\n\s+at .*failing-rank\.ts:4:\d+/);
    expect(r.stderr).not.toMatch(/[\\/]src[\\/](runtime|mpi)[\\/]/);
  });

  it('--inline runs a program in a folder whose package.json is not "type": "module", as threads do', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lambda-mpi-commonjs-folder-'));
    try {
      await writeFile(join(dir, 'package.json'), '{ "name": "not-a-module-package", "private": true }\n');
      await writeFile(join(dir, 'sum.ts'), "import { defineProgram, SUM } from 'lambda-mpi';\n" +
        'export default defineProgram(async (comm) => comm.reduce(comm.rank + 1, SUM, 0));\n');
      const [inline, threads] = await Promise.all([
        lambdaMpi('run', join(dir, 'sum.ts'), '-n', '3', '--inline', '--result'),
        lambdaMpi('run', join(dir, 'sum.ts'), '-n', '3', '--result'),
      ]);
      expect([inline.code, inline.stdout, inline.stderr]).toEqual([0, '6\n', '']);
      expect([threads.code, threads.stdout]).toEqual([0, '6\n']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('run --stage without credentials (the export lines of lambda-mpi offline not run) says which are needed, exit code 2, before any job', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AWS_|LAMBDA_MPI_)/.test(name)));
    const r = await lambdaMpiWith({ ...env, AWS_REGION: 'us-east-1', HOME: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' },
      'run', 'hello', '-n', '2', '--stage', 'local');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lambda-mpi: credentials: are not set, so stage local cannot be reached: for the local stack, run `lambda-mpi offline --stage local` and paste the export lines it prints .*AWS_ENDPOINT_URL_LAMBDA.*; for AWS, give the SDK credentials/m);
    expect(r.stderr).not.toMatch(/job [a-z2-7]{26}/);
  });
});
