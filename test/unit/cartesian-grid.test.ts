import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, PROC_NULL, defineProgram, runLocal } from '../../src/index.ts';
import { CartesianGrid } from '../../src/mpi/topology/cartesian-grid.ts';

describe('a Cartesian grid\'s arithmetic', () => {
  it('wraps any displacement on a periodic dimension and gives PROC_NULL past a non-periodic edge', () => {
    const grid = CartesianGrid.create([3, 4], { periods: [true, false] }, 12);
    // Rank 5 is at (1, 1).
    expect(grid.shift(5, 0, 7)).toEqual({ source: grid.rank([0, 1]), dest: grid.rank([2, 1]) });
    expect(grid.shift(5, 0, -3)).toEqual({ source: 5, dest: 5 });
    expect(grid.shift(5, 1, 2)).toEqual({ source: PROC_NULL, dest: grid.rank([1, 3]) });
    expect(grid.rank([-4, 3])).toBe(grid.rank([2, 3]));
  });

  it('a grid of no dimensions has one rank, no neighbors and no direction to shift in', async () => {
    const program = defineProgram(async (comm) => {
      const point = await comm.createCart([]);
      if (!point) return undefined;
      let refused: unknown;
      try {
        point.shift(0);
      } catch (error) {
        refused = error instanceof InvalidArgumentError && { argument: error.argument, allowed: error.allowed };
      }
      return { rank: point.rank, size: point.size, coords: point.coords, neighbors: await point.neighborAllgather('x'), refused };
    });
    const r = await runLocal(program, { size: 2 });
    expect(r.results).toEqual([
      { rank: 0, size: 1, coords: [], neighbors: [], refused: { argument: 'direction', allowed: expect.stringContaining('no dimensions') } },
      undefined,
    ]);
  });

  it('refusals say what is allowed: the communicator\'s size for dims, the grid\'s extent for coords', () => {
    const refusal = (call: () => unknown) => {
      try {
        call();
      } catch (error) {
        return error as InvalidArgumentError;
      }
      throw new Error('expected a refusal');
    };
    expect(refusal(() => CartesianGrid.create([4, 2], {}, 6)).message).toMatch(/^dims has product 8, more than the communicator's 6 ranks/);
    const grid = CartesianGrid.create([2, 3], { periods: [false, true] }, 6);
    expect(refusal(() => grid.rank([2, 0])).message).toMatch(/^coords has coords\[0\] = 2, outside 0\.\.1 on non-periodic dimension 0/);
    expect(refusal(() => grid.shift(0, 2, 1)).allowed).toBe('an integer dimension in 0..1');
  });
});
