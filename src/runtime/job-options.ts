import v8 from 'node:v8';
import { DEFAULT_TIMEOUT_MS } from '../mpi/constants.ts';
import { InvalidArgumentError } from '../mpi/errors.ts';
import type { Program } from '../mpi/program.ts';
import { assertJobSize, assertTimeout } from '../mpi/validation.ts';

export interface ValidatedJob {
  program: Program;
  size: number;
  timeoutMs: number;
  /** The input, serialized once; each rank gets its own copy from it. */
  serializedInput: Buffer;
}

/** Refuses bad input before anything starts: every message says what is allowed. */
export function validateJob(program: Program, options: { size?: unknown; input?: unknown; timeoutMs?: unknown }): ValidatedJob {
  return { program, ...validateJobOptions(options) };
}

/** The checks of validateJob that do not need the program (ranks in threads load it themselves). */
export function validateJobOptions(options: { size?: unknown; input?: unknown; timeoutMs?: unknown }): Omit<ValidatedJob, 'program'> {
  assertJobOptions(options);
  assertJobSize(options.size);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  assertTimeout('timeoutMs', timeoutMs);
  let serializedInput: Buffer;
  try {
    serializedInput = v8.serialize(options.input);
  } catch (error) {
    throw new InvalidArgumentError(
      'input',
      options.input,
      'a value that structured serialization accepts',
      `cannot be serialized (${(error as Error).message}); allowed are primitives, bigint, arrays, plain objects, Map, Set, Date, Error, TypedArrays, ArrayBuffer and Buffer`,
    );
  }
  return { size: options.size, timeoutMs, serializedInput };
}

export function assertJobOptions(options: unknown): asserts options is { size?: unknown; input?: unknown; timeoutMs?: unknown } {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', options, 'an object { size, input?, timeoutMs? }');
  }
}

/** Each rank's own copy of the input, as if it had been sent to it. */
export function inputCopy(job: ValidatedJob): unknown {
  return v8.deserialize(job.serializedInput);
}
