import { MIN_POOLED_BYTES, recycle, takeBuffer } from '../codec/buffer-pool.ts';
import type { CollectiveChannel, CollectiveName } from './collective-channel.ts';
import { alltoallvPassingResults } from './alltoallv-in-threads.ts';
import { bcast } from './collectives.ts';
import type { Op } from './ops.ts';
import { elementTypeOf, mismatchedType, prefixSums, type TypedArray, type TypedArrayConstructor } from './vector-arguments.ts';
import { fold, initialPartial, reduceScatter as reduceScatterByHalving, type NumericArray } from './vector-reductions.ts';

/**
 * The variable-count collectives (MPI's "v" calls) and reduce-scatter, over TypedArrays, written
 * over the collective channel like the others. Arguments are checked by Comm before anything is
 * sent; what only a receiver can see (another rank's element type) is checked where it arrives.
 */

/** Every rank's block concatenated in rank order, and each block's element count. */
export interface VectorResult<T extends TypedArray = TypedArray> {
  data: T;
  counts: number[];
}

/** Linear, like scatter: the root sends each rank its block at once (one round on a queue transport). */
export async function scatterv<T extends TypedArray>(ch: CollectiveChannel, sendbuf: T | undefined, counts: readonly number[] | undefined, starts: readonly number[] | undefined, root: number): Promise<T> {
  const { rank, size } = ch;
  if (rank !== root) return (await ch.recv(root, 'scatterv')) as T;
  const sends: Promise<void>[] = [];
  for (let step = 1; step < size; step++) {
    const dest = (root + step) % size;
    sends.push(ch.send(sendbuf!.subarray(starts![dest]!, starts![dest]! + counts![dest]!), dest, 'scatterv'));
  }
  await Promise.all(sends);
  return sendbuf!.slice(starts![root]!, starts![root]! + counts![root]!) as T;
}

/** Linear, like gather: every rank sends its buffer to the root, which receives them all at once. */
export async function gatherv<T extends TypedArray>(ch: CollectiveChannel, sendbuf: T, root: number, operation: CollectiveName = 'gatherv'): Promise<VectorResult<T> | undefined> {
  const { rank, size } = ch;
  if (rank !== root) {
    await ch.send(sendbuf, root, operation);
    return undefined;
  }
  const blocks = await Promise.all(Array.from({ length: size }, (_, source) => (source === rank ? sendbuf : ch.recv(source, operation))));
  const result = concatenate(elementTypeOf(sendbuf)!, blocks, rank) as VectorResult<T>;
  blocks.forEach((block, source) => source !== rank && recycle(block as TypedArray));
  return result;
}

/**
 * gatherv to rank 0, then its result down bcast's binomial tree: a result too large for a queue
 * message is stored once as a shared object (S3) and every rank reads it there.
 */
export async function allgatherv<T extends TypedArray>(ch: CollectiveChannel, sendbuf: T): Promise<VectorResult<T>> {
  const gathered = await gatherv(ch, sendbuf, 0, 'allgatherv');
  return bcast(ch, gathered as VectorResult<T>, 0, 'allgatherv');
}

/**
 * Pairwise direct exchange in one round: each block goes straight from its sender to its
 * receiver (no rank relays another's data); a large one goes through S3 on the AWS transport,
 * as every large message does. Receive counts are what arrives. Ranks in threads pass their
 * results around instead (alltoallv-in-threads.ts).
 *
 * Ranks of one thread lend their blocks (the receiver copies each block once, from the sender's
 * memory into its result); a receiver then tells each lender it is done reading, and a lender
 * returns only once all of them have, since the program may write its buffer again after the call.
 */
export async function alltoallv<T extends TypedArray>(ch: CollectiveChannel, sendbuf: T, sendcounts: readonly number[], starts: readonly number[]): Promise<VectorResult<T>> {
  if (ch.handOver) return alltoallvPassingResults(ch, sendbuf, sendcounts, starts);
  const { rank, size } = ch;
  const lends = ch.lendsViews;
  const others = Array.from({ length: size - 1 }, (_, i) => (rank + 1 + i) % size);
  const received = others.map((source) => ch.recv(source, 'alltoallv'));
  const sends = others.map((dest) => {
    const block = sendbuf.subarray(starts[dest]!, starts[dest]! + sendcounts[dest]!);
    return lends ? ch.lend(block, dest, 'alltoallv') : ch.send(block, dest, 'alltoallv');
  });
  // Awaited below; if a receive fails first (the job was stopped), that error is the one.
  for (const send of sends) send.catch(() => undefined);
  const blocks: unknown[] = new Array(size);
  blocks[rank] = sendbuf.subarray(starts[rank]!, starts[rank]! + sendcounts[rank]!);
  (await Promise.all(received)).forEach((block, i) => (blocks[others[i]!] = block));
  const result = concatenate(elementTypeOf(sendbuf)!, blocks, rank) as VectorResult<T>;
  // What was lent is the sender's own memory, neither kept nor recycled.
  if (!lends) for (const source of others) recycle(blocks[source] as TypedArray);
  await Promise.all([
    ...sends,
    ...(lends ? others.map((source) => ch.send(null, source, 'alltoallv')) : []),
    ...(lends ? others.map((dest) => ch.recv(dest, 'alltoallv')) : []),
  ]);
  return result;
}

