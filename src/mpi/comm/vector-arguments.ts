import { InvalidArgumentError, describeValue } from '../errors.ts';

/** The TypedArrays buffer calls take: the element types MPI's numeric datatypes map to. */
export type TypedArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

export type TypedArrayConstructor = { new (length: number): TypedArray; readonly name: string; readonly BYTES_PER_ELEMENT: number };

const ELEMENT_TYPES: readonly TypedArrayConstructor[] = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
];

const BASE_TYPES: ReadonlySet<TypedArrayConstructor> = new Set(ELEMENT_TYPES);

const ALLOWED_TYPES = 'a TypedArray (Int8Array … Float64Array, BigInt64Array, BigUint64Array; not a DataView)';

/**
 * The element type of a TypedArray (a Buffer or another subclass counts as its base type), or
 * undefined for anything else. Two ranks' buffers match when their element types are the same.
 */
export function elementTypeOf(value: unknown): TypedArrayConstructor | undefined {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return undefined;
  // The usual case, an array of a base type, without walking the list (every receive asks).
  const own = value.constructor as TypedArrayConstructor;
  if (BASE_TYPES.has(own)) return own;
  return ELEMENT_TYPES.find((type) => value instanceof (type as unknown as typeof Uint8Array));
}

export function isElementType(value: unknown): value is TypedArrayConstructor {
  return ELEMENT_TYPES.includes(value as TypedArrayConstructor);
}

/** An InvalidArgumentError that says what is allowed and, in parentheses, what was wrong with the value. */
export function refusal(argument: string, value: unknown, allowed: string, wrong: string): InvalidArgumentError {
  return new InvalidArgumentError(argument, value, allowed, `must be ${allowed} (${wrong})`);
}

export function assertTypedArray(argument: string, value: unknown): asserts value is TypedArray {
  if (elementTypeOf(value) === undefined) throw new InvalidArgumentError(argument, value, ALLOWED_TYPES);
}

/** One count of elements per rank: non-negative integers, exactly `size` of them (summing to `total`, when given). */
export function assertCounts(argument: string, counts: unknown, size: number, total?: number): asserts counts is readonly number[] {
  const allowed = `an array of exactly size (${size}) non-negative integer counts, one per rank${total === undefined ? '' : `, summing to value's length (${total})`}`;
  if (!Array.isArray(counts) || counts.length !== size) throw new InvalidArgumentError(argument, counts, allowed);
  counts.forEach((count: unknown, rank) => {
    if (!Number.isSafeInteger(count) || (count as number) < 0) {
      throw refusal(argument, counts, allowed, `it holds ${describeValue(count)} for rank ${rank}`);
    }
  });
  const sum = (counts as number[]).reduce((a, b) => a + b, 0);
  if (total !== undefined && sum !== total) throw refusal(argument, counts, allowed, `they sum to ${sum}`);
}

/** `length` elements in `size` blocks as equal as can be: block i holds ⌊(i+1)·n/p⌋ − ⌊i·n/p⌋. */
export function evenCounts(length: number, size: number): number[] {
  return Array.from({ length: size }, (_, i) => Math.floor(((i + 1) * length) / size) - Math.floor((i * length) / size));
}

/** Where each block starts when the blocks lie one after another: the sums of the counts before it. */
export function prefixSums(counts: readonly number[]): number[] {
  const starts: number[] = [];
  let total = 0;
  for (const count of counts) {
    starts.push(total);
    total += count;
  }
  return starts;
}

/**
 * Where each rank's block starts in a buffer of `length` elements: `displs` as given (each block
 * inside the buffer), or the blocks one after another (their sum at most the buffer's length).
 */
export function blockStarts(countsArgument: string, counts: readonly number[], displsArgument: string, displs: unknown, length: number): number[] {
  if (displs === undefined) {
    const starts = prefixSums(counts);
    const total = counts.reduce((sum, count) => sum + count, 0);
    if (total > length) {
      throw refusal(countsArgument, counts, `counts whose sum is at most the buffer's length (${length})`, `they sum to ${total}, more than the ${length} elements the buffer holds`);
    }
    return starts;
  }
  const allowed = `an array of exactly size (${counts.length}) non-negative integer offsets, each block (offset + count) inside the buffer's ${length} elements`;
  if (!Array.isArray(displs) || displs.length !== counts.length) throw new InvalidArgumentError(displsArgument, displs, allowed);
  displs.forEach((start: unknown, rank) => {
    if (!Number.isSafeInteger(start) || (start as number) < 0) {
      throw refusal(displsArgument, displs, allowed, `it holds ${describeValue(start)} for rank ${rank}`);
    }
    if ((start as number) + counts[rank]! > length) {
      throw refusal(displsArgument, displs, allowed,
        `it puts rank ${rank}'s block at ${start as number}..${(start as number) + counts[rank]!}, beyond the buffer's ${length} elements`);
    }
  });
  return displs as number[];
}

/** What a receiver says when a rank's buffer has another element type than its own. */
export function mismatchedType(argument: string, expected: TypedArrayConstructor, source: number, received: unknown): InvalidArgumentError {
  return refusal(argument, received, `a ${expected.name} on every rank (one element type everywhere)`,
    `rank ${source}'s is ${describeValue(received)}, where this rank's is a ${expected.name}`);
}
