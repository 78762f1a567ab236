/**
 * OSU bandwidth (mpi4py's demo/osu_bw.py) with isend/irecv: rank 0 sends a window of messages
 * of each size, rank 1 receives them all and answers with one ack. Prints each size with the sum
 * of the bytes rank 1 received (so runs compare with the twin, osu_bw.py); the bandwidth, from
 * wtime(), goes to stderr.
 *
 *   npx lambda-mpi run examples/from-mpi4py/osu-bw.ts -n 2
 */
import { InvalidArgumentError, Request, defineProgram, wtime } from 'lambda-mpi';

const MAX_SIZE = 1 << 18;
const WINDOW = 8;
const SKIP = 1;
const ITERATIONS = 4;

export default defineProgram(async (comm) => {
  if (comm.size !== 2) throw new InvalidArgumentError('size', comm.size, 'exactly 2 ranks for osu-bw');
  const { rank } = comm;
  if (rank === 0) {
    console.log(`# OSU MPI bandwidth test (isend/irecv, window ${WINDOW})`);
    console.log(`${'# Size'.padEnd(10)}${'Checksum'.padStart(14)}`);
  }
  const windowOf = <T>(make: (w: number) => T) => Array.from({ length: WINDOW }, (_, w) => make(w));
  for (let size = 1; size <= MAX_SIZE; size *= 8) {
    let checksum = 0;
    let start = 0;
    await comm.barrier();
    for (let i = 0; i < SKIP + ITERATIONS; i++) {
      if (i === SKIP) start = wtime();
      if (rank === 0) {
        const buffers = windowOf((w) => new Uint8Array(size).fill((i * WINDOW + w + size) % 251));
        await Request.waitall(buffers.map((buffer) => comm.isend(buffer, 1, 100)));
        await comm.recv(1, 101);
      } else {
        const received = await Request.waitall(windowOf(() => comm.irecv<Uint8Array>(0, 100)));
        for (const buffer of received) for (const byte of buffer!) checksum += byte;
        await comm.send(null, 0, 101);
      }
    }
    if (rank === 0) {
      const elapsed = wtime() - start;
      console.error(`${String(size).padEnd(10)}${((size * WINDOW * ITERATIONS) / elapsed / 1e6).toFixed(2).padStart(12)} MB/s`);
      const total = await comm.recv<number>(1, 102);
      console.log(`${String(size).padEnd(10)}${String(total).padStart(14)}`);
    } else {
      await comm.send(checksum, 0, 102);
    }
  }
});
