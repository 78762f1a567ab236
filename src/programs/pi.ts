import { SUM } from '../mpi/comm/ops.ts';
import { InvalidArgumentError } from '../mpi/errors.ts';
import { defineProgram } from '../mpi/program.ts';
import { seededRandom } from './random.ts';

export interface PiInput {
  /** Total number of samples over all ranks. */
  samples?: number;
  /** Base seed; rank r draws from seed + r, so the answer does not depend on the transport. */
  seed?: number;
}

export interface PiResult {
  pi: number;
  samples: number;
  inside: number;
}

/** Monte Carlo π: each rank throws its share of darts at the unit square; rank 0 sums the hits. */
export default defineProgram<PiInput | undefined, PiResult | undefined>(
  async (comm, input) => {
    const samples = input?.samples ?? 1_000_000;
    const seed = input?.seed ?? 20261125;
    if (!Number.isSafeInteger(samples) || samples < 1) {
      throw new InvalidArgumentError('input.samples', samples, 'a positive integer');
    }
    const mine = Math.floor(samples / comm.size) + (comm.rank < samples % comm.size ? 1 : 0);
    const random = seededRandom(seed + comm.rank);
    let inside = 0;
    for (let i = 0; i < mine; i++) {
      const x = random();
      const y = random();
      if (x * x + y * y <= 1) inside++;
    }
    const total = await comm.reduce(inside, SUM, 0);
    if (comm.rank !== 0) return undefined;
    const pi = (4 * total!) / samples;
    console.log(`pi is approximately ${pi} (${total} of ${samples} samples inside, ${comm.size} ranks)`);
    return { pi, samples, inside: total! };
  },
  { name: 'pi' },
);
