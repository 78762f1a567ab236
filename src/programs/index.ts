import { InvalidArgumentError } from '../mpi/errors.ts';
import type { Program } from '../mpi/program.ts';
import { busyRank, crashRank, failRank } from './diagnostics.ts';
import hello from './hello.ts';
import pi from './pi.ts';
import reduce from './reduce.ts';
import sendrecv from './sendrecv.ts';
import vectorAllreduce from './vector-allreduce.ts';

/** The programs bundled into the package and every deployment, selected by name. */
export const programs: Readonly<Record<string, Program>> = Object.freeze({
  hello,
  sendrecv,
  reduce,
  pi,
  'vector-allreduce': vectorAllreduce,
  'fail-rank': failRank,
  'crash-rank': crashRank,
  'busy-rank': busyRank,
});

/**
 * Programs that fail or stall on purpose, to check a deployment's failure handling: a stage runs them only
 * when it was deployed to (param `diagnostics`), since one request could otherwise hold many
 * functions until the job's deadline.
 */
export const DIAGNOSTIC_PROGRAMS: readonly string[] = Object.freeze(['fail-rank', 'crash-rank', 'busy-rank']);

export function programNames(): string[] {
  return Object.keys(programs);
}

export function findProgram(name: unknown): Program {
  if (typeof name !== 'string' || !Object.hasOwn(programs, name)) {
    throw new InvalidArgumentError('program', name, `one of the bundled programs: ${programNames().join(', ')}`);
  }
  return programs[name]!;
}
