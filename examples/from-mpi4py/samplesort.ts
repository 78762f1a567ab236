/**
 * Sample sort: every rank draws keys (MINSTD generator, seeded by rank), sorts them, offers
 * size-1 regular samples; the allgathered samples give the splitters; each rank cuts its keys
 * into one bucket per rank and `alltoallv` shuffles the buckets (each rank learns what it gets
 * from whom); each rank sorts what it got. Twin: samplesort.py.
 *
 *   npx lambda-mpi run examples/from-mpi4py/samplesort.ts -n 4
 */
import { defineProgram } from 'lambda-mpi';

const KEYS_PER_RANK = 200;
const list = (values: ArrayLike<number>) => `[${Array.from(values).join(', ')}]`;

export default defineProgram(async (comm) => {
  const { rank, size } = comm;
  let state = 1 + 7919 * rank;
  const keys = new Int32Array(KEYS_PER_RANK);
  for (let k = 0; k < KEYS_PER_RANK; k++) {
    state = (state * 48271) % 2147483647; // exact: the product stays below 2^53
    keys[k] = state % 100_000;
  }
  keys.sort();

  const samples = Array.from({ length: size - 1 }, (_, k) => keys[Math.floor(((k + 1) * KEYS_PER_RANK) / size)]!);
  const everyone = (await comm.allgather(samples)).flat().sort((a, b) => a - b);
  const splitters = Array.from({ length: size - 1 }, (_, k) => everyone[Math.floor(((k + 1) * everyone.length) / size)]!);

  // keys are sorted, so each bucket is a contiguous run of them
  const sendcounts = new Array<number>(size).fill(0);
  for (const key of keys) {
    let bucket = 0;
    while (bucket < size - 1 && key >= splitters[bucket]!) bucket++;
    sendcounts[bucket]!++;
  }
  const { data: received, counts: recvcounts } = await comm.alltoallv(keys, sendcounts);
  const mine = received.slice().sort();

  console.log(`rank ${rank} splitters ${list(splitters)} sent ${list(sendcounts)} got ${list(recvcounts)}: ${mine.length} keys ${mine[0]}..${mine.at(-1)}`);
  const ends = await comm.gather([mine[0]!, mine.at(-1)!, mine.length], 0);
  if (rank === 0) {
    const ordered = ends!.every((end, i) => i === 0 || ends![i - 1]![1] <= end[0]!);
    console.log(`sorted across ranks: ${ordered ? 'True' : 'False'}, ${ends!.reduce((sum, end) => sum + end[2]!, 0)} keys in all`);
  }
  return mine.length;
});
