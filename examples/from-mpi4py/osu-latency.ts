/**
 * OSU latency (mpi4py's demo/osu_latency.py) with isend/irecv: ranks 0 and 1 ping-pong a
 * Uint8Array of each size; each message's bytes are set from the iteration, and the bytes that
 * came back are summed. Prints each size with that checksum (so runs compare with the twin,
 * osu_latency.py); the latency, from wtime(), goes to stderr.
 *
 *   npx lambda-mpi run examples/from-mpi4py/osu-latency.ts -n 2
 */
import { InvalidArgumentError, defineProgram, wtime } from 'lambda-mpi';

const MAX_SIZE = 1 << 16;
const SKIP = 2;
const ITERATIONS = 10;

export default defineProgram(async (comm) => {
  if (comm.size !== 2) throw new InvalidArgumentError('size', comm.size, 'exactly 2 ranks for osu-latency');
  const { rank } = comm;
  if (rank === 0) {
    console.log('# OSU MPI latency test (isend/irecv)');
    console.log(`${'# Size'.padEnd(10)}${'Checksum'.padStart(12)}`);
  }
  for (let size = 1; size <= MAX_SIZE; size *= 4) {
    const sendBuffer = new Uint8Array(size);
    let checksum = 0;
    let start = 0;
    await comm.barrier();
    for (let i = 0; i < SKIP + ITERATIONS; i++) {
      if (i === SKIP) start = wtime();
      if (rank === 0) {
        sendBuffer.fill((i + size) % 251);
        await comm.isend(sendBuffer, 1, 1).wait();
        const back = (await comm.irecv<Uint8Array>(1, 1).wait())!;
        for (const byte of back) checksum += byte;
      } else {
        const message = (await comm.irecv<Uint8Array>(0, 1).wait())!;
        for (let k = 0; k < message.length; k++) message[k]! += 1;
        await comm.isend(message, 0, 1).wait();
      }
    }
    if (rank === 0) {
      const latency = ((wtime() - start) * 1e6) / (2 * ITERATIONS);
      console.log(`${String(size).padEnd(10)}${String(checksum).padStart(12)}`);
      console.error(`${String(size).padEnd(10)}${latency.toFixed(2).padStart(12)} us`);
    }
  }
});
