import { describe, expect, it } from 'vitest';
import { threadId } from 'node:worker_threads';
import {
  InvalidArgumentError, RankFailedError, defineProgram, programs, runLocal, type OutputLine,
} from '../../src/index.ts';
import type { Transport } from '../../src/transport/transport.ts';
import { rejection } from '../conformance/target.ts';

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
