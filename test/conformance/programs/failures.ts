import { ANY_TAG, SUM, defineProgram, type Comm } from '../../../src/index.ts';

/**
 * The failure and bad-input cases' programs (failure-cases.ts), in a module so that ranks in
 * threads can load them. What ranks record here is seen by the test only when they run in the
 * test's own thread: ranks in threads have their own copy of this module.
 */

/** The error each rank blocked in recv was released with, by rank (ranks in this thread only). */
export const released: Record<number, string> = {};

export const rankTwoThrows = defineProgram(async (comm) => {
  try {
    // A rank may still be finishing the barrier (its last signal delivered late) when rank 2,
    // already out of it, throws: that rank is released there instead of in recv.
    await comm.barrier();
    if (comm.rank === 2) throw new TypeError('rank two broke');
    await comm.recv(comm.rank === 0 ? 1 : 0, 99);
  } catch (error) {
    if (comm.rank !== 2) released[comm.rank] = (error as Error).name;
    throw error;
  }
  return undefined;
});

export const rankZeroThrows = defineProgram(async (comm) => {
  if (comm.rank === 0) throw new Error('orchestrator program broke');
  return comm.recv(0);
});

export const rankOneAborts = defineProgram(async (comm) => {
  if (comm.rank === 1) await comm.abort('input file is corrupt');
  await comm.recv(1, ANY_TAG);
  return 'not reached';
});

export const ranksThatWaitForever = defineProgram(async (comm) => {
  if (comm.rank === 1) return comm.recv(0, 5);
  if (comm.rank === 2) return comm.allreduce(1, SUM);
  return undefined; // rank 0 (and 3) finish at once
});

export const unsendableReturn = defineProgram(async (comm) => (comm.rank === 1 ? { callback: () => 1 } : undefined));

/** Set by any rank that starts (ranks in this thread only). */
export const started = { any: false };

export const recordsStart = defineProgram(async () => {
  started.any = true;
});

/** Calls with bad arguments, by name; each must fail at the call with an error naming the argument. */
export const BAD_CALLS: Record<string, (comm: Comm) => Promise<unknown>> = {
  'dest out of range': (c) => c.send(1, c.size),
  'dest not an integer': (c) => c.send(1, 0.5),
  'negative tag': (c) => c.send(1, 0, -2),
  'source out of range': (c) => c.recv(7),
  'negative recv tag': (c) => c.recv(0, -7),
  'root out of range': (c) => c.bcast(1, -1),
  'reduce root not an integer': (c) => c.reduce(1, SUM, 'x' as any),
  'scatter of the wrong length': (c) => c.scatter([1, 2]),
  'alltoall of the wrong length': (c) => c.alltoall([1, 2, 3, 4]),
  'an op that is not an Op': (c) => c.allreduce(1, 'SUM' as any),
  'an Op of a second copy of lambda-mpi': (c) => {
    class Op {}
    return c.allreduce(1, new Op() as any);
  },
  'allreduce into an array for a number': (c) => c.allreduce(1, SUM, new Float64Array(1)),
  'allreduce into an array of another type': (c) => c.allreduce(new Float64Array(4), SUM, new Float32Array(4)),
  'allreduce into an array of another length': (c) => c.allreduce(new Float64Array(4), SUM, new Float64Array(3)),
  'allreduce into the value itself': (c) => {
    const v = new Float64Array(8);
    return c.allreduce(v.subarray(0, 4), SUM, v.subarray(2, 6));
  },
  'split color negative': (c) => c.split(-1),
};

export const badCall = defineProgram(async (comm, name: string) => {
  if (comm.rank !== 0) return undefined;
  try {
    await BAD_CALLS[name]!(comm);
    return 'accepted';
  } catch (error) {
    return { type: (error as Error).name, argument: (error as any).argument, message: (error as Error).message };
  }
});

/** Values no reduction takes, by name: what rank `rank` contributes. */
export const BAD_REDUCTION_VALUES: Record<string, (rank: number) => unknown> = {
  'arrays of unequal length': (rank) => (rank === 0 ? [1, 2] : [1, 2, 3]),
  'mixed types': (rank) => (rank === 0 ? 1 : Float64Array.of(1)),
  'typed arrays of different types': (rank) => (rank === 0 ? Int32Array.of(1) : Float64Array.of(1)),
  strings: () => 'text',
  'bigint with number': (rank) => (rank === 0 ? 1n : 1),
  // Large enough for the algorithms that split vectors into blocks.
  'large arrays of unequal length': (rank) => new Float64Array(rank === 0 ? 10_008 : 10_000),
};

export const badReduction = defineProgram(async (comm, name: string) => comm.allreduce(BAD_REDUCTION_VALUES[name]!(comm.rank), SUM));

/**
 * Ranks 0 and 1 pass a token back and forth until `seconds` have gone by, then return how often:
 * a job that never yields its thread by itself. How each rank's loop ended (ranks in this thread only).
 */
export const pingPongEnded: Record<number, string> = {};
export const pingPongFor = defineProgram(async (comm, input: { seconds: number }) => {
  const until = Date.now() + input.seconds * 1000;
  let rounds = 0;
  try {
    while (Date.now() < until) {
      if (comm.rank === 0) {
        await comm.send(rounds, 1);
        await comm.recv(1);
      } else if (comm.rank === 1) {
        await comm.send(await comm.recv(0), 0);
      }
      rounds++;
    }
    pingPongEnded[comm.rank] = 'its own end';
  } catch (error) {
    pingPongEnded[comm.rank] = (error as Error).name;
    throw error;
  }
  return rounds;
});
