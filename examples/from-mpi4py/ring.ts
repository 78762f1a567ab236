/**
 * A value passed around a ring with nonblocking calls: each step every rank posts an irecv from
 * its left, isends to its right, and adds what came; after `size` steps every rank holds the sum
 * of all ranks' values. Then a token goes once around. Twin: ring.py.
 *
 *   npx lambda-mpi run examples/from-mpi4py/ring.ts -n 4
 */
import { Request, defineProgram } from 'lambda-mpi';

export default defineProgram(async (comm) => {
  const { rank, size } = comm;
  const right = (rank + 1) % size;
  const left = (rank - 1 + size) % size;

  let passing = (rank + 1) * 10;
  let total = 0;
  for (let step = 0; step < size; step++) {
    const recvReq = comm.irecv<number>(left, step);
    const sendReq = comm.isend(passing, right, step);
    total += passing;
    [passing] = (await Request.waitall<number | undefined>([recvReq, sendReq])) as [number];
  }
  console.log(`rank ${rank}: sum over the ring = ${total} (back to me: ${passing})`);

  if (rank === 0) {
    await comm.isend([0], right, 99).wait();
    const token = await comm.irecv<number[]>(left, 99).wait();
    console.log(`rank 0: token came back [${token!.join(', ')}]`);
  } else {
    const token = await comm.irecv<number[]>(left, 99).wait();
    await comm.isend([...token!, rank], right, 99).wait();
  }
  return total;
});
