import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, computeDims } from '../../src/index.ts';

/**
 * computeDims against MPI_Dims_create: every expected grid below was computed once by mpi4py
 * 3.1.4 over Open MPI 4.1.4 (Debian's python3-mpi4py), `MPI.Compute_dims(nnodes, dims)`, and
 * pasted here as data. test/differential runs a sample of them against mpi4py live.
 */
const FROM_MPI4PY: Array<[nnodes: number, dims: number[], grid: number[]]> = [
  [1, [0], [1]], [1, [0, 0], [1, 1]], [1, [0, 0, 0], [1, 1, 1]], [1, [0, 0, 0, 0], [1, 1, 1, 1]],
  [2, [0], [2]], [2, [0, 0], [2, 1]], [2, [0, 0, 0], [2, 1, 1]], [2, [0, 0, 0, 0], [2, 1, 1, 1]],
  [3, [0], [3]], [3, [0, 0], [3, 1]], [3, [0, 0, 0], [3, 1, 1]], [3, [0, 0, 0, 0], [3, 1, 1, 1]],
  [4, [0], [4]], [4, [0, 0], [2, 2]], [4, [0, 0, 0], [2, 2, 1]], [4, [0, 0, 0, 0], [2, 2, 1, 1]],
  [5, [0], [5]], [5, [0, 0], [5, 1]], [5, [0, 0, 0], [5, 1, 1]], [5, [0, 0, 0, 0], [5, 1, 1, 1]],
  [6, [0], [6]], [6, [0, 0], [3, 2]], [6, [0, 0, 0], [3, 2, 1]], [6, [0, 0, 0, 0], [3, 2, 1, 1]],
  [7, [0], [7]], [7, [0, 0], [7, 1]], [7, [0, 0, 0], [7, 1, 1]], [7, [0, 0, 0, 0], [7, 1, 1, 1]],
  [8, [0], [8]], [8, [0, 0], [4, 2]], [8, [0, 0, 0], [2, 2, 2]], [8, [0, 0, 0, 0], [2, 2, 2, 1]],
  [9, [0], [9]], [9, [0, 0], [3, 3]], [9, [0, 0, 0], [3, 3, 1]], [9, [0, 0, 0, 0], [3, 3, 1, 1]],
  [12, [0], [12]], [12, [0, 0], [4, 3]], [12, [0, 0, 0], [3, 2, 2]], [12, [0, 0, 0, 0], [3, 2, 2, 1]],
  [16, [0], [16]], [16, [0, 0], [4, 4]], [16, [0, 0, 0], [4, 2, 2]], [16, [0, 0, 0, 0], [2, 2, 2, 2]],
  [17, [0], [17]], [17, [0, 0], [17, 1]], [17, [0, 0, 0], [17, 1, 1]], [17, [0, 0, 0, 0], [17, 1, 1, 1]],
  [24, [0], [24]], [24, [0, 0], [6, 4]], [24, [0, 0, 0], [4, 3, 2]], [24, [0, 0, 0, 0], [3, 2, 2, 2]],
  [30, [0], [30]], [30, [0, 0], [6, 5]], [30, [0, 0, 0], [5, 3, 2]], [30, [0, 0, 0, 0], [5, 3, 2, 1]],
  [36, [0], [36]], [36, [0, 0], [6, 6]], [36, [0, 0, 0], [4, 3, 3]], [36, [0, 0, 0, 0], [3, 3, 2, 2]],
  [48, [0], [48]], [48, [0, 0], [8, 6]], [48, [0, 0, 0], [4, 4, 3]], [48, [0, 0, 0, 0], [4, 3, 2, 2]],
  [60, [0], [60]], [60, [0, 0], [10, 6]], [60, [0, 0, 0], [5, 4, 3]], [60, [0, 0, 0, 0], [5, 3, 2, 2]],
  [64, [0], [64]], [64, [0, 0], [8, 8]], [64, [0, 0, 0], [4, 4, 4]], [64, [0, 0, 0, 0], [4, 4, 2, 2]],
  [72, [0], [72]], [72, [0, 0], [12, 6]], [72, [0, 0, 0], [6, 4, 3]], [72, [0, 0, 0, 0], [4, 3, 3, 2]],
  [96, [0], [96]], [96, [0, 0], [12, 8]], [96, [0, 0, 0], [6, 4, 4]], [96, [0, 0, 0, 0], [4, 4, 3, 2]],
  [100, [0], [100]], [100, [0, 0], [10, 10]], [100, [0, 0, 0], [5, 5, 4]], [100, [0, 0, 0, 0], [5, 5, 2, 2]],
  [120, [0], [120]], [120, [0, 0], [12, 10]], [120, [0, 0, 0], [6, 5, 4]], [120, [0, 0, 0, 0], [5, 4, 3, 2]],
  [128, [0], [128]], [128, [0, 0], [16, 8]], [128, [0, 0, 0], [8, 4, 4]], [128, [0, 0, 0, 0], [4, 4, 4, 2]],
  [210, [0], [210]], [210, [0, 0], [15, 14]], [210, [0, 0, 0], [7, 6, 5]], [210, [0, 0, 0, 0], [7, 5, 3, 2]],
  [256, [0], [256]], [256, [0, 0], [16, 16]], [256, [0, 0, 0], [8, 8, 4]], [256, [0, 0, 0, 0], [4, 4, 4, 4]],
  [360, [0], [360]], [360, [0, 0], [20, 18]], [360, [0, 0, 0], [10, 6, 6]], [360, [0, 0, 0, 0], [6, 5, 4, 3]],
  [1000, [0], [1000]], [1000, [0, 0], [40, 25]], [1000, [0, 0, 0], [10, 10, 10]], [1000, [0, 0, 0, 0], [8, 5, 5, 5]],
  [1024, [0], [1024]], [1024, [0, 0], [32, 32]], [1024, [0, 0, 0], [16, 8, 8]], [1024, [0, 0, 0, 0], [8, 8, 4, 4]],
  [4096, [0], [4096]], [4096, [0, 0], [64, 64]], [4096, [0, 0, 0], [16, 16, 16]], [4096, [0, 0, 0, 0], [8, 8, 8, 8]],
  [10000, [0], [10000]], [10000, [0, 0], [100, 100]], [10000, [0, 0, 0], [25, 20, 20]], [10000, [0, 0, 0, 0], [10, 10, 10, 10]],
  [12, [2, 0, 0], [2, 3, 2]], [12, [0, 3, 0], [2, 3, 2]], [24, [0, 0, 2], [4, 3, 2]], [64, [4, 0, 0, 0], [4, 4, 2, 2]],
  [60, [0, 5, 0], [4, 5, 3]], [36, [3, 0, 3], [3, 4, 3]], [8, [2, 2, 2], [2, 2, 2]], [7, [0, 1, 0], [7, 1, 1]],
  [1, [1, 0], [1, 1]], [16, [0, 0, 0, 0, 0], [2, 2, 2, 2, 1]], [6, [2, 3], [2, 3]], [6, [3, 0], [3, 2]],
  [6, [0, 3], [2, 3]], [1, [], []],
];

