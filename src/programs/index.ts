import { InvalidArgumentError } from '../mpi/errors.ts';
import type { Program } from '../mpi/program.ts';
import { crashRank, failRank } from './diagnostics.ts';
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
});

export function programNames(): string[] {
  return Object.keys(programs);
}

export function findProgram(name: unknown): Program {
  if (typeof name !== 'string' || !Object.hasOwn(programs, name)) {
    throw new InvalidArgumentError('program', name, `one of the bundled programs: ${programNames().join(', ')}`);
  }
  return programs[name]!;
}
