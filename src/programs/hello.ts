import { defineProgram } from '../mpi/program.ts';

/** Every rank introduces itself, with its rank, the job's size and where it runs (run with N = 3). */
export default defineProgram(
  async (comm) => {
    console.log(`Hello. This is rank ${comm.rank} of ${comm.size} on processor ${comm.processorName()}`);
  },
  { name: 'hello' },
);
