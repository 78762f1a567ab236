import { recycle, takeBuffer } from '../codec/buffer-pool.ts';
import type { CollectiveChannel, CollectiveName } from './collective-channel.ts';
import type { Op } from './ops.ts';

export type NumericArray = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array
  | Int8Array | Uint8Array | Uint8ClampedArray | BigInt64Array | BigUint64Array;

/**
 * How reductions of large vectors travel: 'split' = Rabenseifner's algorithm (reduce-scatter,
 * then allgather or gather: every rank sends and receives about twice the vector, each through
 * its own network), 'tree' = binomial trees of whole vectors (fewest messages, but a parent
 * moves a whole vector per child through one Lambda's bandwidth). 'auto' = split, on every
 * transport: the choice docs/architecture.md explains with the model's figures.
 */
export type VectorReduction = 'auto' | 'split' | 'tree';

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
export interface Folding {
  powerOfTwo: number;
  remainder: number;
  /** This rank's number among the participants, or -1 if it sits out. */
  newRank: number;
  realRank(newRank: number): number;
}

export function fold(rank: number, size: number): Folding {
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

/** A vector of the same type and length as `like`, uninitialised (every element gets written). */
function blankLike(like: NumericArray): NumericArray {
  const ctor = like.constructor as new (buffer: ArrayBuffer, offset: number, length: number) => NumericArray;
  return new ctor(takeBuffer(like.byteLength).buffer as ArrayBuffer, 0, like.length);
}

/** A received partial the collective has consumed: nobody else holds it, its frame can be reused. */
function consumed(op: Op, incoming: unknown): void {
  if (op.isBuiltin) recycle(incoming as ArrayBufferView);
}

/**
 * Reduce-scatter by recursive halving: log2(pof2) exchanges of halving size. Afterwards each
 * participant holds the full reduction of its own block in `acc`: blockOf's bisection, or with
 * `edges` (pof2 + 1 ascending offsets) participant n's block is edges[n]..edges[n+1] (the
 * blocks of reduceScatter's counts). The first exchange reads from `source` (the caller's
 * vector, never written) and writes into `acc`, which saves copying the input first. Returns
 * the stack of ranges, innermost last, for an allgather.
 */
export async function reduceScatter(ch: CollectiveChannel, source: NumericArray, acc: NumericArray, op: Op, folding: Folding, operation: CollectiveName, lent: boolean, edges?: readonly number[]) {
  const ranges: Array<[number, number]> = [];
  let lo = 0;
  let hi = acc.length;
  let firstParticipant = 0;
  let from = source;
  for (let mask = folding.powerOfTwo >> 1; mask >= 1; mask >>= 1) {
    ranges.push([lo, hi]);
    const partner = folding.realRank(folding.newRank ^ mask);
    const mid = edges ? edges[firstParticipant + mask]! : lo + ((hi - lo) >> 1);
    const keepLower = (folding.newRank & mask) === 0;
    if (!keepLower) firstParticipant += mask;
    const [sendLo, sendHi] = keepLower ? [mid, hi] : [lo, mid];
    const outgoing = from.subarray(sendLo, sendHi);
    const [incoming] = await Promise.all([ch.recv(partner, operation), lent ? ch.lend(outgoing, partner, operation) : ch.send(outgoing, partner, operation)]);
    if (keepLower) hi = mid;
    else lo = mid;
    op.combineInto(from.subarray(lo, hi), incoming as NumericArray, acc.subarray(lo, hi));
    if (!lent) consumed(op, incoming);
    from = acc;
  }
  return { ranges, lo, hi };
}

/**
 * Where this participant's reduction starts: an odd rank below 2·remainder first takes in its
 * even neighbour's vector (that frame is its own to write into); the others start from their input.
 */
export async function initialPartial(ch: CollectiveChannel, value: NumericArray, op: Op, folding: Folding, operation: CollectiveName, into?: NumericArray) {
  if (ch.rank < 2 * folding.remainder) {
    const folded = op.combine(await ch.recv(ch.rank - 1, operation), value, 'a') as NumericArray;
    return { source: folded, acc: folded };
  }
  return { source: value, acc: into ?? blankLike(value) };
}

/**
 * Rabenseifner's allreduce: reduce-scatter by recursive halving, then allgather by recursive
 * doubling. When the ranks share a thread, both halves lend their views instead of copying them
 * (2 × (p-1)/p of the vector per rank not copied), and each rank ends with a token exchange with
 * its partners: once a partner has sent it, that partner has read everything lent to it, so the
 * vectors may be handed back to the program.
 */
export async function allreduceVector(ch: CollectiveChannel, value: NumericArray, op: Op, into?: NumericArray): Promise<NumericArray> {
  const { rank, size } = ch;
  if (op.isBuiltin && size <= DIRECT_MAX_RANKS) {
    if (ch.lendsViews) return allreduceReadingInPlace(ch, value, op, into ?? blankLike(value));
    if (ch.takeShared) return allreduceThroughSharedMemory(ch, value, op, into ?? blankLike(value));
  }
  const folding = fold(rank, size);
  const operation = 'allreduce';
  if (folding.newRank < 0) {
    await ch.send(value, rank + 1, operation);
    return (await ch.recv(rank + 1, operation)) as NumericArray;
  }
  // A user op might keep or change its operands: only built-in ones read lent views.
  const lent = ch.lendsViews && op.isBuiltin;
  const { source, acc } = await initialPartial(ch, value, op, folding, operation, into);
  let { ranges, lo, hi } = await reduceScatter(ch, source, acc, op, folding, operation, lent);
  const partners: number[] = [];
  for (let mask = 1; mask < folding.powerOfTwo; mask <<= 1) {
    const [parentLo, parentHi] = ranges.pop()!;
    const partner = folding.realRank(folding.newRank ^ mask);
    partners.push(partner);
    const outgoing = acc.subarray(lo, hi);
    const [incoming] = await Promise.all([ch.recv(partner, operation), lent ? ch.lend(outgoing, partner, operation) : ch.send(outgoing, partner, operation)]);
    acc.set(incoming as any, lo === parentLo ? hi : parentLo);
    if (!lent) recycle(incoming as ArrayBufferView);
    lo = parentLo;
    hi = parentHi;
  }
  if (lent) await Promise.all(partners.map((partner) => Promise.all([ch.send(null, partner, operation), ch.recv(partner, operation)])));
  if (rank < 2 * folding.remainder) await ch.send(acc, rank - 1, operation);
  return acc;
}

/**
 * Up to this many ranks sharing a thread, each reads the others' vectors in place
 * (allreduceReadingInPlace): 3(p-1) messages per rank instead of 3·log2(p), but every element is
 * read from memory about twice and written about twice per rank, where Rabenseifner's algorithm
 * reads and writes it about three times as often (bench case memory.allreduce-buffer-8MiB.np4).
 */
const DIRECT_MAX_RANKS = 8;

/**
 * Every other rank, in the order this rank serves them, and one round in which this rank lends
 * each of them `mine` (or sends a token, for null) and receives what each lends it.
 */
function exchangeWithEveryRank(ch: CollectiveChannel) {
  const { rank, size } = ch;
  const operation = 'allreduce';
  const others = Array.from({ length: size - 1 }, (_, i) => (rank + 1 + i) % size);
  const exchange = async (mine: NumericArray | null) => {
    const received = others.map((source) => ch.recv(source, operation));
    await Promise.all(others.map((dest) => (mine ? ch.lend(mine, dest, operation) : ch.send(null, dest, operation))));
    return Promise.all(received);
  };
  return { others, exchange };
}

/**
 * Allreduce for ranks of one thread: every rank lends its vector and its (still empty) result to
 * the others, then reduces its own block of all the vectors in one pass, writing it into every
 * rank's result. Every block is reduced once, by its owner, so all ranks get identical bits;
 * operands are combined in rank order. A final token from each rank says it has read and written
 * all it was lent: only then may a vector be handed back to the program.
 */
async function allreduceReadingInPlace(ch: CollectiveChannel, value: NumericArray, op: Op, result: NumericArray): Promise<NumericArray> {
  const { rank, size } = ch;
  const { others, exchange } = exchangeWithEveryRank(ch);
  const vectors: NumericArray[] = new Array(size);
  const results: NumericArray[] = new Array(size);
  vectors[rank] = value;
  results[rank] = result;
  (await exchange(value)).forEach((vector, i) => (vectors[others[i]!] = vector as NumericArray));
  (await exchange(result)).forEach((target, i) => (results[others[i]!] = target as NumericArray));
  // Whole vectors first: a rank whose vector differs in length or type must fail, not be read in part.
  op.assertCombinable(vectors);
  const lo = Math.floor((rank * value.length) / size);
  const hi = Math.floor(((rank + 1) * value.length) / size);
  op.combineAllInto(vectors.map((vector) => vector.subarray(lo, hi)), results.map((target) => target.subarray(lo, hi)));
  await exchange(null);
  return result;
}

/**
 * The same for ranks in threads of one process, whose results cannot be written by the others:
 * every rank copies the blocks the others own into shared memory and lends them, reduces its own
 * block (its own part read where it is) into its result and into shared memory, lends that, and
 * copies the others' blocks into its result. Against Rabenseifner's algorithm between threads,
 * no message carries a copy and the shared memory is reused by the next call (bench cases
 * threads.allreduce-buffer-8MiB.np4 and threads.allreduce-into-8MiB.np4). A vector on a
 * SharedArrayBuffer skips the staging copy (threads.allreduce-into-shared-8MiB.np4).
 */
async function allreduceThroughSharedMemory(ch: CollectiveChannel, value: NumericArray, op: Op, result: NumericArray): Promise<NumericArray> {
  const { rank, size } = ch;
  const { others, exchange } = exchangeWithEveryRank(ch);
  const bounds = (owner: number): [number, number] => [Math.floor((owner * value.length) / size), Math.floor(((owner + 1) * value.length) / size)];
  const [lo, hi] = bounds(rank);
  // A vector the program keeps in shared memory is lent as it lies; another is staged there first.
  // Only the others read the staged copy, each its own block: this rank's block stays out.
  const inSharedMemory = value.buffer instanceof SharedArrayBuffer;
  const staged = inSharedMemory ? value : ch.takeShared!(value, value.length) as NumericArray;
  if (!inSharedMemory) {
    staged.set(value.subarray(0, lo) as never, 0);
    staged.set(value.subarray(hi) as never, hi);
  }
  const vectors: NumericArray[] = new Array(size);
  vectors[rank] = value;
  (await exchange(staged)).forEach((vector, i) => (vectors[others[i]!] = vector as NumericArray));
  op.assertCombinable(vectors);
  const block = ch.takeShared!(value, hi - lo) as NumericArray;
  op.combineAllInto(vectors.map((vector) => vector.subarray(lo, hi)), [result.subarray(lo, hi), block]);
  (await exchange(block)).forEach((theirs, i) => result.set(theirs as never, bounds(others[i]!)[0]));
  // Everyone has read all it was lent: the shared memory may be written again.
  await exchange(null);
  if (!inSharedMemory) ch.releaseShared!(staged);
  ch.releaseShared!(block);
  return result;
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
    const start = await initialPartial(ch, value, op, folding, operation);
    acc = start.acc;
    // Not lent: a rank other than the root returns as soon as its block has left, while the
    // partners it lent to might not have read it yet.
    const { lo, hi } = await reduceScatter(ch, start.source, acc, op, folding, operation, false);
    if (rank !== root) {
      await ch.send(acc.subarray(lo, hi), root, operation);
      return undefined;
    }
  }
  if (rank !== root) return undefined;
  const result = acc ?? blankLike(value);
  const blocks: Promise<void>[] = [];
  for (let participant = 0; participant < folding.powerOfTwo; participant++) {
    const source = folding.realRank(participant);
    if (source === rank) continue;
    const [lo] = blockOf(participant, folding.powerOfTwo, value.length);
    blocks.push(ch.recv(source, operation).then((block) => {
      result.set(block as any, lo);
      recycle(block as ArrayBufferView);
    }));
  }
  await Promise.all(blocks);
  return result;
}
