import { runLocal, type Program, type RunLocalOptions, type RunResult } from '../../src/index.ts';
import { recordJobId } from '../aws/leftovers.ts';

/**
 * A transport the conformance suite runs against. The same cases run over every target:
 * the in-memory channel, the same with injected faults, and the AWS transport over local SQS/S3.
 */
export interface ConformanceTarget {
  name: string;
  /** Communicator sizes to run the size-parametrised cases at. */
  sizes: number[];
  /** Size of the single large TypedArray message case, in bytes. */
  largeMessageBytes: number;
  /** Job timeout for ordinary cases. */
  timeoutMs: number;
  /** Options merged into every runLocal call (transport factory, fault wrapper, …). */
  options(): Partial<RunLocalOptions>;
  /** When present, the id of every job that ran (succeeded or failed), for the leftover check. */
  jobIds?: string[];
}

export function runOn<I, R>(target: ConformanceTarget, program: Program<I, R> | string, options: RunLocalOptions<I>): Promise<RunResult<R>> {
  return recordJobId(target.jobIds, runLocal(program, { timeoutMs: target.timeoutMs, ...target.options(), ...options } as RunLocalOptions<I>));
}

/** Resolves to the error a promise rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the job to fail, but it succeeded');
}
