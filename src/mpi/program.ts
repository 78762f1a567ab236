import type { Comm } from './comm/comm.ts';
import { InvalidArgumentError } from './errors.ts';

export type ProgramMain<I = any, R = unknown> = (comm: Comm, input: I) => Promise<R> | R;

/** A program: an async function run once per rank, like an MPI program under mpirun -np N. */
export interface Program<I = any, R = unknown> {
  readonly kind: 'lambda-mpi/program';
  readonly main: ProgramMain<I, R>;
  /** The name it is registered under, for bundled programs. */
  readonly name?: string;
}

export function defineProgram<I = any, R = unknown>(main: ProgramMain<I, R>, options: { name?: string } = {}): Program<I, R> {
  if (typeof main !== 'function') {
    throw new InvalidArgumentError('main', main, 'an async function (comm, input) => result');
  }
  return Object.freeze({ kind: 'lambda-mpi/program' as const, main, ...(options.name ? { name: options.name } : {}) });
}

export function isProgram(value: unknown): value is Program {
  return typeof value === 'object' && value !== null && (value as Program).kind === 'lambda-mpi/program' && typeof (value as Program).main === 'function';
}
