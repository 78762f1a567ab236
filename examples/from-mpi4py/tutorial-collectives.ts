/**
 * mpi4py's tutorial, "Collective Communication", in lambda-mpi: bcast, scatter and gather of
 * plain values and of typed arrays (mpi4py's Bcast/Scatter/Gather of NumPy arrays: one call per
 * role here, the TypedArray travels as raw bytes), and the parallel matrix-vector product with
 * allgather. Twin: tutorial_collectives.py.
 *
 *   npx lambda-mpi run examples/from-mpi4py/tutorial-collectives.ts -n 4
 */
import { defineProgram } from 'lambda-mpi';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export default defineProgram(async (comm) => {
  const { rank, size } = comm;

  // Broadcasting an object
  const data = await comm.bcast(rank === 0 ? { key1: [7, 2.72], key2: ['abc', 'xyz'] } : undefined, 0);
  console.log(`rank ${rank} bcast key1=${data!.key1[0]},${data!.key1[1]!.toFixed(2)} key2=${data!.key2[0]},${data!.key2[1]}`);

  // Scattering values
  const square = await comm.scatter(rank === 0 ? range(size).map((i) => (i + 1) ** 2) : undefined, 0);
  if (square !== (rank + 1) ** 2) throw new Error(`rank ${rank} got ${square}`);
  console.log(`rank ${rank} scatter ${square}`);

  // Gathering values
  const squares = await comm.gather((rank + 1) ** 2, 0);
  if (rank === 0) console.log(`rank 0 gather ${squares!.join(',')}`);

  // Broadcasting a typed array
  const ints = await comm.bcast(rank === 0 ? Int32Array.from(range(100)) : undefined, 0);
  console.log(`rank ${rank} Bcast ok ${ints!.every((v, i) => v === i) ? 'True' : 'False'}`);

  // Scattering typed arrays: row i of a size × 100 matrix, filled with i, to rank i
  const rows = rank === 0 ? range(size).map((i) => new Int32Array(100).fill(i)) : undefined;
  const row = await comm.scatter(rows, 0);
  console.log(`rank ${rank} Scatter all ${rank}: ${row.every((v) => v === rank) ? 'True' : 'False'}`);

  // Gathering typed arrays
  const gathered = await comm.gather(new Int32Array(100).fill(rank), 0);
  if (rank === 0) console.log(`rank 0 Gather rows ok ${gathered!.every((r, i) => r.every((v) => v === i)) ? 'True' : 'False'}`);

  // Parallel matrix-vector product: each rank holds m rows of A and m entries of x
  const m = 3;
  const n = m * size;
  const A = range(m).map((i) => range(n).map((c) => (rank * m + i + 1) * 0.5 + c));
  const x = Float64Array.from(range(m), (i) => 1 / (rank * m + i + 1));
  const xg = (await comm.allgather(x)).flatMap((part) => Array.from(part));
  // BLAS may add in another order: six decimals do not show the last bits
  const y = A.map((a) => a.reduce((sum, v, c) => sum + v * xg[c]!, 0));
  console.log(`rank ${rank} y = ${y.map((v) => v.toFixed(6)).join(' ')}`);
});
