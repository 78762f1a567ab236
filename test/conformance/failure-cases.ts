import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError, JobAbortedError, JobTimeoutError, MAX_SIZE, RankFailedError,
} from '../../src/index.ts';
import * as failures from './programs/failures.ts';
import { rejection, runOn, type ConformanceTarget } from './target.ts';

export function failureCases(target: ConformanceTarget): void {
  describe(`failures over ${target.name}`, () => {
    it('a rank that throws fails the job with its rank, message and stack, and releases ranks blocked in recv', async () => {
      for (const rank of Object.keys(failures.released)) delete failures.released[Number(rank)];
      // The released ranks fail at once; a job that waited for its deadline would outlive this test.
      const error = await rejection(runOn(target, failures.rankTwoThrows, { size: 4, timeoutMs: 10 * 60_000 }));
      expect(error).toBeInstanceOf(RankFailedError);
      expect(error).toMatchObject({ rank: 2, remote: { name: 'TypeError', message: 'rank two broke' } });
      expect(error.message).toBe('rank 2 failed: TypeError: rank two broke');
      expect(error.stack).toContain('programs/failures.ts');
      // Ranks in threads are terminated with the job; those in this thread must have been released.
      if (target.threads) return;
      await until(() => Object.keys(failures.released).length === 3);
      expect(failures.released).toEqual({ 0: 'JobAbortedError', 1: 'JobAbortedError', 3: 'JobAbortedError' });
    });

    it('rank 0 throwing fails the job too', async () => {
      const error = await rejection(runOn(target, failures.rankZeroThrows, { size: 3 }));
      expect(error).toBeInstanceOf(RankFailedError);
      expect(error).toMatchObject({ rank: 0, remote: { message: 'orchestrator program broke' } });
    });

    it('comm.abort(reason) stops every rank and fails the job with that reason', async () => {
      const error = await rejection(runOn(target, failures.rankOneAborts, { size: 3 }));
      expect(error).toBeInstanceOf(JobAbortedError);
      expect(error).toMatchObject({ rank: 1, reason: 'input file is corrupt' });
    });

    it('a job past its timeout names every running rank and what each waits on', async () => {
      const timeoutMs = Math.max(300, target.timeoutMs / 100);
      const error = await rejection(runOn(target, failures.ranksThatWaitForever, { size: 4, timeoutMs }));
      expect(error).toBeInstanceOf(JobTimeoutError);
      expect(error.timeoutMs).toBe(timeoutMs);
      expect(error.running).toEqual([
        { rank: 1, operation: 'recv', source: 0, tag: 5, silent: false },
        { rank: 2, operation: 'allreduce', source: 3, tag: expect.any(Number), silent: false },
      ]);
      expect(error.message).toMatch(/rank 1 waits in recv, source 0, tag 5; rank 2 waits in allreduce, source 3/);
    });

    it('ranks that exchange messages without pause end at the timeout, and the caller\'s own timers run meanwhile', async () => {
      const timeoutMs = Math.max(300, target.timeoutMs / 100);
      for (const rank of Object.keys(failures.pingPongEnded)) delete failures.pingPongEnded[Number(rank)];
      let ticksWhileRanksLoop = 0;
      const ticker = setInterval(() => {
        if (Object.keys(failures.pingPongEnded).length < 2) ticksWhileRanksLoop++;
      }, 5);
      try {
        // The ranks would loop far beyond the timeout (and this test's own) if nothing stopped them.
        const error = await rejection(runOn(target, failures.pingPongFor, { size: 2, timeoutMs, input: { seconds: 20 } }));
        expect(error).toBeInstanceOf(JobTimeoutError);
      } finally {
        clearInterval(ticker);
      }
      if (!target.simulatedClock) expect(ticksWhileRanksLoop).toBeGreaterThan(0);
      // Ranks in threads end with their threads; those in this thread were stopped, not left looping.
      if (target.threads) return;
      await until(() => Object.keys(failures.pingPongEnded).length === 2);
      expect(failures.pingPongEnded).toEqual({ 0: 'JobTimeoutError', 1: 'JobTimeoutError' });
    });

    it('a return value that cannot be sent to rank 0 fails that rank clearly', async () => {
      const error = await rejection(runOn(target, failures.unsendableReturn, { size: 2 }));
      expect(error).toBeInstanceOf(RankFailedError);
      expect(error.rank).toBe(1);
      expect(error.message).toMatch(/return value cannot be sent to rank 0/);
    });
  });

  describe(`bad input over ${target.name}`, () => {
    it.each([
      ['size 0', { size: 0 }, 'size', /size must be an integer in 1\.\.10000; received 0/],
      ['size 1.5', { size: 1.5 }, 'size', /1\.\.10000/],
      ['size above MAX_SIZE', { size: MAX_SIZE + 1 }, 'size', /received 10001/],
      ['size as a string', { size: '4' }, 'size', /received "4"/],
      ['timeoutMs 0', { size: 2, timeoutMs: 0 }, 'timeoutMs', /positive/],
      ['timeoutMs negative', { size: 2, timeoutMs: -5 }, 'timeoutMs', /positive/],
      ['input with a function', { size: 2, input: { f: () => 1 } }, 'input', /cannot be serialized/],
    ])('refuses %s before any rank starts', async (_name, options, argument, message) => {
      failures.started.any = false;
      const error = await rejection(runOn(target, failures.recordsStart, options as any));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.argument).toBe(argument);
      expect(error.message).toMatch(message);
      expect(failures.started.any).toBe(false);
    });

    it('refuses an unknown program name and lists the bundled ones', async () => {
      const error = await rejection(runOn(target, 'no-such-program', { size: 2 }));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.argument).toBe('program');
      expect(error.message).toMatch(/program must be one of the bundled programs: hello, sendrecv, reduce, pi, vector-allreduce, fail-rank, crash-rank, busy-rank; received "no-such-program"/);
    });

    const badCalls: Array<[string, string, RegExp]> = [
      ['dest out of range', 'dest', /dest must be an integer rank in 0\.\.2 or PROC_NULL \(-2\); received 3/],
      ['dest not an integer', 'dest', /received 0\.5/],
      ['negative tag', 'tag', /tag must be an integer tag in 0\.\./],
      ['source out of range', 'source', /source must be an integer rank in 0\.\.2, ANY_SOURCE \(-1\) or PROC_NULL \(-2\)/],
      ['negative recv tag', 'tag', /or ANY_TAG/],
      ['root out of range', 'root', /root must be an integer rank in 0\.\.2; received -1/],
      ['reduce root not an integer', 'root', /received "x"/],
      ['scatter of the wrong length', 'values', /exactly size \(3\) values/],
      ['alltoall of the wrong length', 'values', /exactly size \(3\) values/],
      ['an op that is not an Op', 'op', /op must be an Op/],
      ['an Op of a second copy of lambda-mpi', 'op', /op must be an Op of the lambda-mpi that runs the program, but this one comes from a second copy/],
      ['allreduce into an array for a number', 'into', /into is only for a TypedArray value, and value is 1; received a Float64Array/],
      ['allreduce into an array of another type', 'into', /into must be a Float64Array like value; received a Float32Array/],
      ['allreduce into an array of another length', 'into', /into must have value's length 4, not 3/],
      ['allreduce into the value itself', 'into', /into must not overlap value/],
      ['split color negative', 'color', /non-negative integer/],
    ];
    it.each(badCalls)('refuses %s at the call with an error naming the argument', async (name, argument, message) => {
      const r = await runOn(target, failures.badCall, { size: 3, input: name });
      expect(r.result).toMatchObject({ type: 'InvalidArgumentError', argument });
      expect((r.result as { message: string }).message).toMatch(message);
    });

    it.each([
      ['arrays of unequal length', /unequal length \(2 and 3\)/],
      ['mixed types', /cannot combine a number with a Float64Array|cannot combine a Float64Array with a number/],
      ['typed arrays of different types', /cannot combine a Int32Array with a Float64Array|cannot combine a Float64Array with a Int32Array/],
      ['strings', /cannot reduce a string with a string/],
      ['bigint with number', /cannot mix bigint and number/],
      ['large arrays of unequal length', /cannot combine arrays of unequal length/],
    ])('fails a reduction of %s with an error saying what reductions take', async (name, message) => {
      const error = await rejection(runOn(target, failures.badReduction, { size: 2, input: name }));
      expect(error).toBeInstanceOf(RankFailedError);
      expect(error.remote.name).toBe('InvalidArgumentError');
      expect(error.message).toMatch(message);
      expect(error.message).toMatch(/reductions take numbers, bigints, booleans/);
    });
  });
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
