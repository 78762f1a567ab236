import { describe, expect, it } from 'vitest';
import { ANY_SOURCE, DeadlockError } from '../../src/index.ts';
import * as deadlocks from './programs/deadlocks.ts';
import { rejection, runOn, type ConformanceTarget } from './target.ts';

/** Far beyond the time a deadlock takes to be named: a job that fails by its timeout fails the case. */
const TIMEOUT_MS = 120_000;

/**
 * A job that can never finish (every rank still running is blocked in a communication call and
 * nothing in flight can free any of them) fails with DeadlockError naming its wait-for graph,
 * long before its timeout; jobs that only look stuck for a while (a rank late on a timer, busy in
 * synchronous code, or with an irecv posted while it computes) run to their end.
 */
export function deadlockCases(target: ConformanceTarget, how: { judgedByRankZero?: boolean } = {}): void {
  // Over SQS rank 0 judges from the ranks' heartbeats, seconds apart: one case there, the rest in-process.
  const inProcess = how.judgedByRankZero ? it.skip : it;
  // In-process the board names a deadlock in about half a second; rank 0's judge, which runs there
  // too, needs two heartbeats (10 s). A timeout between the two makes sure the board named it.
  const namedWithin = how.judgedByRankZero ? TIMEOUT_MS : 5_000;
  describe(`deadlocks over ${target.name}`, () => {
    it('two ranks that both receive first fail the job long before its timeout, naming each wait and the cycle', async () => {
      const error = await rejection(runOn(target, deadlocks.bothReceiveFirst, { size: 3, timeoutMs: namedWithin }));
      expect(error).toBeInstanceOf(DeadlockError);
      expect(error.blocked).toEqual([
        { rank: 0, operation: 'recv', source: 1, tag: 0, peer: 1 },
        { rank: 1, operation: 'recv', source: 0, tag: 0, peer: 0 },
      ]);
      expect(error.cycle).toEqual([0, 1, 0]);
      expect(error.message).toMatch(
        /deadlocked: rank 0 waits in recv\(source 1, tag 0\) and rank 1 waits in recv\(source 0, tag 0\); nothing is in flight that either could receive \(wait-for cycle: 0 → 1 → 0\)/,
      );
    });

    inProcess('a ring of receives names the whole cycle', async () => {
      const error = await rejection(runOn(target, deadlocks.ringOfReceives, { size: 4, timeoutMs: namedWithin }));
      expect(error).toBeInstanceOf(DeadlockError);
      expect(error.blocked.map((b: { peer: number }) => b.peer)).toEqual([3, 0, 1, 2]);
      expect(error.cycle).toEqual([0, 3, 2, 1, 0]);
    });

    inProcess('an ANY_SOURCE receive that no rank still running can feed is a deadlock without a cycle', async () => {
      const error = await rejection(runOn(target, deadlocks.anySourceNobodySends, { size: 3, timeoutMs: namedWithin }));
      expect(error).toBeInstanceOf(DeadlockError);
      expect(error.blocked).toEqual([{ rank: 0, operation: 'recv', source: ANY_SOURCE, tag: 7 }]);
      expect(error.cycle).toEqual([]);
      expect(error.message).toMatch(/rank 0 waits in recv\(source ANY_SOURCE, tag 7\).*wait-for graph: 0 → any/);
    });

    inProcess('waits on requests and in collectives are named too, with messages delivered but unmatched', async () => {
      const error = await rejection(runOn(target, deadlocks.requestsAndCollectives, { size: 3, timeoutMs: namedWithin }));
      expect(error).toBeInstanceOf(DeadlockError);
      expect(error.blocked).toEqual([
        expect.objectContaining({ rank: 0, operation: 'barrier' }),
        { rank: 1, operation: 'irecv', source: 0, tag: 4, peer: 0 },
        { rank: 2, operation: 'issend', source: 1, tag: 9, peer: 1 },
      ]);
      expect(error.message).toMatch(/rank 2 waits in issend\(dest 1, tag 9\)/);
    });

    inProcess('waits on a split communicator name its ranks and the world ranks behind them', async () => {
      const error = await rejection(runOn(target, deadlocks.splitPair, { size: 3, timeoutMs: namedWithin }));
      expect(error).toBeInstanceOf(DeadlockError);
      expect(error.blocked).toEqual([
        { rank: 1, operation: 'recv', source: 1, tag: 2, peer: 2 },
        { rank: 2, operation: 'recv', source: 0, tag: 2, peer: 1 },
      ]);
      expect(error.message).toMatch(/rank 1 waits in recv\(source 1 \(world rank 2\), tag 2\)/);
    });

    inProcess('is not fooled by a rank late on a timer while every other rank waits for it', async () => {
      const r = await runOn(target, deadlocks.slowRankOnATimer, { size: 3, timeoutMs: TIMEOUT_MS });
      expect(r.results).toEqual(['late', 'sent', 'late']);
    });

    inProcess('is not fooled by an ANY_SOURCE receive fed late', async () => {
      const r = await runOn(target, deadlocks.anySourceFedLate, { size: 3, timeoutMs: TIMEOUT_MS });
      expect(r.result).toBe(2);
    });

    inProcess('is not fooled by ranks exchanging round a ring with sendrecv', async () => {
      const r = await runOn(target, deadlocks.sendrecvRing, { size: 4, timeoutMs: TIMEOUT_MS });
      expect(r.results).toEqual([0, 1, 2, 3]);
    });

    inProcess('is not fooled by many ranks in a barrier while one is late', async () => {
      const size = Math.max(...target.sizes.filter((n) => n <= 16));
      const r = await runOn(target, deadlocks.lateToTheBarrier, { size, timeoutMs: TIMEOUT_MS });
      expect(r.results).toEqual(Array.from({ length: size }, (_, rank) => rank));
    });

    inProcess('is not fooled by a rank that posted an irecv and computes', async () => {
      const r = await runOn(target, deadlocks.postedIrecvWhileComputing, { size: 2, timeoutMs: TIMEOUT_MS });
      expect(r.result).toBe('ping back');
    });

    inProcess('is not fooled by a rank whose receive is on record while it computes synchronously', async () => {
      const r = await runOn(target, deadlocks.receiveThenSynchronousWork, { size: 2, timeoutMs: TIMEOUT_MS });
      expect(r.result).toBe('work done, thanks');
    });
  });
}
