import { InvalidArgumentError } from '../mpi/errors.ts';
import { defineProgram } from '../mpi/program.ts';

/**
 * Programs that fail on purpose, bundled so that a deployment's failure handling can be checked
 * end to end (and is, by the tests): the job must fail fast, name the rank, and clean up.
 */
interface FailureInput {
  /** The rank that fails. */
  rank?: number;
  message?: string;
}

function targetRank(input: FailureInput | undefined, size: number): number {
  const rank = input?.rank ?? size - 1;
  if (!Number.isInteger(rank) || rank < 0 || rank >= size) throw new InvalidArgumentError('input.rank', rank, `a rank in 0..${size - 1}`);
  return rank;
}

/** One rank throws; the others wait for a message that never comes, until they are stopped. */
export const failRank = defineProgram<FailureInput | undefined>(
  async (comm, input) => {
    const rank = targetRank(input, comm.size);
    console.log(`rank ${comm.rank} started`);
    if (comm.rank === rank) throw new Error(input?.message ?? `rank ${rank} failed on purpose`);
    await comm.recv(rank, 99);
  },
  { name: 'fail-rank' },
);

/** One rank's process ends abruptly without a word (as a killed or timed-out Lambda would). */
export const crashRank = defineProgram<FailureInput | undefined>(
  async (comm, input) => {
    const rank = targetRank(input, comm.size);
    if (comm.rank === rank) {
      console.log(`rank ${rank} exits now`);
      process.exit(1);
    }
    await comm.barrier();
  },
  { name: 'crash-rank' },
);
