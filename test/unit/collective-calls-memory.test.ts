import { describe, expect, it } from 'vitest';
import { Request, SUM, defineProgram, runLocal } from '../../src/index.ts';
import { heapAfterGc } from './heap.ts';


const CALLS = 20_000;
/** What may stay per collective call once it is done: nothing but noise (a call's identity is kept in a fixed ring). */
const BYTES_LEFT_PER_CALL = 20;

/**
 * Every rank makes CALLS collective calls (nonblocking ones in batches, a blocking one between),
 * twice; rank 0 measures the heap before and after the second round: what a communicator keeps
 * per call (its number, its identity, early messages) must not grow with the calls made.
 */
const manyCalls = defineProgram(async (comm) => {
  let left = 0;
  for (let round = 0; round < 2; round++) {
    const before = comm.rank === 0 ? heapAfterGc() : 0;
    for (let call = 0; call < CALLS; call += 10) {
      const batch = Array.from({ length: 9 }, (_, i) => (i % 3 === 0 ? comm.ibcast(call + i, i % comm.size) : comm.iallreduce(i, SUM)));
      await comm.barrier();
      await Request.waitall<unknown>(batch);
    }
    if (comm.rank === 0) left = heapAfterGc() - before;
  }
  return left;
});

describe('collective calls keep bounded state', () => {
  it(`${CALLS} collective calls, nine in flight at a time, leave nothing behind per call`, async () => {
    const r = await runLocal(manyCalls, { size: 3, timeoutMs: 120_000 });
    expect(r.result).toBeLessThan(CALLS * BYTES_LEFT_PER_CALL);
  }, 180_000);
});
