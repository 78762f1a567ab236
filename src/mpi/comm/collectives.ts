import type { CollectiveChannel, CollectiveName } from './collective-channel.ts';
import type { Op } from './ops.ts';
import { allreduceVector, reduceVector, splitsVector } from './vector-reductions.ts';

/**
 * Every collective, written once over point-to-point (a CollectiveChannel). Each collective only
 * ever receives from named sources, so per-pair ordering alone keeps consecutive collectives apart.
 */
export type { CollectiveChannel, CollectiveName };

/** Dissemination barrier: ⌈log2 p⌉ rounds, in round k rank r signals r+2^k. */
export async function barrier(ch: CollectiveChannel): Promise<void> {
  const { rank, size } = ch;
  for (let distance = 1; distance < size; distance <<= 1) {
    await Promise.all([
      ch.send(null, (rank + distance) % size, 'barrier'),
      ch.recv((rank - distance + size) % size, 'barrier'),
    ]);
  }
}

/** Binomial tree from the root: ⌈log2 p⌉ rounds. */
export async function bcast<T>(ch: CollectiveChannel, value: T, root: number, operation: CollectiveName = 'bcast'): Promise<T> {
  const { rank, size } = ch;
  const relative = (rank - root + size) % size;
  let mask = 1;
  while (mask < size) {
    if (relative & mask) {
      value = (await ch.recv((rank - mask + size) % size, operation)) as T;
      break;
    }
    mask <<= 1;
  }
  const sends: Promise<void>[] = [];
  for (mask >>= 1; mask > 0; mask >>= 1) {
    if (relative + mask < size) sends.push(ch.send(value, (rank + mask) % size, operation));
  }
  await Promise.all(sends);
  return value;
}

/** Linear: the root sends each rank its value at once (one round on a queue transport). */
export async function scatter<T>(ch: CollectiveChannel, values: T[] | undefined, root: number): Promise<T> {
  const { rank, size } = ch;
  if (rank !== root) return (await ch.recv(root, 'scatter')) as T;
  const sends: Promise<void>[] = [];
  for (let dest = 0; dest < size; dest++) if (dest !== root) sends.push(ch.send(values![dest], dest, 'scatter'));
  await Promise.all(sends);
  return values![root]!;
}

/** Linear: every rank sends to the root at once; the root receives them all in parallel. */
export async function gather<T>(ch: CollectiveChannel, value: T, root: number, operation: CollectiveName = 'gather'): Promise<T[] | undefined> {
  const { rank, size } = ch;
  if (rank !== root) {
    await ch.send(value, root, operation);
    return undefined;
  }
  const received: Promise<unknown>[] = [];
  for (let source = 0; source < size; source++) {
    received.push(source === root ? Promise.resolve(value) : ch.recv(source, operation));
  }
  return (await Promise.all(received)) as T[];
}

export async function allgather<T>(ch: CollectiveChannel, value: T, operation: CollectiveName = 'allgather'): Promise<T[]> {
  const all = await gather(ch, value, 0, operation);
  return bcast(ch, all as T[], 0, operation);
}

/** Pairwise direct exchange: every rank sends to and receives from every other rank in one round. */
export async function alltoall<T>(ch: CollectiveChannel, values: T[]): Promise<T[]> {
  const { rank, size } = ch;
  const sends: Promise<void>[] = [];
  for (let step = 1; step < size; step++) sends.push(ch.send(values[(rank + step) % size], (rank + step) % size, 'alltoall'));
  const received: Promise<unknown>[] = [];
  for (let source = 0; source < size; source++) {
    received.push(source === rank ? Promise.resolve(values[rank]) : ch.recv(source, 'alltoall'));
  }
  const [result] = await Promise.all([Promise.all(received), Promise.all(sends)]);
  return result as T[];
}

/**
 * Binomial tree towards the root. With root 0 every partial covers a contiguous block of ranks
 * and is combined lower-block-first, so non-commutative ops reduce to 0 and forward to the root.
 */
