import { describe, expect, it } from 'vitest';
import { JobTimeoutError, PROC_NULL } from '../../src/index.ts';
import * as topology from './programs/topology.ts';
import { rejection, runOn, type ConformanceTarget } from './target.ts';

/** Row-major coordinates (the last dimension fastest), as MPI numbers a grid: worked out here, apart from the library's. */
function coordsOf(rank: number, dims: readonly number[]): number[] {
  const coords: number[] = [];
  for (let d = dims.length - 1; d >= 0; d--) {
    coords.unshift(rank % dims[d]!);
    rank = Math.floor(rank / dims[d]!);
  }
  return coords;
}

function rankAt(coords: readonly number[], dims: readonly number[]): number {
  return coords.reduce((rank, c, d) => rank * dims[d]! + c, 0);
}

/** The rank `step` away along dimension d, or PROC_NULL past a non-periodic edge. */
function stepped(rank: number, d: number, step: number, dims: readonly number[], periods: readonly boolean[]): number {
  const coords = coordsOf(rank, dims);
  const c = coords[d]! + step;
  if (c < 0 || c >= dims[d]!) {
    if (!periods[d]) return PROC_NULL;
    coords[d] = ((c % dims[d]!) + dims[d]!) % dims[d]!;
  } else coords[d] = c;
  return rankAt(coords, dims);
}

/** What `rank` of a grid must report (topology.cartesianGrid). */
function expectedGridView(rank: number, dims: number[], periods: boolean[]) {
  const size = dims.reduce((a, b) => a * b, 1);
  // MPI's neighbor order: along each dimension, a step back, then a step ahead.
  const neighbors = dims.flatMap((_, d) => [stepped(rank, d, -1, dims, periods), stepped(rank, d, 1, dims, periods)]);
  return {
    rank,
    size,
    dims,
    periods,
    coords: coordsOf(rank, dims),
    coordsOfEveryRank: Array.from({ length: size }, (_, r) => coordsOf(r, dims)),
    rankOfOwnCoords: rank,
    shifts: dims.map((_, d) => ({ source: stepped(rank, d, -1, dims, periods), dest: stepped(rank, d, 1, dims, periods) })),
    backTwo: dims.map((_, d) => ({ source: stepped(rank, d, 2, dims, periods), dest: stepped(rank, d, -2, dims, periods) })),
    allgather: neighbors.map((n) => (n === PROC_NULL ? undefined : { from: n })),
    // Slot 2d comes from the rank a step back, which sent it ahead (its slot 2d+1); slot 2d+1 from the rank ahead, sent back.
    alltoall: neighbors.map((n, slot) => (n === PROC_NULL ? undefined : `${n}:${slot % 2 === 0 ? slot + 1 : slot - 1}`)),
    total: (size * (size - 1)) / 2,
    ring: (rank - 1 + size) % size,
  };
}

/**
 * Grids for a communicator of `size` ranks: a line filling it at every size; in 2 and 3
 * dimensions (one leaving a rank out, one with periodic extents 1 and 2) at one size each.
 */
function gridsFor(size: number): Array<{ dims: number[]; periods: boolean[] }> {
  const grids = [{ dims: [size], periods: [false] }];
  if (size === 3) grids.push({ dims: [1, 3], periods: [true, true] });
  if (size === 7) grids.push({ dims: [2, 3], periods: [true, false] });
  if (size === 16) grids.push({ dims: [2, 2, 4], periods: [false, true, true] });
  return grids;
}

/** A case whose bug would be a hang fails well before vitest's own timeout. */
const HANG_TIMEOUT_MS = 15_000;

const show = (members: number[], rank: number | undefined) => ({ size: members.length, rank, members });

