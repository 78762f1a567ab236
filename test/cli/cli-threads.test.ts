import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cli, lambdaMpi } from './run-cli.ts';

const run = promisify(execFile);

describe('the CLI runs ranks in threads', () => {
  it('gives the same result in threads (the default, and --threads) as with --inline', async () => {
    const args = ['run', 'pi', '-n', '3', '--input', '{"samples":30000,"seed":5}', '--result'];
    const [byDefault, threads, inline] = await Promise.all([lambdaMpi(...args), lambdaMpi(...args, '--threads'), lambdaMpi(...args, '--inline')]);
    for (const r of [byDefault, threads, inline]) expect(r.code).toBe(0);
    const result = (r: { stdout: string }) => JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(result(byDefault)).toEqual(result(inline));
    expect(result(threads)).toEqual(result(inline));
  });

  it('refuses --threads with --inline as bad usage', async () => {
    const r = await lambdaMpi('run', 'hello', '-n', '2', '--threads', '--inline');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--threads and --inline exclude each other/);
  });

  it('ends a job whose rank never yields at its timeout, naming it and what the others wait on', async () => {
    const r = await lambdaMpi('run', 'test/fixtures/never-yields.ts', '-n', '3', '--timeout', '3');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('rank 1 starts spinning');
    expect(r.stderr).toMatch(/timed out after 3000 ms; ranks still running: rank 0 waits in recv, source 1, tag 4; rank 1 is silent \(no answer: died or stuck outside lambda-mpi\); rank 2 waits in barrier, source 1/);
  });

  it('on Ctrl-C prints what each rank is doing and exits 1', async () => {
    const child = spawn(process.execPath, [cli, 'run', 'test/fixtures/never-yields.ts', '-n', '3', '--timeout', '600'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('rank 1 starts spinning')) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/was cancelled \(by Ctrl-C\); ranks still running:/);
    expect(stderr.split('\n').slice(1, 4)).toEqual([
      '  rank 0 waits in recv, source 1, tag 4',
      '  rank 1 is silent (no answer: died or stuck outside lambda-mpi)',
      '  rank 2 waits in barrier, source 1',
    ]);
  }, 60_000);
});

describe('Ctrl-C with --inline', () => {
  it('says the ranks shared the CLI\'s thread, so their waits are not known, and exits 130', async () => {
    const child = spawn(process.execPath, [cli, 'run', 'test/fixtures/ticker.ts', '-n', '2', '--inline', '--input', '{"sleepMs":600000}'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('last from rank 1') && stdout.includes('last from rank 0')) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    expect(stderr).toBe('lambda-mpi: interrupted (Ctrl-C); the ranks ran in this thread (--inline), so what each waited on is not known: run without --inline to see it\n');
  }, 60_000);
});

describe('runLocal with threads and the process', () => {
  it('leaves nothing behind: the process exits on its own after jobs in threads that succeed, fail, time out and are cancelled', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--conditions=lambda-mpi-source', 'test/fixtures/threads-leave-nothing-behind.ts'], { timeout: 30_000 });
    expect(JSON.parse(stdout.trim())).toEqual(['ok', 'RankFailedError', 'JobTimeoutError', 'JobCancelledError']);
  });
});
