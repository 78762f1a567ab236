import { describe, expect, it } from 'vitest';
import { ANY_TAG, RankFailedError } from '../../src/index.ts';
import * as programs from './programs/nonblocking-collectives.ts';
import { namedWaits, rejection, runOn, unhandledRejections, type ConformanceTarget } from './target.ts';

/** A job that should end in seconds fails well before vitest's own timeout if it hangs instead. */
const HANG_TIMEOUT_MS = 20_000;

/** What every rank of `everyCollective` must get. */
function everyCollectiveExpected(rank: number, size: number) {
  const all = Array.from({ length: size }, (_, r) => r);
  const total = (size * (size + 1)) / 2;
  return {
    barrier: undefined,
    bcast: all.map((root) => ({ from: root, list: [root, 'x'] })),
    scatter: all.map((root) => `${root}->${rank}`),
    gather: all.map((root) => (rank === root ? all.map((r) => ({ rank: r })) : undefined)),
    allgather: all.map((r) => r * 10),
    alltoall: all.map((source) => [source, rank]),
    reduce: all.map((root) => (rank === root ? total : undefined)),
    reduceOrdered: rank === size - 1 ? all.map((r) => `${r};`).join('') : undefined,
    allreduce: size - 1,
    allreduceInto: [(size * (size - 1)) / 2, size],
    scan: ((rank + 1) * (rank + 2)) / 2,
    exscan: rank === 0 ? undefined : (rank * (rank + 1)) / 2,
  };
}

/** Sizes for the cases that run at several: the target's own, at most 4 ranks but for one larger size inline. */
function sizesOf(target: ConformanceTarget): number[] {
  const small = target.sizes.filter((size) => size <= 4);
  const large = target.sizes.filter((size) => size > 4 && size <= 16);
  return target.threads || target.name.includes('SQS') || target.simulatedClock ? small : [...small, ...large.slice(-1)];
}

/**
 * The nonblocking collectives (mpi4py's test_cco_nb.py as the model of coverage) and the checks
 * every collective call gets: its messages carry which call they belong to, so many can be in
 * flight at once without crossing and a rank that meets another call's message fails the job
 * naming both; messages never received are reported with the result.
 */
