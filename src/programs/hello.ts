import { defineProgram } from '../mpi/program.ts';

/** The seed's first program (N = 3): every rank introduces itself. */
export default defineProgram(
  async (comm) => {
    console.log(`Hello. This is rank ${comm.rank} of ${comm.size} on processor ${comm.processorName()}`);
  },
  { name: 'hello' },
);
