import { describe, expect, it } from 'vitest';
import { ANY_TAG, JobTimeoutError, PROC_NULL, RankFailedError } from '../../src/index.ts';
import * as nonblocking from './programs/nonblocking.ts';
import { rejection, runOn, unhandledRejections, type ConformanceTarget } from './target.ts';

/** A job that should end in seconds fails well before vitest's own timeout if it hangs instead. */
const HANG_TIMEOUT_MS = 15_000;

export function nonblockingCases(target: ConformanceTarget): void {
  describe(`nonblocking point-to-point over ${target.name}`, () => {
    const unhandled = unhandledRejections();

    for (const size of target.sizes) {
      it(`isend/irecv pass values around a ring of ${size}`, async () => {
        const r = await runOn(target, nonblocking.isendIrecvRing, { size });
        expect(r.results).toEqual(Array.from({ length: size }, (_, rank) => {
          const left = (rank - 1 + size) % size;
          return { value: { from: left }, nothing: undefined, status: { source: left, tag: 3, bytes: expect.any(Number) } };
        }));
      });
    }

    it('receives posted before the messages arrive match in the order they were posted, blocking ones included', async () => {
      const r = await runOn(target, nonblocking.postedOrder, { size: 2 });
      expect(r.results[1]).toEqual({ sameTag: ['a', 'b', 'c'], tagTwo: 'y', anyTag: 'x', blocking: 'blocking' });
    });

    it('ANY_SOURCE irecvs each take one message, with its true source and tag', async () => {
      const size = Math.min(7, Math.max(...target.sizes));
      const r = await runOn(target, nonblocking.anySourceIrecvs, { size });
      expect(r.result).toEqual(Array.from({ length: size - 1 }, (_, i) => ({ value: (i + 1) * 10, source: i + 1, tag: 7 })));
    });

    it('issend completes only once a receive took its message: not when it arrived, nor for a probe; a posted irecv takes it without a wait', async () => {
      const r = await runOn(target, nonblocking.issendCompletesWhenMatched, { size: 2, timeoutMs: HANG_TIMEOUT_MS });
      expect(r.results).toEqual([{ beforeReceive: false }, { probed: 1, first: 'synchronous', second: 'to a posted irecv' }]);
    });

    it('issend to oneself completes when this rank receives it', async () => {
      const r = await runOn(target, nonblocking.issendToSelf, { size: 2, timeoutMs: HANG_TIMEOUT_MS });
      expect(r.results).toEqual([{ me: 0 }, { me: 1 }]);
    });

    it('cancel withdraws an unmatched irecv (the message goes to the next receive), leaves a matched one alone, and refuses a send', async () => {
      const r = await runOn(target, nonblocking.cancelReceive, { size: 2, timeoutMs: HANG_TIMEOUT_MS });
      expect(r.results).toEqual([
        { refused: { type: 'InvalidArgumentError', argument: 'request' } },
        {
          cancelled: true,
          cancelledAtOnce: { done: true, value: undefined },
          status: null,
          next: 'for the blocking receive',
          matchedCancelled: false,
          matchedValue: 'matched before cancel',
          unsent: 'a send',
        },
      ]);
    });

    it('test, testany and testall say not done before the message can have come, and give the values once it came', async () => {
      const r = await runOn(target, nonblocking.testBeforeAndAfter, { size: 2 });
      expect(r.results[1]).toEqual({
        before: { test: { done: false }, testany: null, testall: { done: false } },
        after: { test: { done: true, value: 'one' }, testany: { index: 0, value: 'two' }, testall: { done: true, values: ['three'] } },
        spent: { type: 'InvalidArgumentError', argument: 'request' },
        status: { source: 0, tag: 10, bytes: expect.any(Number) },
      });
    });

    it('waitany, waitsome and testany report requests in the order they completed, then say none is left', async () => {
      const size = Math.min(4, Math.max(...target.sizes));
      if (size < 3) return;
      // Neither ascending nor descending when there are three senders.
      const order = size === 4 ? [3, 1, 2] : [2, 1];
      const r = await runOn(target, nonblocking.completionOrder, { size, input: order });
      const indices = order.map((sender) => sender - 1);
      expect(r.result).toEqual({
        byWaitany: indices,
        exhausted: { index: undefined, value: undefined },
        bySome: { indices, values: order.map((sender) => `2 from ${sender}`) },
        nothingLeft: { indices: [], values: [] },
        byTestany: indices,
        testanyExhausted: { index: undefined, value: undefined },
      });
    });

    it('a rank that fails while another waits in waitall fails the job naming it, and a never-waited irecv raises no unhandled rejection', async () => {
      delete nonblocking.waitallOutcome.error;
      const error = await rejection(runOn(target, nonblocking.waitallWithFailingRank, { size: 3, timeoutMs: 10 * 60_000 }));
      expect(error).toBeInstanceOf(RankFailedError);
      expect(error).toMatchObject({ rank: 2, remote: { message: 'rank 2 fails while rank 0 waits in waitall' } });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
      if (target.threads) return;
      await until(() => nonblocking.waitallOutcome.error !== undefined);
      expect(nonblocking.waitallOutcome.error).toBe('JobAbortedError');
    });

    it('PROC_NULL: sends to it do nothing, receives and probes from it complete at once with no value, sendrecv shifts a non-periodic chain', async () => {
      const size = Math.min(3, Math.max(...target.sizes));
      const r = await runOn(target, nonblocking.procNull, { size, timeoutMs: HANG_TIMEOUT_MS });
      const nullStatus = { source: PROC_NULL, tag: ANY_TAG, bytes: 0 };
      expect(r.results).toEqual(Array.from({ length: size }, (_, rank) => ({
        received: { value: undefined, source: PROC_NULL, tag: ANY_TAG },
        immediately: { done: true, value: undefined },
        status: nullStatus,
        probed: nullStatus,
        iprobed: nullStatus,
        shifted: rank === 0 ? null : `from ${rank - 1}`,
      })));
    });

    it('a Request is not a thenable; waiting it twice, or a bad argument, is an InvalidArgumentError at the call', async () => {
      const r = await runOn(target, nonblocking.requestHandling, { size: 2 });
      const refused = (argument: string) => ({ type: 'InvalidArgumentError', argument, message: expect.any(String) });
      expect(r.results[1]).toMatchObject({
        isRequest: true,
        hasThen: false,
        first: 'to myself',
        secondWait: { ...refused('request'), message: expect.stringMatching(/already waited or tested to completion/) },
        waitallSpent: refused('requests'),
        waitanySkipsSpent: { index: undefined, value: undefined },
        badDest: { ...refused('dest'), message: expect.stringMatching(/dest must be an integer rank in 0\.\.1 or PROC_NULL \(-2\); received 2/) },
        badSource: refused('source'),
        badTag: refused('tag'),
        notRequests: { ...refused('requests'), message: expect.stringMatching(/must hold only Requests, and holds "x"/) },
        notAnArray: refused('requests'),
        unsendable: { type: expect.any(String) },
      });
      expect((r.results[1] as { unsendable: unknown }).unsendable).not.toBe('accepted');
    });

    it('a job past its timeout names what each rank waits on: a request it waits for, never an irecv it only posted', async () => {
      const timeoutMs = Math.max(300, target.timeoutMs / 100);
      const error = await rejection(runOn(target, nonblocking.requestsThatWaitForever, { size: 4, timeoutMs }));
      expect(error).toBeInstanceOf(JobTimeoutError);
      expect(error.running).toEqual([
        { rank: 1, operation: 'recv', source: 0, tag: 6, silent: false },
        { rank: 2, operation: 'irecv', source: 0, tag: 7, silent: false },
        { rank: 3, operation: 'issend', source: 0, tag: 8, silent: false },
      ]);
    });

    it('requests on a split communicator speak its ranks and never take the parent\'s messages', async () => {
      const size = Math.min(7, Math.max(...target.sizes));
      if (size < 2) return;
      const r = await runOn(target, nonblocking.onSplitCommunicator, { size, timeoutMs: HANG_TIMEOUT_MS });
      // Each half is ordered by descending world rank (key = -rank).
      const halves = [0, 1].map((color) => Array.from({ length: size }, (_, rank) => rank).filter((rank) => rank % 2 === color).reverse());
      expect(r.results).toEqual(Array.from({ length: size }, (_, rank) => {
        const half = halves[rank % 2]!;
        const halfRank = half.indexOf(rank);
        const left = (halfRank - 1 + half.length) % half.length;
        return { halfRank, value: half[left], status: { source: left, tag: 4, bytes: expect.any(Number) }, fromLeft: left, world: 'on the world' };
      }));
    });

    it('many receives outstanding at once each get the message of their position', async () => {
      const r = await runOn(target, nonblocking.manyOutstanding, { size: 2, input: 500 });
      expect(r.result).toEqual({ misplaced: 0 });
    });

    it('a posted irecv fills while the rank does something else, without a wait', async () => {
      const r = await runOn(target, nonblocking.fillsWithoutWait, { size: 2 });
      expect(r.result).toEqual({ done: true, status: { source: 1, tag: 1, bytes: expect.any(Number) }, value: { done: true, value: 'early' } });
    });
  });
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}