export async function reduce(ch: CollectiveChannel, value: unknown, op: Op, root: number): Promise<unknown> {
  const { rank, size } = ch;
  if (size === 1) return value;
  if (!op.commutative && root !== 0) {
    const atZero = await reduce(ch, value, op, 0);
    if (rank === 0) await ch.send(atZero, root, 'reduce');
    if (rank === root) return ch.recv(0, 'reduce');
    return undefined;
  }
  if (ch.splitVectors && splitsVector(value, op, size)) return reduceVector(ch, value, op, root);
  const relative = (rank - root + size) % size;
  let acc = value;
  let owned = false;
  for (let mask = 1; mask < size; mask <<= 1) {
    if (relative & mask) {
      await ch.send(acc, (rank - mask + size) % size, 'reduce');
      return undefined;
    }
    if (relative + mask < size) {
      const incoming = await ch.recv((rank + mask) % size, 'reduce');
      acc = op.combine(acc, incoming, owned ? 'a' : 'b');
      owned = true;
    }
  }
  return acc;
}

/**
 * Recursive doubling (⌈log2 p⌉ exchange rounds), after folding the ranks beyond the largest
 * power of two into their neighbours (MPICH's scheme). Each step combines lower-ranked block
 * first, so every rank computes bit-identical results.
 */
export async function allreduce(ch: CollectiveChannel, value: unknown, op: Op): Promise<unknown> {
  const { rank, size } = ch;
  if (size === 1) return value;
  if (!op.commutative) return bcast(ch, await reduce(ch, value, op, 0), 0, 'allreduce');
  if (splitsVector(value, op, size)) {
    if (ch.splitVectors) return allreduceVector(ch, value, op);
    // Over queues and object stores every message is a request (and a large vector an S3 put
    // and get): recursive doubling sends every rank's whole vector log2(p) times, two binomial
    // trees send it at most once up and once down.
    return bcast(ch, await reduce(ch, value, op, 0), 0, 'allreduce');
  }
  let powerOfTwo = 1;
  while (powerOfTwo * 2 <= size) powerOfTwo *= 2;
  const remainder = size - powerOfTwo;

  let acc = value;
  let owned = false;
  let newRank: number;
  if (rank < 2 * remainder) {
    if (rank % 2 === 0) {
      await ch.send(acc, rank + 1, 'allreduce');
      newRank = -1;
    } else {
      acc = op.combine(await ch.recv(rank - 1, 'allreduce'), acc, 'a');
      owned = true;
      newRank = rank >> 1;
    }
  } else {
    newRank = rank - remainder;
  }

  if (newRank >= 0) {
    for (let mask = 1; mask < powerOfTwo; mask <<= 1) {
      const partnerNew = newRank ^ mask;
      const partner = partnerNew < remainder ? partnerNew * 2 + 1 : partnerNew + remainder;
      const [incoming] = await Promise.all([ch.recv(partner, 'allreduce'), ch.send(acc, partner, 'allreduce')]);
      acc = partner < rank ? op.combine(incoming, acc, owned ? 'b' : 'a') : op.combine(acc, incoming, owned ? 'a' : 'b');
      owned = true;
    }
  }

  if (rank < 2 * remainder) {
    if (rank % 2 === 1) await ch.send(acc, rank - 1, 'allreduce');
    else acc = await ch.recv(rank + 1, 'allreduce');
  }
  return acc;
}

/**
 * Prefix reductions by recursive doubling over partners rank XOR 2^k (MPICH's scheme, any p):
 * `partial` covers an aligned block around this rank, `result` the ranks at or below it.
 * Operands stay in rank order, so non-commutative ops work.
 */
export async function scan(ch: CollectiveChannel, value: unknown, op: Op, exclusive: boolean): Promise<unknown> {
  const { rank, size } = ch;
  const operation = exclusive ? 'exscan' : 'scan';
  let partial = value;
  let result: unknown = exclusive ? undefined : value;
  let haveResult = !exclusive;
  for (let mask = 1; mask < size; mask <<= 1) {
    const partner = rank ^ mask;
    if (partner >= size) continue;
    const [incoming] = await Promise.all([ch.recv(partner, operation), ch.send(partial, partner, operation)]);
    if (partner < rank) {
      result = haveResult ? op.combine(incoming, result) : incoming;
      haveResult = true;
      partial = op.combine(incoming, partial);
    } else {
      partial = op.combine(partial, incoming);
    }
  }
  return result;
}
