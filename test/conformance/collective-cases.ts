import { describe, expect, it } from 'vitest';
import {
  BAND, BOR, BXOR, LAND, LOR, LXOR, MAX, MAXLOC, MIN, MINLOC, Op, PROD, SUM, defineProgram,
} from '../../src/index.ts';
import { runOn, type ConformanceTarget } from './target.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Non-commutative and associative: string concatenation shows the order operands were combined in. */
const CONCAT = Op.create((a: string, b: string) => a + b, false);

export function collectiveCases(target: ConformanceTarget): void {
  describe(`collectives over ${target.name}`, () => {
    for (const size of target.sizes) {
      it(`barrier holds every rank until all ${size} have entered`, async () => {
        let entered = 0;
        const program = defineProgram(async (comm) => {
          // Stagger arrivals so that an early exit would be seen.
          await new Promise((resolve) => setTimeout(resolve, (comm.rank * 7) % 23));
          entered++;
          await comm.barrier();
          const seen = entered;
          await comm.barrier();
          return seen;
        });
        const r = await runOn(target, program, { size });
        expect(r.results).toEqual(range(size).map(() => size));
      });

      it(`bcast, scatter, gather and allgather from every kind of root on ${size} ranks`, async () => {
        const roots = [...new Set([0, size - 1, Math.floor(size / 2)])];
        const program = defineProgram(async (comm, roots: number[]) => {
          const out: unknown[] = [];
          for (const root of roots) {
            out.push(await comm.bcast(comm.rank === root ? { root, data: [root, 'x'] } : undefined, root));
            out.push(await comm.scatter(comm.rank === root ? range(comm.size).map((i) => `item ${i}`) : undefined, root));
            out.push(await comm.gather(comm.rank * 10, root));
          }
          out.push(await comm.allgather({ r: comm.rank }));
          return out;
        });
        const r = await runOn(target, program, { size, input: roots });
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
        const program = defineProgram(async (comm) => {
          const root = comm.size - 1;
          const vector = comm.rank === root ? Float64Array.from({ length: 65_536 }, (_, i) => i * 3 + 0.5) : undefined;
          const text = comm.rank === root ? { note: 'x'.repeat(300_000), root } : undefined;
          const gotVector = await comm.bcast(vector, root);
          const gotText = await comm.bcast(text, root);
          const intact = gotVector!.every((x, i) => x === i * 3 + 0.5) && gotText!.note.length === 300_000 && gotText!.root === root;
          gotVector![0] = -comm.rank; // changes this rank's copy only
          await comm.barrier();
          return { intact, own: gotVector![0] === -comm.rank, type: gotVector!.constructor.name };
        });
        const r = await runOn(target, program, { size });
        expect(r.results).toEqual(range(size).map(() => ({ intact: true, own: true, type: 'Float64Array' })));
      });

      it(`alltoall exchanges one value with every rank on ${size} ranks`, async () => {
        const program = defineProgram(async (comm) => comm.alltoall(range(comm.size).map((j) => `${comm.rank}->${j}`)));
        const r = await runOn(target, program, { size });
        r.results.forEach((got, rank) => expect(got).toEqual(range(size).map((i) => `${i}->${rank}`)));
      });

      it(`reduce, allreduce, scan and exscan with SUM on ${size} ranks, numbers and Float64Arrays`, async () => {
        const root = size - 1;
        const program = defineProgram(async (comm, root: number) => {
          const vector = Float64Array.from({ length: 5 }, (_, i) => comm.rank * 10 + i);
          const reduced = await comm.reduce(vector, SUM, root);
          return {
            reduce: await comm.reduce(comm.rank + 1, SUM, root),
            reduceVector: reduced && { type: reduced.constructor.name, values: Array.from(reduced) },
            allreduce: await comm.allreduce(comm.rank + 1),
            allreduceVector: Array.from(await comm.allreduce(vector, SUM)),
            scan: await comm.scan(comm.rank + 1),
            exscan: await comm.exscan(comm.rank + 1),
          };
        });
        const r = await runOn(target, program, { size, input: root });
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
        const USER_SUM = Op.create((a: Float64Array, b: Float64Array) => a.map((x, i) => x + b[i]!), true);
        const program = defineProgram(async (comm) => {
          const n = 8193; // just over 64 KiB of float64, and odd, so the halves are uneven
          const v = Float64Array.from({ length: n }, (_, i) => i * (comm.rank + 1) + comm.rank);
          const before = v.slice();
          const problems: string[] = [];
          for (const [name, op] of [['SUM', SUM], ['MAX', MAX], ['user', USER_SUM]] as const) {
            const expected = (i: number) => {
              let e = op === MAX ? -Infinity : 0;
              for (let r = 0; r < comm.size; r++) e = op === MAX ? Math.max(e, i * (r + 1) + r) : e + i * (r + 1) + r;
              return e;
            };
            const all = await comm.allreduce(v, op);
            if (!(all instanceof Float64Array) || all.some((x, i) => x !== expected(i))) problems.push(`allreduce ${name}`);
            for (const root of new Set([0, comm.size - 1, comm.size >> 1])) {
              const reduced = await comm.reduce(v, op, root);
              if (comm.rank === root && (!(reduced instanceof Float64Array) || reduced.some((x, i) => x !== expected(i)))) problems.push(`reduce ${name} at ${root}`);
            }
          }
          if (v.some((x, i) => x !== before[i])) problems.push('the input vector was changed');
          return problems;
        });
        const r = await runOn(target, program, { size });
        expect(r.results.flat()).toEqual([]);
      });

      it(`a non-commutative user op sees operands in rank order on ${size} ranks`, async () => {
        const program = defineProgram(async (comm) => {
          const mine = String.fromCharCode(65 + (comm.rank % 26));
          return {
            reduceAtLast: await comm.reduce(mine, CONCAT, comm.size - 1),
            allreduce: await comm.allreduce(mine, CONCAT),
            scan: await comm.scan(mine, CONCAT),
            exscan: await comm.exscan(mine, CONCAT),
          };
        });
        const r = await runOn(target, program, { size });
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
      const program = defineProgram(async (comm) => {
        const r = comm.rank;
        const all = <T>(v: T, op: Op) => comm.allreduce(v, op);
        return {
          sum: await all(r + 0.5, SUM),
          prod: await all(r + 1, PROD),
          max: await all(r * (r % 2 ? -1 : 1), MAX),
          min: await all(r * (r % 2 ? -1 : 1), MIN),
          bigSum: await all(BigInt(r) * 10n ** 20n, SUM),
          land: await all(r !== 3, LAND),
          lor: await all(r === 2, LOR),
          lxor: await all(r % 2 === 1, LXOR),
          band: await all(0b1111 ^ (1 << r % 4), BAND),
          bor: await all(1 << r, BOR),
          bxor: await all(r, BXOR),
          bandBig: await all(2 ** 40 + r, BAND),
          arraySum: await all([r, 2 * r], SUM),
          int32Band: Array.from(await all(Int32Array.of(0b111, -1 ^ r), BAND)),
          uint8Max: await all(Uint8Array.of(r, 255 - r), MAX),
          bigintArraySum: Array.from(await all(BigInt64Array.of(BigInt(r)), SUM)),
          maxloc: await all([r % 3, r], MAXLOC),
          minloc: await all([r % 3, comm.size - 1 - r], MINLOC),
        };
      });
      const r = await runOn(target, program, { size });
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
