import { describe, expect, it } from 'vitest';
import {
  ANY_TAG, InvalidArgumentError, JobAbortedError, JobTimeoutError, MAX_SIZE, RankFailedError, SUM, defineProgram,
} from '../../src/index.ts';
import { rejection, runOn, type ConformanceTarget } from './target.ts';

export function failureCases(target: ConformanceTarget): void {
  describe(`failures over ${target.name}`, () => {
    it('a rank that throws fails the job with its rank, message and stack, and releases ranks blocked in recv', async () => {
      const released: Record<number, string> = {};
      const program = defineProgram(async (comm) => {
        await comm.barrier();
        if (comm.rank === 2) throw new TypeError('rank two broke');
        try {
          await comm.recv(comm.rank === 0 ? 1 : 0, 99);
        } catch (error) {
          released[comm.rank] = (error as Error).name;
          throw error;
        }
        return undefined;
      });
      function brokenRankTwo() {
        return program;
      }
      // The released ranks fail at once; a job that waited for its deadline would outlive this test.
      const error = await rejection(runOn(target, brokenRankTwo(), { size: 4, timeoutMs: 10 * 60_000 }));
      expect(error).toBeInstanceOf(RankFailedError);
      expect(error).toMatchObject({ rank: 2, remote: { name: 'TypeError', message: 'rank two broke' } });
      expect(error.message).toBe('rank 2 failed: TypeError: rank two broke');
      expect(error.stack).toContain('failure-cases.ts');
      await until(() => Object.keys(released).length === 3);
      expect(released).toEqual({ 0: 'JobAbortedError', 1: 'JobAbortedError', 3: 'JobAbortedError' });
    });

    it('rank 0 throwing fails the job too', async () => {
      const program = defineProgram(async (comm) => {
        if (comm.rank === 0) throw new Error('orchestrator program broke');
        return comm.recv(0);
      });
      const error = await rejection(runOn(target, program, { size: 3 }));
      expect(error).toBeInstanceOf(RankFailedError);
      expect(error).toMatchObject({ rank: 0, remote: { message: 'orchestrator program broke' } });
    });

    it('comm.abort(reason) stops every rank and fails the job with that reason', async () => {
      const program = defineProgram(async (comm) => {
        if (comm.rank === 1) await comm.abort('input file is corrupt');
        await comm.recv(1, ANY_TAG);
        return 'not reached';
      });
      const error = await rejection(runOn(target, program, { size: 3 }));
      expect(error).toBeInstanceOf(JobAbortedError);
      expect(error).toMatchObject({ rank: 1, reason: 'input file is corrupt' });
    });

    it('a job past its timeout names every running rank and what each waits on', async () => {
      const program = defineProgram(async (comm) => {
        if (comm.rank === 1) return comm.recv(0, 5);
        if (comm.rank === 2) return comm.allreduce(1, SUM);
        return undefined; // rank 0 (and 3) finish at once
      });
      const timeoutMs = Math.max(300, target.timeoutMs / 100);
      const error = await rejection(runOn(target, program, { size: 4, timeoutMs }));
      expect(error).toBeInstanceOf(JobTimeoutError);
      expect(error.timeoutMs).toBe(timeoutMs);
      expect(error.running).toEqual([
        { rank: 1, operation: 'recv', source: 0, tag: 5, silent: false },
        { rank: 2, operation: 'allreduce', source: 3, tag: expect.any(Number), silent: false },
      ]);
      expect(error.message).toMatch(/rank 1 waits in recv, source 0, tag 5; rank 2 waits in allreduce, source 3/);
    });

    it('a return value that cannot be sent to rank 0 fails that rank clearly', async () => {
      const program = defineProgram(async (comm) => (comm.rank === 1 ? { callback: () => 1 } : undefined));
      const error = await rejection(runOn(target, program, { size: 2 }));
      expect(error).toBeInstanceOf(RankFailedError);
      expect(error.rank).toBe(1);
      expect(error.message).toMatch(/return value cannot be sent to rank 0/);
    });
  });

  describe(`bad input over ${target.name}`, () => {
    it.each([
      ['size 0', { size: 0 }, 'size', /size must be an integer in 1\.\.1024; received 0/],
      ['size 1.5', { size: 1.5 }, 'size', /1\.\.1024/],
      ['size above MAX_SIZE', { size: MAX_SIZE + 1 }, 'size', /received 1025/],
      ['size as a string', { size: '4' }, 'size', /received "4"/],
      ['timeoutMs 0', { size: 2, timeoutMs: 0 }, 'timeoutMs', /positive/],
      ['timeoutMs negative', { size: 2, timeoutMs: -5 }, 'timeoutMs', /positive/],
      ['input with a function', { size: 2, input: { f: () => 1 } }, 'input', /cannot be serialized/],
    ])('refuses %s before any rank starts', async (_name, options, argument, message) => {
      let started = false;
      const program = defineProgram(async () => {
        started = true;
      });
      const error = await rejection(runOn(target, program, options as any));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.argument).toBe(argument);
      expect(error.message).toMatch(message);
      expect(started).toBe(false);
    });

    it('refuses an unknown program name and lists the bundled ones', async () => {
      const error = await rejection(runOn(target, 'no-such-program', { size: 2 }));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.argument).toBe('program');
      expect(error.message).toMatch(/program must be one of the bundled programs: hello, sendrecv, reduce, pi, vector-allreduce, fail-rank, crash-rank, busy-rank; received "no-such-program"/);
    });

    const badCalls: Array<[string, (comm: any) => Promise<unknown>, string, RegExp]> = [
      ['dest out of range', (c) => c.send(1, c.size), 'dest', /dest must be an integer rank in 0\.\.2; received 3/],
      ['dest not an integer', (c) => c.send(1, 0.5), 'dest', /received 0\.5/],
      ['negative tag', (c) => c.send(1, 0, -2), 'tag', /tag must be an integer tag in 0\.\./],
      ['source out of range', (c) => c.recv(7), 'source', /source must be an integer rank in 0\.\.2 or ANY_SOURCE/],
      ['negative recv tag', (c) => c.recv(0, -7), 'tag', /or ANY_TAG/],
      ['root out of range', (c) => c.bcast(1, -1), 'root', /root must be an integer rank in 0\.\.2; received -1/],
      ['reduce root not an integer', (c) => c.reduce(1, SUM, 'x'), 'root', /received "x"/],
      ['scatter of the wrong length', (c) => c.scatter([1, 2]), 'values', /exactly size \(3\) values/],
      ['alltoall of the wrong length', (c) => c.alltoall([1, 2, 3, 4]), 'values', /exactly size \(3\) values/],
      ['an op that is not an Op', (c) => c.allreduce(1, 'SUM'), 'op', /op must be an Op/],
      ['split color negative', (c) => c.split(-1), 'color', /non-negative integer/],
    ];
    it.each(badCalls)('refuses %s at the call with an error naming the argument', async (_name, call, argument, message) => {
      const program = defineProgram(async (comm, _input) => {
        if (comm.rank !== 0) return undefined;
        try {
          await call(comm);
          return 'accepted';
        } catch (error) {
          return { type: (error as Error).name, argument: (error as InvalidArgumentError).argument, message: (error as Error).message };
        }
      });
      const r = await runOn(target, program, { size: 3 });
      expect(r.result).toMatchObject({ type: 'InvalidArgumentError', argument });
      expect((r.result as { message: string }).message).toMatch(message);
    });

    it.each([
      ['arrays of unequal length', (rank: number) => (rank === 0 ? [1, 2] : [1, 2, 3]), /unequal length \(2 and 3\)/],
      ['mixed types', (rank: number) => (rank === 0 ? 1 : Float64Array.of(1)), /cannot combine a number with a Float64Array|cannot combine a Float64Array with a number/],
      ['typed arrays of different types', (rank: number) => (rank === 0 ? Int32Array.of(1) : Float64Array.of(1)), /cannot combine a Int32Array with a Float64Array|cannot combine a Float64Array with a Int32Array/],
      ['strings', () => 'text', /cannot reduce a string with a string/],
      ['bigint with number', (rank: number) => (rank === 0 ? 1n : 1), /cannot mix bigint and number/],
    ])('fails a reduction of %s with an error saying what reductions take', async (_name, valueOf, message) => {
      const program = defineProgram(async (comm) => comm.allreduce(valueOf(comm.rank), SUM));
      const error = await rejection(runOn(target, program, { size: 2 }));
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
