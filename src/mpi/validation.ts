import { ANY_SOURCE, ANY_TAG, MAX_SIZE, MAX_TAG } from './constants.ts';
import { InvalidArgumentError } from './errors.ts';

export function assertJobSize(size: unknown): asserts size is number {
  if (!Number.isInteger(size) || (size as number) < 1 || (size as number) > MAX_SIZE) {
    throw new InvalidArgumentError('size', size, `an integer in 1..${MAX_SIZE}`);
  }
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

/** A receive's source: a rank of this communicator or ANY_SOURCE. */
export function assertSource(value: unknown, size: number): asserts value is number {
  if (value === ANY_SOURCE) return;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) >= size) {
    throw new InvalidArgumentError('source', value, `an integer rank in 0..${size - 1} or ANY_SOURCE (-1)`);
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