export function topologyCases(target: ConformanceTarget): void {
  describe(`groups and Cartesian topologies over ${target.name}`, () => {
    // Group operations are local: one size shows them on every target (the differential test compares them with mpi4py's).
    for (const size of [Math.min(7, Math.max(...target.sizes))]) {
      it(`groups of ${size} ranks: the world's, a rank's own, the empty one, and union/intersection/difference/incl/excl in MPI's orders`, async () => {
        const r = await runOn(target, topology.groupOperations, { size });
        const all = Array.from({ length: size }, (_, i) => i);
        const reversed = [...all].reverse();
        const odd = all.filter((x) => x % 2 === 1);
        const low = all.filter((x) => x < Math.ceil(size / 2));
        const rankIn = (members: number[], rank: number) => (members.includes(rank) ? members.indexOf(rank) : undefined);
        r.results.forEach((got, rank) => {
          const of = (members: number[]) => show(members, rankIn(members, rank));
          const none = of([]);
          expect(got).toEqual({
            world: of(all),
            self: of([rank]),
            empty: none,
            // Union: the first group's members in its order, then the second's not in it, in the second's order.
            union: [of(all), of(all), of(all), of([rank, ...reversed.filter((x) => x !== rank)])],
            // Intersection and difference: the first group's members, in the first group's order.
            intersection: [none, none, of(all), of(reversed.filter((x) => low.includes(x)))],
            difference: [none, of(all), none, of(reversed.filter((x) => !odd.includes(x)))],
            incl: [of(all), of(reversed)],
            excl: [none, of(all), of(low)],
            oddWithLow: {
              union: of([...odd, ...low.filter((x) => !odd.includes(x))]),
              intersection: of(odd.filter((x) => low.includes(x))),
              difference: of(low.filter((x) => !odd.includes(x))),
            },
            translate: {
              repeated: [...all, ...all, ...all],
              procNull: new Array(5).fill(PROC_NULL),
              toEmpty: [...all.map(() => undefined), PROC_NULL],
              toReversed: all.map((x) => size - 1 - x),
              toSelf: all.map((x) => (x === rank ? 0 : undefined)),
            },
          });
        });
      });
    }

    for (const size of target.sizes) {
      it(`create and createGroup give communicators of the group's ranks in its order, undefined outside it, on ${size} ranks`, async () => {
        const r = await runOn(target, topology.communicatorsFromGroups, { size });
        const evens = Array.from({ length: size }, (_, i) => i).filter((x) => x % 2 === 0);
        const odds = Array.from({ length: size }, (_, i) => i).filter((x) => x % 2 === 1).reverse();
        r.results.forEach((got, rank) => {
          expect(got).toEqual({
            evens: evens.includes(rank) ? { rank: evens.indexOf(rank), size: evens.length, worldRanks: evens } : undefined,
            odds: odds.includes(rank) ? { rank: odds.indexOf(rank), size: odds.length, worldRanks: odds } : undefined,
            total: size,
          });
        });
      });

      for (const { dims, periods } of gridsFor(size)) {
        it(`createCart(${JSON.stringify(dims)}, periods ${JSON.stringify(periods)}) on ${size} ranks: coordinates, shifts (PROC_NULL at non-periodic edges), neighbors in MPI's order`, async () => {
          const r = await runOn(target, topology.cartesianGrid, { size, input: { dims, periods } });
          const inGrid = dims.reduce((a, b) => a * b, 1);
          r.results.forEach((got, rank) => {
            // Ranks are kept: grid rank = communicator rank; those beyond the grid get undefined.
            expect(got).toEqual({ worldRank: rank, cart: rank < inGrid ? expectedGridView(rank, dims, periods) : undefined });
          });
        });
      }
    }

    it('reorder, true or false, keeps every rank where it was; ranks beyond the grid get undefined', async () => {
      for (const reorder of [true, false]) {
        const r = await runOn(target, topology.cartesianGrid, { size: 5, input: { dims: [2, 2], periods: [false, false], reorder } });
        expect(r.results.map((got: any) => got.cart?.rank)).toEqual([0, 1, 2, 3, undefined]);
      }
    });

    it('on a periodic dimension of extent 1 or 2 (both neighbors the same rank), what a rank sends ahead arrives in its neighbor\'s back slot', async () => {
      const r = await runOn(target, topology.cartesianGrid, { size: 2, input: { dims: [2, 1], periods: [true, true] } });
      expect(r.results.map((got: any) => got.cart.alltoall)).toEqual([['1:1', '1:0', '0:3', '0:2'], ['0:1', '0:0', '1:3', '1:2']]);
    });

    it('grids of 1, 2 and 3 dimensions from computeDims agree on coordinates, ranks and shifts, and sub drops one dimension (test_topo)', async () => {
      const size = Math.min(7, Math.max(...target.sizes));
      const r = await runOn(target, topology.gridsOfEveryDimension, { size });
      for (const checks of r.results as any[]) {
        for (const { dims, rankKept, coordsAgree, subs } of checks) {
          expect({ rankKept, coordsAgree }).toEqual({ rankKept: true, coordsAgree: true });
          expect(subs).toEqual(dims.length > 1 ? dims.map((_: number, d: number) => {
            const kept = dims.filter((_x: number, i: number) => i !== d);
            return { dims: kept, size: kept.reduce((a: number, b: number) => a * b, 1) };
          }) : []);
        }
      }
    });

    it('sub keeps the chosen dimensions: each sub-grid is a grid and a communicator of the ranks that share the dropped coordinates', async () => {
      const r = await runOn(target, topology.subGrids, { size: 7 });
      expect(r.results[6]).toBeUndefined();
      for (let rank = 0; rank < 6; rank++) {
        const [row, column] = [Math.floor(rank / 3), rank % 3];
        expect(r.results[rank]).toEqual({
          'true,false': { rank: row, size: 2, dims: [2], periods: [true], coords: [row], worldRanks: [column, 3 + column], neighbors: [3 * (1 - row) + column, 3 * (1 - row) + column] },
          'false,true': {
            rank: column, size: 3, dims: [3], periods: [false], coords: [column], worldRanks: [3 * row, 3 * row + 1, 3 * row + 2],
            neighbors: [column > 0 ? rank - 1 : undefined, column < 2 ? rank + 1 : undefined],
          },
          'false,false': { rank: 0, size: 1, dims: [], periods: [], coords: [], worldRanks: [rank], neighbors: [] },
          'true,true': { rank, size: 6, dims: [2, 3], periods: [true, false], coords: [row, column], worldRanks: [0, 1, 2, 3, 4, 5], neighbors: expect.any(Array) },
        });
      }
    });

    it('communicators made every way (split, dup, create, createGroup, createCart, sub) never match each other\'s messages', async () => {
      const r = await runOn(target, topology.contextsNeverCollide, { size: 3, timeoutMs: HANG_TIMEOUT_MS });
      expect(r.results[0]).toEqual({
        received: ['create of createCart', 'cart dup', 'sub', 'createCart', 'createGroup reversed', 'createGroup again', 'createGroup', 'create', 'dup', 'split'],
        withTwo: 'withTwo',
      });
    });

    it('a job past its timeout names the rank waiting in a neighborhood collective and the neighbor it waits for', async () => {
      // Long enough for rank 0 to finish its part of the exchange first, also over faulty queues.
      const timeoutMs = Math.max(2_000, target.timeoutMs / 10);
      const error = await rejection(runOn(target, topology.neighborNeverJoined, { size: 3, timeoutMs }));
      expect(error).toBeInstanceOf(JobTimeoutError);
      expect(error.running).toEqual([
        { rank: 1, operation: 'neighborAllgather', source: 2, tag: expect.any(Number), silent: false },
        { rank: 2, operation: 'recv', source: 0, tag: 77, silent: false },
      ]);
    });

    it('bad arguments are refused with an InvalidArgumentError naming the argument, before anything is sent', async () => {
      const r = await runOn(target, topology.badInput, { size: 4, timeoutMs: HANG_TIMEOUT_MS });
      const refused = (argument: string) => ({ argument, allowed: expect.any(String) });
      expect((r.results[0] as any).refusals).toEqual({
        inclOutOfRange: refused('ranks'), inclRepeated: refused('ranks'), inclNotIntegers: refused('ranks'), exclNegative: refused('ranks'),
        exclRepeated: refused('ranks'), inclNotArray: refused('ranks'), unionNotGroup: refused('group'), translateOutOfRange: refused('ranks'),
        translateToNotGroup: refused('other'), createNotGroup: refused('group'), createForeignGroup: refused('group'), createGroupForeign: refused('group'),
        createGroupBadTag: refused('tag'), cartTooLarge: refused('dims'), cartNegative: refused('dims'), cartZero: refused('dims'),
        cartNotArray: refused('dims'), cartPeriodsLength: refused('periods'), cartPeriodsNotBooleans: refused('periods'),
        cartReorderNotBoolean: refused('reorder'), shiftDirection: refused('direction'), shiftNegativeDirection: refused('direction'),
        shiftDisp: refused('disp'), cartRankOutOfRange: refused('coords'), cartRankNegative: refused('coords'), cartRankLength: refused('coords'),
        cartCoordsOutOfRange: refused('rank'), subLength: refused('remainDims'), subNotBooleans: refused('remainDims'), alltoallLength: refused('values'),
      });
      r.results.forEach((got: any, rank) => {
        expect(got.afterwards).toEqual({
          size: 4,
          neighbors: [(rank + 3) % 4, (rank + 1) % 4],
          fromHalf: rank % 2 === 0 ? [0, 2] : [1, 3],
          cartNeighbors: [rank >= 2 ? rank - 2 : undefined, rank < 2 ? rank + 2 : undefined, rank % 2 === 1 ? rank - 1 : undefined, rank % 2 === 0 ? rank + 1 : undefined],
        });
      });
    });
  });
}
