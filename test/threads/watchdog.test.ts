import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JobCancelledError, JobTimeoutError, runLocal } from '../../src/index.ts';
import { rejection } from '../conformance/target.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);

/** Threads of this process (Linux): a rank's thread that was not terminated still counts. */
const threadCount = () => readdirSync('/proc/self/task').length;

/** The thread count once threads that are ending have ended. */
async function settledThreadCount(): Promise<number> {
  let last = -1;
  let count = threadCount();
  while (count !== last) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    last = count;
    count = threadCount();
  }
  return count;
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

describe('the watchdog of ranks in threads', () => {
  it('fails the job at its timeout naming the rank that never yields and what the others wait on, and ends its thread', async () => {
    await runLocal('hello', { size: 3, threads: true }); // the process's own helper threads exist from here on
    const before = await settledThreadCount();
    const timeoutMs = 3_000;
    const started = Date.now();
    const error = await rejection(runLocal(fixture('never-yields.ts'), { size: 3, threads: true, timeoutMs }));
    expect(error).toBeInstanceOf(JobTimeoutError);
    expect(error.running).toEqual([
      { rank: 0, operation: 'recv', source: 1, tag: 4, silent: false },
      { rank: 1, silent: true },
      { rank: 2, operation: 'barrier', source: 1, tag: expect.any(Number), silent: false },
    ]);
    expect(error.message).toMatch(/timed out after 3000 ms; ranks still running: rank 0 waits in recv, source 1, tag 4; rank 1 is silent/);
    // Within seconds of the timeout, not at some later deadline of its own.
    expect(Date.now() - started).toBeLessThan(timeoutMs + 10_000);
    expect(await until(() => threadCount() <= before)).toBe(true);
  }, 30_000);

  it('fails the job when rank 0 itself never yields, naming it and what the others wait on', async () => {
    const error = await rejection(runLocal(fixture('rank-zero-never-yields.ts'), { size: 2, threads: true, timeoutMs: 1_000 }));
    expect(error).toBeInstanceOf(JobTimeoutError);
    expect(error.running).toEqual([
      { rank: 0, silent: true },
      { rank: 1, operation: 'recv', source: 0, tag: 8, silent: false },
    ]);
  }, 30_000);

  it('fails the job when a module never finishes loading, naming the ranks that did not', async () => {
    const error = await rejection(runLocal(fixture('never-loads.ts'), { size: 2, threads: true, timeoutMs: 500 }));
    expect(error).toBeInstanceOf(JobTimeoutError);
    expect(error.running).toEqual([{ rank: 0, silent: true }, { rank: 1, silent: true }]);
  }, 30_000);

  it('on cancel, fails the job with what each rank was doing, and ends every thread', async () => {
    const controller = new AbortController();
    const before = await settledThreadCount();
    const job = runLocal(fixture('never-yields.ts'), {
      size: 3,
      threads: true,
      signal: controller.signal,
      onOutput: (line) => {
        if (line.line === 'rank 1 starts spinning') setTimeout(() => controller.abort(new Error('interrupted')), 200);
      },
    });
    const error = await rejection(job);
    expect(error).toBeInstanceOf(JobCancelledError);
    expect(error.by).toBe('interrupted');
    expect(error.running).toEqual([
      { rank: 0, operation: 'recv', source: 1, tag: 4, silent: false },
      { rank: 1, silent: true },
      { rank: 2, operation: 'barrier', source: 1, tag: expect.any(Number), silent: false },
    ]);
    expect(error.message).toMatch(/was cancelled \(by interrupted\); ranks still running: rank 0 waits in recv, source 1, tag 4; rank 1 is silent/);
    expect(await until(() => threadCount() <= before)).toBe(true);
  }, 30_000);
});