describe('computeDims (MPI_Dims_create)', () => {
  it.each(FROM_MPI4PY)('computeDims(%i, %j) is %j, as MPI.Compute_dims', (nnodes, dims, grid) => {
    expect(computeDims(nnodes, dims)).toEqual(grid);
  });

  it('leaves the caller\'s dims as they were', () => {
    const dims = [0, 3, 0];
    computeDims(12, dims);
    expect(dims).toEqual([0, 3, 0]);
  });

  // Each of these is MPI_ERR_DIMS in mpi4py too.
  it.each([
    ['nnodes zero', 0, [0, 0], 'nnodes', /nnodes must be a positive integer/],
    ['nnodes negative', -4, [0, 0], 'nnodes', /nnodes must be a positive integer/],
    ['nnodes not an integer', 2.5, [0], 'nnodes', /nnodes must be a positive integer/],
    ['a negative dimension', 12, [0, -1], 'dims', /dims\[1\] is -1/],
    ['a dimension that is not an integer', 12, [1.5, 0], 'dims', /dims\[0\] is 1\.5/],
    ['fixed dimensions that do not divide nnodes', 12, [5, 0], 'dims', /product 5 does not divide nnodes 12/],
    ['fixed dimensions whose product is not nnodes', 8, [2, 2, 3], 'dims', /product 12 is not nnodes 8/],
    ['no dimension for nnodes > 1', 5, [], 'dims', /product 1 is not nnodes 5/],
  ] as const)('refuses %s with an InvalidArgumentError naming the argument', (_name, nnodes, dims, argument, message) => {
    const call = () => computeDims(nnodes, [...dims]);
    expect(call).toThrow(InvalidArgumentError);
    expect(call).toThrow(message);
    try {
      call();
    } catch (error) {
      expect((error as InvalidArgumentError).argument).toBe(argument);
    }
  });

  it('refuses fixed dimensions whose product does not divide nnodes even when each one does (Open MPI 4.1 answers [4, 6, 1] here)', () => {
    // MPI says the product must divide nnodes; Open MPI checks each dimension alone.
    expect(() => computeDims(12, [4, 6, 0])).toThrow(/product 24 does not divide nnodes 12/);
  });
});