/**
 * Element-wise reduction of every rank's vector; rank i keeps elements starts[i] … starts[i] +
 * counts[i]. A commutative op runs the reduce-scatter half of Rabenseifner's allreduce
 * (vector-reductions.ts: the ranks beyond a power of two fold into a neighbour, then recursive
 * halving), its cuts placed at the ranks' block edges instead of halfway; a folded-in rank gets
 * its block from its neighbour. A non-commutative op reduces at rank 0 in rank order and
 * scatters the blocks.
 */
export async function reduceScatter<T extends TypedArray>(ch: CollectiveChannel, value: T, op: Op, counts: readonly number[], operation: CollectiveName = 'reduceScatter'): Promise<T> {
  const { rank, size } = ch;
  const starts = prefixSums(counts);
  const block = (vector: TypedArray, owner: number) => vector.subarray(starts[owner]!, starts[owner]! + counts[owner]!);
  if (size === 1) return value.slice() as T;
  if (!op.commutative) return reduceScatterInRankOrder(ch, value, op, counts, starts, operation);
  const folding = fold(rank, size);
  if (folding.newRank < 0) {
    await ch.send(value, rank + 1, operation);
    return (await ch.recv(rank + 1, operation)) as T;
  }
  // Participant n stands for ranks 2n and 2n+1 (n < remainder) or rank n + remainder: its block
  // starts where the first of them starts.
  const edges = Array.from({ length: folding.powerOfTwo + 1 }, (_, n) =>
    n === folding.powerOfTwo ? value.length : starts[n < folding.remainder ? 2 * n : n + folding.remainder]!);
  const { source, acc } = await initialPartial(ch, value as NumericArray, op, folding, operation);
  await reduceScatterByHalving(ch, source, acc, op, folding, operation, false, edges);
  if (rank < 2 * folding.remainder) await ch.send(block(acc, rank - 1), rank - 1, operation);
  return block(acc, rank).slice() as T;
}

async function reduceScatterInRankOrder<T extends TypedArray>(ch: CollectiveChannel, value: T, op: Op, counts: readonly number[], starts: readonly number[], operation: CollectiveName): Promise<T> {
  const { rank, size } = ch;
  if (rank !== 0) {
    await ch.send(value, 0, operation);
    return (await ch.recv(0, operation)) as T;
  }
  const vectors = await Promise.all(Array.from({ length: size }, (_, source) => (source === 0 ? value : ch.recv(source, operation))));
  let acc: unknown = vectors[0];
  for (let source = 1; source < size; source++) acc = op.combine(acc, vectors[source]);
  const reduced = acc as T;
  await Promise.all(Array.from({ length: size - 1 }, (_, i) => ch.send(reduced.subarray(starts[i + 1]!, starts[i + 1]! + counts[i + 1]!), i + 1, operation)));
  return reduced.slice(0, counts[0]) as T;
}

/** The blocks in rank order in one new array of `type`; a block of another element type fails the call here. */
function concatenate(type: TypedArrayConstructor, blocks: readonly unknown[], rank: number): VectorResult {
  blocks.forEach((block, source) => {
    if (source !== rank && elementTypeOf(block) !== type) throw mismatchedType('sendbuf', type, source, block);
  });
  const counts = blocks.map((block) => (block as TypedArray).length);
  const data = uninitialised(type, counts.reduce((sum, count) => sum + count, 0));
  let offset = 0;
  for (const block of blocks) {
    data.set(block as never, offset);
    offset += (block as TypedArray).length;
  }
  return { data, counts };
}

/**
 * An array of `length` elements whose every element the caller is about to write: not zeroed
 * first. Zeroing a large result costs about what copying into it does (bench case
 * memory.alltoallv-1MiB.np8); the smallest arrays stay on the JavaScript heap.
 */
function uninitialised(type: TypedArrayConstructor, length: number): TypedArray {
  const bytes = length * type.BYTES_PER_ELEMENT;
  if (bytes < MIN_POOLED_BYTES) return new type(length);
  const memory = takeBuffer(bytes).buffer as ArrayBuffer;
  return new (type as unknown as new (buffer: ArrayBuffer, offset: number, length: number) => TypedArray)(memory, 0, length);
}