export function nonblockingCollectiveCases(target: ConformanceTarget): void {
  describe(`nonblocking collectives and collective checks over ${target.name}`, () => {
    const unhandled = unhandledRejections();

    for (const size of sizesOf(target)) {
      it(`each i-collective's wait gives what the blocking call gives, at every root, on ${size} ranks`, async () => {
        const r = await runOn(target, programs.everyCollective, { size });
        expect(r.results).toEqual(Array.from({ length: size }, (_, rank) => everyCollectiveExpected(rank, size)));
        expect(r.unreceived).toBeUndefined();
      });
    }

    for (const size of sizesOf(target).filter((size) => size > 1)) {
      it(`many collectives in flight at once, mixed with blocking ones and waited in reverse, never cross, on ${size} ranks`, async () => {
        const rounds = 6;
        const r = await runOn(target, programs.manyInFlight, { size, input: { rounds }, timeoutMs: HANG_TIMEOUT_MS });
        expect(r.results).toEqual(Array.from({ length: size }, (_, rank) => programs.manyInFlightExpected(rank, size, rounds)));
        expect(r.unreceived).toBeUndefined();
      });
    }

    it('waitany and waitsome report collective requests once each, waitall the rest; cancel is refused', async () => {
      const size = 3;
      const r = await runOn(target, programs.waitanyWaitsome, { size, timeoutMs: HANG_TIMEOUT_MS });
      expect(r.results).toEqual(Array.from({ length: size }, (_, rank) => ({
        size,
        seen: [[0, 3], [1, 'from 0'], [2, [0, 1, 2]], [3, rank === 0 ? undefined : rank], [4, undefined]],
        refused: { type: 'InvalidArgumentError', argument: 'request' },
      })));
    });

    it('a started collective completes while its ranks only yield to the event loop and test, never wait', async () => {
      const size = 4;
      const r = await runOn(target, programs.progressWithoutWait, { size, timeoutMs: HANG_TIMEOUT_MS });
      expect(r.results).toEqual([10, 10, 10, 10]);
    });

    it('a job that never ends names what each rank waits on: a collective request it waits for, never one it only started', async () => {
      // Long enough for every rank's report over queues on a loaded machine; far from vitest's own timeout.
      const timeoutMs = Math.max(300, target.timeoutMs / 20);
      const error = await rejection(runOn(target, programs.collectivesThatWaitForever, { size: 3, timeoutMs }));
      expect(namedWaits(error)).toEqual([
        { rank: 1, operation: 'recv', source: 0, tag: 6 },
        { rank: 2, operation: 'ibcast', source: 0, tag: ANY_TAG },
      ]);
    });

    it('a rank that fails while the others wait in waitall on collectives fails the job naming it, with no unhandled rejection', async () => {
      const error = await rejection(runOn(target, programs.failWhileWaiting, { size: 3, timeoutMs: HANG_TIMEOUT_MS }));
      expect(error).toBeInstanceOf(RankFailedError);
      expect(error).toMatchObject({ rank: 2, remote: { message: 'rank 2 fails while the others wait in waitall' } });
      expect(unhandled).toEqual([]);
    });

    for (const size of [2, 3]) {
      it(`rank 0 in bcast while the others are in reduce fails the job naming both calls, on ${size} ranks`, async () => {
        const error = await rejection(runOn(target, programs.bcastAgainstReduce, { size, timeoutMs: HANG_TIMEOUT_MS }));
        expect(error).toBeInstanceOf(RankFailedError);
        expect(error.remote).toMatchObject({ name: 'CollectiveMismatchError' });
        expect(error.remote.message).toMatch(/^rank \d in (reduce\(root 0\) received rank 0's bcast\(root 0\)|bcast\(root 0\) received rank \d's reduce\(root 0\)) message: every rank must call the same collectives in the same order$/);
      });
    }

    it('a call whose message came before this rank made the communicator is checked all the same, naming both calls', async () => {
      const error = await rejection(runOn(target, programs.mismatchBeforeTheCommunicator, { size: 2, timeoutMs: HANG_TIMEOUT_MS }));
      expect(error).toBeInstanceOf(RankFailedError);
      expect(error.remote.message).toBe("rank 0 in bcast(root 0) received rank 1's reduce(root 0) message: every rank must call the same collectives in the same order");
    });

    it('ranks in bcast with different roots fail the job naming both roots', async () => {
      const error = await rejection(runOn(target, programs.differentRoots, { size: 3, timeoutMs: HANG_TIMEOUT_MS }));
      expect(error).toBeInstanceOf(RankFailedError);
      expect(error.remote.name).toBe('CollectiveMismatchError');
      expect(error.remote.message).toMatch(/bcast\(root 1\).*bcast\(root 0\)|bcast\(root 0\).*bcast\(root 1\)/);
    });

    it('an ibcast against iallreduces fails the job naming both calls', async () => {
      const error = await rejection(runOn(target, programs.nonblockingMismatch, { size: 3, timeoutMs: HANG_TIMEOUT_MS }));
      expect(error).toBeInstanceOf(RankFailedError);
      expect(error.remote.name).toBe('CollectiveMismatchError');
      expect(error.remote.message).toMatch(/bcast\(root 0\).*allreduce|allreduce.*bcast\(root 0\)/);
      expect(unhandled).toEqual([]);
    });

    it('messages never received are reported with the result, by receiver, sender, communicator and tag', async () => {
      const r = await runOn(target, programs.leftUnreceived, { size: 3 });
      expect(r.results).toEqual([0, 1, 2]);
      expect(r.unreceived).toEqual([
        { rank: 1, source: 0, communicator: 'w', tag: 5, count: 2 },
        { rank: 1, source: 0, communicator: 'w', tag: 6, count: 1 },
        { rank: 1, source: 0, communicator: 'w.d0', tag: 5, count: 1 },
      ]);
    });
  });
}
