import { SUM } from '../mpi/comm/ops.ts';
import { defineProgram } from '../mpi/program.ts';
import { formatNumpy } from './numpy-format.ts';

/**
 * A reduction to rank 0 (run with N = 3): each rank contributes float(rank) as a one-element float64
 * buffer; rank 0 prints the sum, `[3.]`, as mpi4py's `comm.Reduce(..., op=MPI.SUM, root=0)` does.
 */
export default defineProgram(
  async (comm) => {
    const sendbuf = Float64Array.of(comm.rank);
    const recvbuf = await comm.reduce(sendbuf, SUM, 0);
    if (comm.rank === 0) {
      console.log(formatNumpy(recvbuf!));
      return Array.from(recvbuf!);
    }
    return undefined;
  },
  { name: 'reduce' },
);
