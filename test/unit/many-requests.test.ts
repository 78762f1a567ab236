import { describe, expect, it } from 'vitest';
import { Request, defineProgram, runLocal } from '../../src/index.ts';
import { heapAfterGc } from './heap.ts';


const COUNT = 10_000;
/**
 * A generous bound per outstanding receive: a Request, its posted-list node and its handler
 * take a few hundred bytes. A timer or a promise chain per request, or nodes kept after
 * completion, would cross it.
 */
const BYTES_PER_OUTSTANDING_RECEIVE = 1024;
/** What may stay per request once every request is done and dropped: nothing but noise. */
const BYTES_LEFT_PER_FINISHED_RECEIVE = 100;

/**
 * Rank 0 posts COUNT receives and measures the heap they hold; then (by `finish`) lets rank 1
 * send them their messages, or cancels them, drops them, and measures what is left. It does so
 * twice and reports the second round: what the first leaves once and for all (compiled code,
 * caches grown to their size) is not what a request keeps, and a leak grows in every round.
 */
const ROUNDS = 2;
const manyReceives = defineProgram(async (comm, finish: 'messages' | 'cancel') => {
  if (comm.rank === 1) {
    if (finish === 'cancel') return undefined;
    for (let round = 0; round < ROUNDS; round++) {
      await comm.recv(0, 1);
      await Request.waitall(Array.from({ length: COUNT }, (_, i) => comm.isend(i, 0, 2)));
      await comm.send('sent', 0, 3);
    }
    return undefined;
  }
  let measured = { outstanding: 0, left: 0, sum: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const before = heapAfterGc();
    let requests: Request<number>[] | undefined = Array.from({ length: COUNT }, () => comm.irecv<number>(1, 2));
    const outstanding = heapAfterGc() - before;
    let sum = 0;
    if (finish === 'messages') {
      await comm.send('go', 1, 1);
      for (const value of await Request.waitall(requests)) sum += value!;
      await comm.recv(1, 3); // rank 1's own requests (in this heap too) are gone by now
    } else {
      for (const request of requests) request.cancel();
      const cancelled = Request.testall(requests);
      if (!cancelled.done || !requests.every((request) => request.cancelled)) throw new Error('cancel did not complete every receive');
    }
    requests = undefined;
    measured = { outstanding, left: heapAfterGc() - before, sum };
  }
  return measured;
});

describe(`${COUNT} outstanding irecvs on one rank`, () => {
  it('work, and hold a bounded amount of memory each while outstanding and none once finished', async () => {
    const r = await runLocal(manyReceives, { size: 2, input: 'messages' as const });
    const { outstanding, left, sum } = r.result as { outstanding: number; left: number; sum: number };
    console.log(`${COUNT} outstanding irecvs: ${Math.round(outstanding / COUNT)} bytes each; ${Math.round(left / COUNT)} bytes each left after completion`);
    expect(sum).toBe((COUNT * (COUNT - 1)) / 2);
    expect(outstanding / COUNT).toBeLessThan(BYTES_PER_OUTSTANDING_RECEIVE);
    expect(left / COUNT).toBeLessThan(BYTES_LEFT_PER_FINISHED_RECEIVE);
  });

  it('cancelled, leave nothing behind on the matching engine', async () => {
    const r = await runLocal(manyReceives, { size: 2, input: 'cancel' as const });
    const { outstanding, left } = r.result as { outstanding: number; left: number };
    expect(outstanding / COUNT).toBeLessThan(BYTES_PER_OUTSTANDING_RECEIVE);
    expect(left / COUNT).toBeLessThan(BYTES_LEFT_PER_FINISHED_RECEIVE);
  });
});
