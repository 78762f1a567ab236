/**
 * mpi4py's tutorial, "Point-to-Point Communication", in lambda-mpi: a plain object, then typed
 * arrays (mpi4py's uppercase Send/Recv of NumPy arrays: here the same send/recv, which carry a
 * TypedArray as raw bytes). Twin: tutorial_p2p.py.
 *
 *   npx lambda-mpi run examples/from-mpi4py/tutorial-p2p.ts -n 2
 */
import { defineProgram } from 'lambda-mpi';

export default defineProgram(async (comm) => {
  const { rank } = comm;

  // Any serializable value
  if (rank === 0) {
    await comm.send({ a: 7, b: 3.14 }, 1, 11);
  } else if (rank === 1) {
    const data = await comm.recv<{ a: number; b: number }>(0, 11);
    console.log(`rank 1 got a=${data.a} b=${data.b.toFixed(2)}`);
  }

  // Typed arrays: int32
  if (rank === 0) {
    await comm.send(Int32Array.from({ length: 1000 }, (_, i) => i), 1, 77);
  } else if (rank === 1) {
    const data = await comm.recv<Int32Array>(0, 77);
    const sum = data.reduce((a, b) => a + b, 0);
    console.log(`rank 1 got ${data.length} ints: first ${data[0]} last ${data.at(-1)} sum ${sum}`);
  }

  // Typed arrays: float64
  if (rank === 0) {
    await comm.send(Float64Array.from({ length: 100 }, (_, i) => i * 0.5), 1, 13);
  } else if (rank === 1) {
    const data = await comm.recv<Float64Array>(0, 13);
    const sum = data.reduce((a, b) => a + b, 0);
    console.log(`rank 1 got ${data.length} doubles: last ${data.at(-1)!.toFixed(1)} sum ${sum.toFixed(1)}`);
  }
});
