import { describe, expect, it } from 'vitest';
import { threadId } from 'node:worker_threads';
import {
  ConfigurationError, InvalidArgumentError, RankFailedError, defineProgram, programs, runLocal, type OutputLine,
} from '../../src/index.ts';
import type { Transport } from '../../src/transport/transport.ts';
import { rejection } from '../conformance/target.ts';
import { ranksPerThread } from '../../src/runtime/threads/run-threads.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);

describe('ranks in worker threads', () => {
  it('runs every rank in a thread of its own, none of them the caller\'s', async () => {
    const r = await runLocal(fixture('prints-in-order.ts'), { size: 4, input: { lines: 1 }, threads: true });
    const ids = r.results as number[];
    expect(new Set(ids).size).toBe(4);
    expect(ids).not.toContain(threadId);
  });

  it('streams each rank\'s lines to onOutput in the order the rank printed them, and returns the same lines', async () => {
    const lines = 200;
    const live: OutputLine[] = [];
    const r = await runLocal(fixture('prints-in-order.ts'), { size: 4, input: { lines }, threads: true, onOutput: (line) => live.push(line) });
    for (let rank = 0; rank < 4; rank++) {
      const expected = Array.from({ length: lines }, (_, i) => ({ rank, stream: i % 2 ? 'stderr' : 'stdout', line: `rank ${rank} line ${i}` }));
      expect(live.filter((l) => l.rank === rank)).toEqual(expected);
      expect(r.output.filter((l) => l.rank === rank)).toEqual(expected);
    }
    expect(live).toHaveLength(4 * lines);
  });

  it('gives the same answer as ranks in one thread, for a bundled program by name and by value', async () => {
    const input = { samples: 200_000, seed: 11 };
    const inline = await runLocal('pi', { size: 3, input });
    const byName = await runLocal('pi', { size: 3, input, threads: true });
    const byValue = await runLocal(programs.pi!, { size: 3, input, threads: true });
    expect(byName.result).toEqual(inline.result);
    expect(byValue.result).toEqual(inline.result);
  });

  it('starts and finishes 64 ranks', async () => {
    const r = await runLocal('hello', { size: 64, threads: true, timeoutMs: 120_000 });
    const ranks = r.output.map((l) => Number(/^Hello\. This is rank (\d+) of 64 on processor \S+$/.exec(l.line)?.[1]));
    expect(ranks.sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, rank) => rank));
  }, 180_000);

  it('hears every frame of a rank that sends twice back to back while the receiver polls, in a hundred jobs in a row', async () => {
    // Rank 1's answer and its report cross rank 0's polling: a wake-up lost there shows as a job
    // that only ends at its deadline, so a job that does not end long before it fails the test.
    for (let job = 0; job < 100; job++) {
      const r = await runLocal(fixture('answers-then-ends.ts'), { size: 2, threads: true, timeoutMs: 20_000 });
      expect(r.result).toBe('pong');
    }
  });

  it('runs a waiting rank\'s timers while frames keep coming, however fast (waits polled between microtasks still give the event loop turns)', async () => {
    const r = await runLocal(fixture('ping-pong-until-timer.ts'), { size: 2, threads: true, timeoutMs: 20_000 });
    expect(r.results[1]).toBe('stopped');
    expect(r.results[0]).toBeGreaterThan(0);
  });

  it('fails the job naming the rank whose thread exited', async () => {
    const error = await rejection(runLocal(fixture('thread-exits.ts'), { size: 3, threads: true }));
    expect(error).toBeInstanceOf(RankFailedError);
    expect(error.rank).toBe(2);
    expect(error.message).toMatch(/the thread of rank 2 exited \(code 7\) before the job ended/);
  });

  it('fails the job naming the rank whose thread threw outside the program, with the source position', async () => {
    const error = await rejection(runLocal(fixture('uncaught-in-timer.ts'), { size: 3, threads: true }));
    expect(error).toBeInstanceOf(RankFailedError);
    expect(error).toMatchObject({ rank: 1, remote: { name: 'RangeError', message: 'thrown outside the program' } });
    expect(error.stack).toMatch(/uncaught-in-timer\.ts:8:/);
  });
});

