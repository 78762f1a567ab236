import { ANY_SOURCE, ANY_TAG, MAX_RETRIES, MAX_SIZE, MAX_TAG, PROC_NULL } from './constants.ts';
import { InvalidArgumentError, describeValue } from './errors.ts';

export function assertJobSize(size: unknown): asserts size is number {
  if (!Number.isInteger(size) || (size as number) < 1 || (size as number) > MAX_SIZE) {
    throw new InvalidArgumentError('size', size, `an integer in 1..${MAX_SIZE}`);
  }
}

/** A job's `retries` (runLocal's option, a stage's request field): how many, 0 when absent. */
export function assertRetries(name: string, retries: unknown): number {
  if (retries === undefined) return 0;
  if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0 || retries > MAX_RETRIES) {
    throw new InvalidArgumentError(name, retries, `a whole number from 0 to ${MAX_RETRIES} (how many times a lost rank restarts the job from its last complete checkpoint)`);
  }
  return retries;
}

export function assertTimeout(name: string, timeoutMs: unknown): asserts timeoutMs is number {
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new InvalidArgumentError(name, timeoutMs, 'a positive finite number of milliseconds');
  }
}

/** A destination or root: a rank of this communicator. */
export function assertRank(argument: string, value: unknown, size: number): asserts value is number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) >= size) {
    throw new InvalidArgumentError(argument, value, `an integer rank in 0..${size - 1}`);
  }
}

/** A point-to-point destination: a rank of this communicator or PROC_NULL. */
export function assertDest(argument: string, value: unknown, size: number): asserts value is number {
  if (value === PROC_NULL) return;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) >= size) {
    throw new InvalidArgumentError(argument, value, `an integer rank in 0..${size - 1} or PROC_NULL (${PROC_NULL})`);
  }
}

/** A receive's source: a rank of this communicator, ANY_SOURCE or PROC_NULL. */
export function assertSource(value: unknown, size: number): asserts value is number {
  if (value === ANY_SOURCE || value === PROC_NULL) return;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) >= size) {
    throw new InvalidArgumentError('source', value, `an integer rank in 0..${size - 1}, ANY_SOURCE (${ANY_SOURCE}) or PROC_NULL (${PROC_NULL})`);
  }
}

/** A send's tag: a non-negative integer. */
export function assertSendTag(argument: string, value: unknown): asserts value is number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_TAG) {
    throw new InvalidArgumentError(argument, value, `an integer tag in 0..${MAX_TAG}`);
  }
}

/** A receive's tag: a non-negative integer or ANY_TAG. */
export function assertRecvTag(argument: string, value: unknown): asserts value is number {
  if (value === ANY_TAG) return;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_TAG) {
    throw new InvalidArgumentError(argument, value, `an integer tag in 0..${MAX_TAG} or ANY_TAG (-1)`);
  }
}

/** scatter/alltoall take exactly one value per rank. */
export function assertPerRankArray(argument: string, value: unknown, size: number): asserts value is unknown[] {
  if (!Array.isArray(value) || value.length !== size) {
    throw new InvalidArgumentError(argument, value, `an array of exactly size (${size}) values, one per rank`);
  }
}

/**
 * allreduce's `into` receives the result in place of a new array (mpi4py's recvbuf): a TypedArray
 * of value's type and length, in memory of its own (not value's, which the other ranks may still
 * be reading while this rank writes its result).
 */
export function assertResultBuffer(value: unknown, into: unknown): asserts into is ArrayBufferView {
  const allowed = 'a TypedArray of the same type and length as value, apart from value\'s memory';
  if (!ArrayBuffer.isView(value) || value instanceof DataView) {
    throw new InvalidArgumentError('into', into, allowed, `is only for a TypedArray value, and value is ${describeValue(value)}`);
  }
  if (!ArrayBuffer.isView(into) || into instanceof DataView || into.constructor !== value.constructor) {
    throw new InvalidArgumentError('into', into, allowed, `must be a ${value.constructor.name} like value`);
  }
  const length = (view: ArrayBufferView) => (view as Uint8Array).length;
  if (length(into) !== length(value)) {
    throw new InvalidArgumentError('into', into, allowed, `must have value's length ${length(value)}, not ${length(into)}`);
  }
  if (into.buffer === value.buffer && into.byteOffset < value.byteOffset + value.byteLength && value.byteOffset < into.byteOffset + into.byteLength) {
    throw new InvalidArgumentError('into', into, allowed, 'must not overlap value (give the result its own array)');
  }
}
