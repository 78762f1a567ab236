import { InvalidArgumentError } from './errors.ts';
import { isElementType, type TypedArray } from './comm/vector-arguments.ts';

/** Whether this thread's rank shares its process's memory with the job's other ranks (ranks in threads). */
let ranksShareMemory = false;

/** @internal Said by the rank's world communicator when it is made. */
export function setRanksShareMemory(shared: boolean): void {
  ranksShareMemory = shared;
}

type ElementType<T extends TypedArray> = { new (length: number): T; new (buffer: SharedArrayBuffer): T; readonly BYTES_PER_ELEMENT: number };

/**
 * A zeroed TypedArray of `length` elements for messages (MPI_Alloc_mem). When the ranks are
 * threads of one process it lies in shared memory, so collectives hand it to the other ranks
 * where it lies instead of copying it first (allreduce of a vector); elsewhere
 * it is ordinary memory, and behaves exactly like `new Type(length)`.
 */
export function allocate<T extends TypedArray>(Type: ElementType<T>, length: number): T {
  if (!isElementType(Type)) {
    throw new InvalidArgumentError('Type', Type, 'a TypedArray constructor (Int8Array … Float64Array, BigInt64Array, BigUint64Array)');
  }
  if (!Number.isSafeInteger(length) || length < 0) throw new InvalidArgumentError('length', length, 'a non-negative integer number of elements');
  if (!ranksShareMemory) return new Type(length);
  return new Type(new SharedArrayBuffer(length * Type.BYTES_PER_ELEMENT));
}