describe('ranks sharing threads, when ranks far outnumber the cores', () => {
  const withMaxThreads = async <T>(threads: number, run: () => Promise<T>): Promise<T> => {
    const saved = process.env.LAMBDA_MPI_MAX_THREADS;
    process.env.LAMBDA_MPI_MAX_THREADS = String(threads);
    try {
      return await run();
    } finally {
      if (saved === undefined) delete process.env.LAMBDA_MPI_MAX_THREADS;
      else process.env.LAMBDA_MPI_MAX_THREADS = saved;
    }
  };

  it('packs consecutive ranks into the fewest threads, each rank with module state and output of its own', async () => {
    const r = await withMaxThreads(3, () => runLocal(fixture('module-state-per-rank.ts'), { size: 8, threads: true }));
    const results = r.results as Array<{ thread: number; calls: number }>;
    const threadOf = results.map((result) => result.thread);
    // ceil(8 / 3) = 3 ranks a thread: 0-2, 3-5, 6-7.
    expect([threadOf[0], threadOf[1], threadOf[2]]).toEqual([threadOf[0], threadOf[0], threadOf[0]]);
    expect([threadOf[3], threadOf[4], threadOf[5]]).toEqual([threadOf[3], threadOf[3], threadOf[3]]);
    expect(threadOf[7]).toBe(threadOf[6]);
    expect(new Set(threadOf).size).toBe(3);
    expect(threadOf).not.toContain(threadId);
    expect(results.map((result) => result.calls)).toEqual(Array(8).fill(1));
    for (let rank = 0; rank < 8; rank++) {
      expect(r.output.filter((line) => line.rank === rank).map((line) => line.line)).toEqual([`rank ${rank} says hello`, `rank ${rank} says goodbye`]);
    }
  });

  it('gives the same answer as a thread per rank', async () => {
    const input = { samples: 200_000, seed: 5 };
    const own = await runLocal('pi', { size: 5, input, threads: true });
    const shared = await withMaxThreads(2, () => runLocal('pi', { size: 5, input, threads: true }));
    expect(shared.result).toEqual(own.result);
  });

  it('fails the job naming the ranks of a thread that exited', async () => {
    const error = await rejection(withMaxThreads(2, () => runLocal(fixture('thread-exits.ts'), { size: 4, threads: true })));
    expect(error).toBeInstanceOf(RankFailedError);
    expect(error.rank).toBe(2);
    expect(error.message).toMatch(/the thread of ranks 2–3 exited \(code 7\) before the job ended/);
  });

  it('fails the job naming the rank that threw outside the program, not its thread\'s others, with the source position', async () => {
    const error = await rejection(withMaxThreads(1, () => runLocal(fixture('uncaught-in-timer.ts'), { size: 3, threads: true })));
    expect(error).toBeInstanceOf(RankFailedError);
    expect(error).toMatchObject({ rank: 1, remote: { name: 'RangeError', message: 'thrown outside the program' } });
    expect(error.stack).toMatch(/uncaught-in-timer\.ts:8:/);
  });

  it('refuses a LAMBDA_MPI_MAX_THREADS that is not a whole number of threads, before any rank starts', async () => {
    const error = await rejection(withMaxThreads(0, () => runLocal('hello', { size: 2, threads: true })));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe('LAMBDA_MPI_MAX_THREADS: must be a whole number of threads, 1 or more; received "0"');
  });

  it('starts a thread per rank until ranks outnumber the cores eightfold (and 16 threads), then shares them', () => {
    expect(ranksPerThread(16, 2)).toBe(1);
    expect(ranksPerThread(17, 2)).toBe(2);
    expect(ranksPerThread(64, 2)).toBe(4);
    expect(ranksPerThread(64, 8)).toBe(1);
    expect(ranksPerThread(65, 8)).toBe(2);
    expect(ranksPerThread(8, 2, 3)).toBe(3);
  });
});

describe('bad input for ranks in threads', () => {
  it('refuses a program given as a function value before anything starts, saying to pass its module', async () => {
    let ran = false;
    const program = defineProgram(async () => {
      ran = true;
    });
    const error = await rejection(runLocal(program, { size: 2, threads: true }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.argument).toBe('program');
    expect(error.message).toMatch(/cannot run in threads as a value: a function cannot cross threads; pass the path or file: URL of the module/);
    expect(ran).toBe(false);
  });

  it('fails with the module\'s own error, naming the module, when it throws while loading', async () => {
    const error = await rejection(runLocal(fixture('throws-on-load.ts'), { size: 2, threads: true }));
    expect(error).not.toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toMatch(/^cannot load \/.*\/test\/fixtures\/throws-on-load\.ts: configuration file missing$/);
  });

  it('refuses a module whose default export is not a program, naming it', async () => {
    const error = await rejection(runLocal(fixture('not-a-program.ts'), { size: 2, threads: true }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.argument).toBe('program');
    expect(error.message).toMatch(/^program must be a module whose default export is a program made by defineProgram\(\): the default export of \/.*\/test\/fixtures\/not-a-program\.ts is a plain function \(wrap it: export default defineProgram\(fn\)\); received a function$/);
  });

  it.each([false, true])('names a program exported under another name when there is no default export (threads: %s)', async (threads) => {
    const error = await rejection(runLocal(fixture('named-program.ts'), { size: 2, threads }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toMatch(/the default export of \/.*\/named-program\.ts is missing; its export "prog" is one: make it the default \(export default prog\); received undefined$/);
  });

  it('refuses a module file that does not exist', async () => {
    const error = await rejection(runLocal('./test/fixtures/no-such-file.ts', { size: 2, threads: true }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toMatch(/is not a file that exists: .*no-such-file\.ts/);
  });

  it.each([
    ['a transports factory', { transport: async () => ({ transport: (): Transport => { throw new Error('unused'); }, dispose: async () => undefined }) }, 'transport', /cannot be a transports factory when threads is true/],
    ['a transport wrapper', { wrapTransport: (t: Transport) => t }, 'wrapTransport', /cannot be used when threads is true: a function cannot cross threads/],
    ['threads that is not a boolean', { threads: 'yes' }, 'threads', /threads must be true or false; received "yes"/],
  ])('refuses %s', async (_name, options, argument, message) => {
    const error = await rejection(runLocal('hello', { size: 2, threads: true, ...options } as never));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.argument).toBe(argument);
    expect(error.message).toMatch(message);
  });

  it('refuses a cancellation signal for ranks in the caller\'s thread, which could not be interrupted', async () => {
    const error = await rejection(runLocal('hello', { size: 2, signal: new AbortController().signal }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toMatch(/signal needs threads: true/);
  });
});
