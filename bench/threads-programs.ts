import { defineProgram } from '../src/index.ts';
import pi from '../src/programs/pi.ts';
import type { CaseParams, CaseTiming } from './cases.ts';
import { benchProgram } from './memory-bench.ts';

/**
 * What ranks in worker threads run in the bench (they load a module, so this is one): a case of
 * cases.ts exactly as the in-process bench runs it, or the bundled pi program timed on rank 0.
 */
export type ThreadsBenchInput =
  | { kind: 'case'; params: CaseParams }
  | { kind: 'pi'; samples: number; reps: number };

export interface PiTiming {
  /** Each repetition's time on rank 0, from a barrier to pi's result. */
  secondsPerRep: number[];
}

export default defineProgram(async (comm, input: ThreadsBenchInput): Promise<CaseTiming | PiTiming | undefined> => {
  if (input.kind === 'case') return benchProgram.main(comm, input.params);
  const secondsPerRep: number[] = [];
  for (let rep = 0; rep < input.reps; rep++) {
    await comm.barrier();
    const started = performance.now();
    await pi.main(comm, { samples: input.samples, seed: rep + 1 });
    secondsPerRep.push((performance.now() - started) / 1e3);
  }
  return comm.rank === 0 ? { secondsPerRep } : undefined;
});
