import { defineProgram } from '../mpi/program.ts';

/** Point-to-point on two ranks (N = 2): rank 0 sends "fred", rank 1 receives and prints it. */
export default defineProgram(
  async (comm) => {
    if (comm.rank === 0) {
      await comm.send('fred', 1);
    } else if (comm.rank === 1) {
      const message = await comm.recv(0);
      console.log(message);
      return message;
    }
    return undefined;
  },
  { name: 'sendrecv' },
);
