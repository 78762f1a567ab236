import { describe, expect, it } from 'vitest';
import * as communicators from './programs/communicators.ts';
import { runOn, type ConformanceTarget } from './target.ts';

export function communicatorCases(target: ConformanceTarget): void {
  describe(`split and dup over ${target.name}`, () => {
    for (const size of target.sizes.filter((s) => s >= 2)) {
      it(`split by parity with reversed keys gives ordered sub-communicators on ${size} ranks`, async () => {
        const r = await runOn(target, communicators.splitByParity, { size });
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
      const r = await runOn(target, communicators.dupIsolation, { size: 3 });
      expect(r.results[1]).toEqual({
        onDup: { value: 'on dup', source: 0, tag: 1 },
        onParent: { value: 'on parent', source: 0, tag: 1 },
        dupSize: 3,
        dupRank: 1,
      });
    });

    it('user messages never match collective traffic on the same communicator', async () => {
      const r = await runOn(target, communicators.userBesideCollective, { size: 2 });
      expect(r.results[1]).toEqual({ value: 'from bcast', user: { value: 'user', source: 0, tag: 0 } });
    });

    it('nested splits keep working and are isolated from each other', async () => {
      const r = await runOn(target, communicators.nestedSplits, { size: 8 });
      expect(r.results).toEqual(Array.from({ length: 8 }, () => [2, 4, 8]));
    });
  });
}
