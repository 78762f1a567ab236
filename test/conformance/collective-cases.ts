import { describe, expect, it } from 'vitest';
import * as collectives from './programs/collectives.ts';
import { runOn, type ConformanceTarget } from './target.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export function collectiveCases(target: ConformanceTarget): void {
  describe(`collectives over ${target.name}`, () => {
    for (const size of target.sizes) {
      it(`barrier holds every rank until all ${size} have entered`, async () => {
        const r = await runOn(target, collectives.barrierTimes, { size });
        const lastEntered = Math.max(...r.results.map((t: any) => t.entered));
        expect(r.results.filter((t: any) => t.left < lastEntered)).toEqual([]);
      });

      it(`bcast, scatter, gather and allgather from every kind of root on ${size} ranks`, async () => {
        const roots = [...new Set([0, size - 1, Math.floor(size / 2)])];
        const r = await runOn(target, collectives.rootedCollectives, { size, input: roots });
        r.results.forEach((got, rank) => {
          const expected: unknown[] = [];
          for (const root of roots) {
            expected.push({ root, data: [root, 'x'] });
            expected.push(`item ${rank}`);
            expected.push(rank === root ? range(size).map((i) => i * 10) : undefined);
          }
          expected.push(range(size).map((i) => ({ r: i })));
          expect(got).toEqual(expected);
        });
      });

      it(`bcasts values too large for a queue message intact on ${size} ranks, each rank getting a copy of its own`, async () => {
        const r = await runOn(target, collectives.largeBcasts, { size });
        expect(r.results).toEqual(range(size).map(() => ({ intact: true, own: true, type: 'Float64Array' })));
      });

      it(`alltoall exchanges one value with every rank on ${size} ranks`, async () => {
        const r = await runOn(target, collectives.alltoallNames, { size });
        r.results.forEach((got, rank) => expect(got).toEqual(range(size).map((i) => `${i}->${rank}`)));
      });

      it(`reduce, allreduce, scan and exscan with SUM on ${size} ranks, numbers and Float64Arrays`, async () => {
        const root = size - 1;
        const r = await runOn(target, collectives.sumReductions, { size, input: root });
        const total = (size * (size + 1)) / 2;
        const vectorSum = range(5).map((i) => 10 * ((size * (size - 1)) / 2) + size * i);
        r.results.forEach((got, rank) => {
          expect(got).toEqual({
            reduce: rank === root ? total : undefined,
            reduceVector: rank === root ? { type: 'Float64Array', values: vectorSum } : undefined,
            allreduce: total,
            allreduceVector: vectorSum,
            scan: ((rank + 1) * (rank + 2)) / 2,
            exscan: rank === 0 ? undefined : (rank * (rank + 1)) / 2,
          });
        });
      });

      it(`reduces vectors large enough to be split (Rabenseifner) correctly at every root on ${size} ranks, leaving the input untouched`, async () => {
        const r = await runOn(target, collectives.splitVectorReductions, { size });
        expect(r.results.flat()).toEqual([]);
      });

      it(`allreduce results are the ranks' own: one rank changing its result at once leaves the others' intact, on ${size} ranks`, async () => {
        const r = await runOn(target, collectives.resultsAreIndependent, { size });
        expect(r.results).toEqual(range(size).map(() => 0));
      });

      it(`allreduce into the ranks' own arrays: one rank changing its array at once leaves the others' intact, on ${size} ranks`, async () => {
        const r = await runOn(target, collectives.resultsAreIndependent, { size, input: true });
        expect(r.results).toEqual(range(size).map(() => 0));
      });

      it(`a non-commutative user op sees operands in rank order on ${size} ranks`, async () => {
        const r = await runOn(target, collectives.nonCommutativeOrder, { size });
        const letters = range(size).map((i) => String.fromCharCode(65 + (i % 26)));
        r.results.forEach((got, rank) => {
          expect(got).toEqual({
            reduceAtLast: rank === size - 1 ? letters.join('') : undefined,
            allreduce: letters.join(''),
            scan: letters.slice(0, rank + 1).join(''),
            exscan: rank === 0 ? undefined : letters.slice(0, rank).join(''),
          });
        });
      });
    }

    it('every built-in op on numbers, bigints, booleans and arrays', async () => {
      const size = Math.min(7, Math.max(...target.sizes));
      const r = await runOn(target, collectives.everyBuiltinOp, { size });
      const ranks = range(size);
      const signed = ranks.map((i) => i * (i % 2 ? -1 : 1));
      const expected = {
        sum: ranks.reduce((a, i) => a + i + 0.5, 0),
        prod: ranks.reduce((a, i) => a * (i + 1), 1),
        max: Math.max(...signed),
        min: Math.min(...signed),
        bigSum: BigInt(ranks.reduce((a, i) => a + i, 0)) * 10n ** 20n,
        land: size <= 3,
        lor: size > 2,
        lxor: ranks.filter((i) => i % 2 === 1).length % 2 === 1,
        band: ranks.reduce((a, i) => a & (0b1111 ^ (1 << i % 4)), 0b1111),
        bor: ranks.reduce((a, i) => a | (1 << i), 0),
        bxor: ranks.reduce((a, i) => a ^ i, 0),
        bandBig: 2 ** 40,
        arraySum: [ranks.reduce((a, i) => a + i, 0), 2 * ranks.reduce((a, i) => a + i, 0)],
        int32Band: [0b111, ranks.reduce((a, i) => a & (-1 ^ i), -1)],
        uint8Max: Uint8Array.of(size - 1, 255),
        bigintArraySum: [BigInt(ranks.reduce((a, i) => a + i, 0))],
        // MAXLOC ties break to the lower index; the value 2 first appears at rank 2.
        maxloc: size > 2 ? [2, 2] : [size - 1, size - 1],
        // MINLOC: value 0 at ranks 0, 3, 6 with index size-1-r: the lowest index is the last such rank.
        minloc: [0, size - 1 - ranks.filter((i) => i % 3 === 0).at(-1)!],
      };
      r.results.forEach((got) => expect(got).toEqual(expected));
    });
  });
}
