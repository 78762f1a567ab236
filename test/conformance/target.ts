import { afterEach, beforeEach } from 'vitest';
import { DeadlockError, JobTimeoutError, runLocal, type Program, type RunLocalOptions, type RunResult } from '../../src/index.ts';
import { recordJobId } from '../aws/leftovers.ts';
import { caseName, type CaseInput } from './programs/index.ts';

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
  /**
   * Every rank in a worker thread of its own (runLocal's `threads`): a case's program then goes
   * by name through the module of all case programs (./programs/index.ts).
   */
  threads?: boolean;
  /**
   * The job's time is the model's simulated clock: its timeout may come, in modeled time, before
   * any real timer of the caller's fires.
   */
  simulatedClock?: boolean;
}

const CASE_PROGRAMS = new URL('./programs/index.ts', import.meta.url);

export function runOn<I, R>(target: ConformanceTarget, program: Program<I, R> | string, options: RunLocalOptions<I>): Promise<RunResult<R>> {
  let source: Program<I, R> | string | URL = program;
  let input: unknown = options.input;
  if (target.threads && typeof program !== 'string') {
    const name = caseName(program);
    if (!name) throw new Error('a case that runs in threads must take its program from a module under test/conformance/programs/');
    source = CASE_PROGRAMS;
    input = { case: name, input: options.input } satisfies CaseInput;
  }
  return recordJobId(target.jobIds, runLocal(source as Program<I, R>, { timeoutMs: target.timeoutMs, ...target.options(), ...options, input } as RunLocalOptions<I>));
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

export interface NamedWait {
  rank: number;
  operation: string;
  source: number;
  tag: number;
}

/**
 * What a job that never ends says each stuck rank waits on, whichever stopped it: its timeout
 * (JobTimeoutError.running), or the deadlock watch (DeadlockError.blocked), which in-process names
 * a job whose every running rank waits long before a timeout of more than a second. Anything else
 * fails the test.
 */
export function namedWaits(error: unknown): NamedWait[] {
  const waits = error instanceof JobTimeoutError ? error.running : error instanceof DeadlockError ? error.blocked : undefined;
  if (!waits) throw new Error(`expected a JobTimeoutError or a DeadlockError, got ${String(error)}`);
  return waits.map(({ rank, operation, source, tag }) => ({ rank, operation: operation!, source: source!, tag: tag! }));
}

/**
 * The unhandled rejections of each test of the calling describe block, in order (emptied before
 * each test): a request nobody waited on must never leave one.
 */
export function unhandledRejections(): unknown[] {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });
  return unhandled;
}
