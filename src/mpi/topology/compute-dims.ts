import { InvalidArgumentError, describeValue } from '../errors.ts';

/**
 * MPI_Dims_create (mpi4py's `MPI.Compute_dims`): a grid of `nnodes` ranks over `dims.length`
 * dimensions. Non-zero entries of `dims` are kept; the zeros are filled in so the grid is as
 * balanced as the assignment below makes it, in non-increasing order among the filled positions.
 *
 * The assignment is the one Open MPI makes (and so mpi4py over it): the prime factors of what
 * the fixed dimensions leave, largest first, each multiplied into the smallest free dimension so
 * far (the first of equals). Programs ported from mpi4py then get the same grid.
 */
export function computeDims(nnodes: number, dims: readonly number[]): number[] {
  if (!Number.isInteger(nnodes) || nnodes < 1) throw new InvalidArgumentError('nnodes', nnodes, 'a positive integer (the number of ranks in the grid)');
  const allowed = 'an array of non-negative integers (0: to be filled in)';
  if (!Array.isArray(dims)) throw new InvalidArgumentError('dims', dims, allowed);
  const bad = dims.findIndex((d) => !Number.isInteger(d) || d < 0);
  if (bad >= 0) throw new InvalidArgumentError('dims', dims, allowed, `must hold non-negative integers, and dims[${bad}] is ${describeValue(dims[bad])}`);
  const fixed = dims.reduce((product, d) => (d === 0 ? product : product * d), 1);
  const free = dims.filter((d) => d === 0).length;
  if (nnodes % fixed !== 0 || (free === 0 && fixed !== nnodes)) {
    throw new InvalidArgumentError('dims', dims, `dimensions whose non-zero entries multiply to a divisor of nnodes (${nnodes})${free === 0 ? ', and to nnodes itself when none is 0' : ''}`,
      `has non-zero entries whose product ${fixed} ${free === 0 ? 'is not' : 'does not divide'} nnodes ${nnodes}`);
  }
  const filled = new Array<number>(free).fill(1);
  const factors = primeFactors(nnodes / fixed);
  for (let i = factors.length - 1; i >= 0; i--) {
    let smallest = 0;
    for (let j = 1; j < free; j++) if (filled[j]! < filled[smallest]!) smallest = j;
    filled[smallest]! *= factors[i]!;
  }
  filled.sort((a, b) => b - a);
  let next = 0;
  return dims.map((d) => (d === 0 ? filled[next++]! : d));
}

/** The prime factors of n, with multiplicity, in increasing order. */
function primeFactors(n: number): number[] {
  const factors: number[] = [];
  for (let p = 2; p * p <= n; p++) {
    while (n % p === 0) {
      factors.push(p);
      n /= p;
    }
  }
  if (n > 1) factors.push(n);
  return factors;
}
