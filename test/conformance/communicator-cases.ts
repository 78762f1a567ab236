import { describe, expect, it } from 'vitest';
import { ANY_SOURCE, ANY_TAG, SUM, defineProgram } from '../../src/index.ts';
import { runOn, type ConformanceTarget } from './target.ts';

export function communicatorCases(target: ConformanceTarget): void {
  describe(`split and dup over ${target.name}`, () => {
    for (const size of target.sizes.filter((s) => s >= 2)) {
      it(`split by parity with reversed keys gives ordered sub-communicators on ${size} ranks`, async () => {
        const program = defineProgram(async (comm) => {
          const half = await comm.split(comm.rank % 2, -comm.rank);
          const sum = await half.allreduce(comm.rank, SUM);
          const members = await half.allgather(comm.rank);
          // Point-to-point inside the sub-communicator uses its own ranks.
          let fromNeighbour: unknown;
          if (half.size > 1) {
            fromNeighbour = await half.sendrecv(comm.rank, (half.rank + 1) % half.size, (half.rank - 1 + half.size) % half.size);
          }
          return { rank: half.rank, size: half.size, sum, members, fromNeighbour };
        });
        const r = await runOn(target, program, { size });
        r.results.forEach((got, rank) => {
          const color = rank % 2;
          const members = Array.from({ length: size }, (_, i) => i).filter((i) => i % 2 === color).reverse();
          const mine = members.indexOf(rank);
          expect(got).toEqual({
            rank: mine,
            size: members.length,
            sum: members.reduce((a, b) => a + b, 0),
            members,
            fromNeighbour: members.length > 1 ? members[(mine - 1 + members.length) % members.length] : undefined,
          });
        });
      });
    }

    it('a dup never matches messages of its parent, even with ANY_SOURCE and ANY_TAG', async () => {
      const program = defineProgram(async (comm) => {
        const copy = comm.dup();
        if (comm.rank === 0) {
          await comm.send('on parent', 1, 1);
          await copy.send('on dup', 1, 1);
          return undefined;
        }
        if (comm.rank === 1) {
          const onDup = await copy.recvMessage(ANY_SOURCE, ANY_TAG);
          const onParent = await comm.recvMessage(ANY_SOURCE, ANY_TAG);
          return { onDup, onParent, dupSize: copy.size, dupRank: copy.rank };
        }
        return undefined;
      });
      const r = await runOn(target, program, { size: 3 });
      expect(r.results[1]).toEqual({
        onDup: { value: 'on dup', source: 0, tag: 1 },
        onParent: { value: 'on parent', source: 0, tag: 1 },
        dupSize: 3,
        dupRank: 1,
      });
    });

    it('user messages never match collective traffic on the same communicator', async () => {
      const program = defineProgram(async (comm) => {
        if (comm.rank === 1) {
          // Posted before rank 0 starts the bcast: it must wait for the user message, not take the bcast's.
          const user = comm.recvMessage(ANY_SOURCE, ANY_TAG);
          const value = await comm.bcast(undefined, 0);
          return { value, user: await user };
        }
        const value = await comm.bcast('from bcast', 0);
        if (comm.rank === 0) await comm.send('user', 1, 0);
        return { value };
      });
      const r = await runOn(target, program, { size: 2 });
      expect(r.results[1]).toEqual({ value: 'from bcast', user: { value: 'user', source: 0, tag: 0 } });
    });

    it('nested splits keep working and are isolated from each other', async () => {
      const program = defineProgram(async (comm) => {
        const quarter = await (await comm.split(comm.rank % 2)).split(comm.rank % 4 < 2 ? 0 : 1);
        const again = await comm.split(comm.rank % 2);
        return [await quarter.allreduce(1), await again.allreduce(1), await comm.allreduce(1)];
      });
      const r = await runOn(target, program, { size: 8 });
      expect(r.results).toEqual(Array.from({ length: 8 }, () => [2, 4, 8]));
    });
  });
}
