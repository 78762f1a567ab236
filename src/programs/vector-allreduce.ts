import { SUM } from '../mpi/comm/ops.ts';
import { InvalidArgumentError } from '../mpi/errors.ts';
import { defineProgram } from '../mpi/program.ts';

export interface VectorAllreduceInput {
  /** Elements of the Float64Array each rank contributes (default 1 Mi = 8 MiB). */
  length?: number;
  rounds?: number;
}

/**
 * Moves real volume: an element-wise allreduce of a large Float64Array, checked against its
 * closed form on every rank (element i sums to size·i + size(size-1)/2).
 */
export default defineProgram<VectorAllreduceInput | undefined>(
  async (comm, input) => {
    const length = input?.length ?? 1 << 20;
    const rounds = input?.rounds ?? 1;
    if (!Number.isSafeInteger(length) || length < 1) throw new InvalidArgumentError('input.length', length, 'a positive integer');
    if (!Number.isSafeInteger(rounds) || rounds < 1) throw new InvalidArgumentError('input.rounds', rounds, 'a positive integer');
    const vector = new Float64Array(length);
    for (let i = 0; i < length; i++) vector[i] = i + comm.rank;
    const started = performance.now();
    let sum = vector;
    for (let round = 0; round < rounds; round++) sum = await comm.allreduce(vector, SUM);
    const elapsedMs = performance.now() - started;
    const offset = (comm.size * (comm.size - 1)) / 2;
    for (let i = 0; i < length; i += Math.max(1, Math.floor(length / 1024))) {
      if (sum[i] !== comm.size * i + offset) throw new Error(`element ${i} is ${sum[i]}, expected ${comm.size * i + offset}`);
    }
    if (comm.rank === 0) {
      console.log(`allreduce of ${length} float64 (${(length * 8) / 2 ** 20} MiB) on ${comm.size} ranks: ${(elapsedMs / rounds).toFixed(1)} ms per round`);
    }
    return comm.rank === 0 ? { length, rounds, msPerRound: elapsedMs / rounds, checksum: sum[length - 1] } : undefined;
  },
  { name: 'vector-allreduce' },
);
