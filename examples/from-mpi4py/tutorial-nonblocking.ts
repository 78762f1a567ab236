/**
 * mpi4py's tutorial, "Python objects with non-blocking communication", and the same with typed
 * arrays: isend/irecv return a Request; `wait()` gives the received value, `Request.waitall`
 * completes several, `test()` polls. Twin: tutorial_nonblocking.py.
 *
 *   npx lambda-mpi run examples/from-mpi4py/tutorial-nonblocking.ts -n 2
 */
import { Request, defineProgram } from 'lambda-mpi';

export default defineProgram(async (comm) => {
  const { rank } = comm;

  if (rank === 0) {
    const req = comm.isend({ a: 7, b: 3.14 }, 1, 11);
    await req.wait();
    console.log('rank 0 isend complete');
  } else if (rank === 1) {
    const req = comm.irecv<{ a: number; b: number }>(0, 11);
    const data = (await req.wait())!;
    console.log(`rank 1 got a=${data.a} b=${data.b.toFixed(2)}`);
  }

  // Both ranks exchange arrays at once: receives posted before the sends, no deadlock
  const other = 1 - rank;
  const mine = Int32Array.from({ length: 10 }, (_, i) => i + 100 * rank);
  const [theirs] = await Request.waitall<unknown>([comm.irecv(other, 5), comm.isend(mine, other, 5)]);
  const got = theirs as Int32Array;
  console.log(`rank ${rank} got from ${other}: first ${got[0]} last ${got.at(-1)}`);

  // test() polls without blocking; the event loop must turn for the message to arrive
  const req = comm.irecv<number>(other, 6);
  await comm.send(rank, other, 6);
  let polled = req.test();
  while (!polled.done) {
    await new Promise((resolve) => setImmediate(resolve));
    polled = req.test();
  }
  console.log(`rank ${rank} test() done: ${polled.value}`);
});
