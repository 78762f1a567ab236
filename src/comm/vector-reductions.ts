import type { CollectiveChannel, CollectiveName } from './collectives.ts';
import type { Op } from './ops.ts';

type NumericArray = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array
  | Int8Array | Uint8Array | Uint8ClampedArray | BigInt64Array | BigUint64Array;

/** Below this many bytes a vector goes whole through recursive doubling / the binomial tree. */
export const VECTOR_ALGORITHM_MIN_BYTES = 64 * 1024;

/**
 * Whether a reduction should split the vector (Rabenseifner's algorithm). Every rank decides
 * from its own value; ranks with vectors of equal length — the only valid case — agree.
 */
export function splitsVector(value: unknown, op: Op, size: number): value is NumericArray {
  return (
    op.commutative &&
    size > 1 &&
    ArrayBuffer.isView(value) &&
    !(value instanceof DataView) &&
    value.byteLength >= VECTOR_ALGORITHM_MIN_BYTES &&
    (value as NumericArray).length >= size
  );
}

/**
 * The ranks beyond the largest power of two fold into a neighbour first (MPICH's scheme): even
 * ranks below 2·remainder hand their vector to rank+1 and sit out; the rest renumber 0..pof2-1.
 */
interface Folding {
  powerOfTwo: number;
  remainder: number;
  /** This rank's number among the participants, or -1 if it sits out. */
  newRank: number;
  realRank(newRank: number): number;
}

function fold(rank: number, size: number): Folding {
  let powerOfTwo = 1;
  while (powerOfTwo * 2 <= size) powerOfTwo *= 2;
  const remainder = size - powerOfTwo;
  const newRank = rank < 2 * remainder ? (rank % 2 === 0 ? -1 : rank >> 1) : rank - remainder;
  return {
    powerOfTwo,
    remainder,
    newRank,
    realRank: (n) => (n < remainder ? n * 2 + 1 : n + remainder),
  };
}

/** The element range participant `newRank` owns after recursive halving: bisect by its bits, high to low. */
function blockOf(newRank: number, powerOfTwo: number, length: number): [number, number] {
  let lo = 0;
  let hi = length;
  for (let mask = powerOfTwo >> 1; mask >= 1; mask >>= 1) {
    const mid = lo + ((hi - lo) >> 1);
    if (newRank & mask) lo = mid;
    else hi = mid;
  }
  return [lo, hi];
}

function combineInto(op: Op, acc: NumericArray, lo: number, incoming: unknown): void {
  const segment = acc.subarray(lo, lo + (incoming as NumericArray).length);
  const combined = op.combine(segment, incoming, 'a') as NumericArray;
  if (combined !== segment) acc.set(combined as any, lo);
}

/**
 * Reduce-scatter by recursive halving: log2(pof2) exchanges of halving size. Afterwards each
 * participant holds the full reduction of its own block (blockOf) in `acc`.
 * Returns the stack of ranges, innermost last, for the allgather that may follow.
 */
async function reduceScatter(ch: CollectiveChannel, acc: NumericArray, op: Op, folding: Folding, operation: CollectiveName) {
  const ranges: Array<[number, number]> = [];
  let lo = 0;
  let hi = acc.length;
  for (let mask = folding.powerOfTwo >> 1; mask >= 1; mask >>= 1) {
    ranges.push([lo, hi]);
    const partner = folding.realRank(folding.newRank ^ mask);
    const mid = lo + ((hi - lo) >> 1);
    const keepLower = (folding.newRank & mask) === 0;
    const [sendLo, sendHi] = keepLower ? [mid, hi] : [lo, mid];
    const [incoming] = await Promise.all([ch.recv(partner, operation), ch.send(acc.subarray(sendLo, sendHi), partner, operation)]);
    if (keepLower) hi = mid;
    else lo = mid;
    combineInto(op, acc, lo, incoming);
  }
  return { ranges, lo, hi };
}

/** Rabenseifner's allreduce: reduce-scatter by recursive halving, then allgather by recursive doubling. */
export async function allreduceVector(ch: CollectiveChannel, value: NumericArray, op: Op): Promise<NumericArray> {
  const { rank, size } = ch;
  const folding = fold(rank, size);
  const operation = 'allreduce';
  if (folding.newRank < 0) {
    await ch.send(value, rank + 1, operation);
    return (await ch.recv(rank + 1, operation)) as NumericArray;
  }
  const acc = rank < 2 * folding.remainder
    ? (op.combine(await ch.recv(rank - 1, operation), value, 'a') as NumericArray)
    : (value.slice() as NumericArray);

  let { ranges, lo, hi } = await reduceScatter(ch, acc, op, folding, operation);
  for (let mask = 1; mask < folding.powerOfTwo; mask <<= 1) {
    const [parentLo, parentHi] = ranges.pop()!;
    const partner = folding.realRank(folding.newRank ^ mask);
    const [incoming] = await Promise.all([ch.recv(partner, operation), ch.send(acc.subarray(lo, hi), partner, operation)]);
    acc.set(incoming as any, lo === parentLo ? hi : parentLo);
    lo = parentLo;
    hi = parentHi;
  }
  if (rank < 2 * folding.remainder) await ch.send(acc, rank - 1, operation);
  return acc;
}

/** Rabenseifner's reduce: reduce-scatter by recursive halving, then every block straight to the root. */
export async function reduceVector(ch: CollectiveChannel, value: NumericArray, op: Op, root: number): Promise<NumericArray | undefined> {
  const { rank, size } = ch;
  const folding = fold(rank, size);
  const operation = 'reduce';
  let acc: NumericArray | undefined;
  if (folding.newRank < 0) {
    await ch.send(value, rank + 1, operation);
  } else {
    acc = rank < 2 * folding.remainder
      ? (op.combine(await ch.recv(rank - 1, operation), value, 'a') as NumericArray)
      : (value.slice() as NumericArray);
    const { lo, hi } = await reduceScatter(ch, acc, op, folding, operation);
    if (rank !== root) {
      await ch.send(acc.subarray(lo, hi), root, operation);
      return undefined;
    }
  }
  if (rank !== root) return undefined;
  const result = acc ?? (new (value.constructor as new (n: number) => NumericArray)(value.length));
  const blocks: Promise<void>[] = [];
  for (let participant = 0; participant < folding.powerOfTwo; participant++) {
    const source = folding.realRank(participant);
    if (source === rank) continue;
    const [lo] = blockOf(participant, folding.powerOfTwo, value.length);
    blocks.push(ch.recv(source, operation).then((block) => result.set(block as any, lo)));
  }
  await Promise.all(blocks);
  return result;
}
