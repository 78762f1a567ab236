import { decodePayload, encodePayload } from '../codec/codec.ts';
import { isSharedRef, type CollectiveChannel, type CollectiveName } from './collective-channel.ts';
import type { Op } from './ops.ts';
import { allreduceVector, reduceVector, splitsVector } from './vector-reductions.ts';

/**
 * Every collective, written once over point-to-point (a CollectiveChannel). Each collective only
 * ever receives from named sources, so per-pair ordering alone keeps consecutive collectives apart.
 */
export type { CollectiveChannel, CollectiveName };

/**
 * What a rank gets back of its own contribution (the root of bcast and scatter, the own slot of
 * gather, allgather and alltoall): a copy made as a message's would be, as mpi4py gives, so that
 * every rank holds a value of the same kind (a class instance is a plain object everywhere) and
 * none aliases what the caller passed in.
 */
function ownCopy<T>(value: T): T {
  return decodePayload(encodePayload(value, true)) as T;
}

/**
 * Dissemination barrier of radix k = ch.barrierRadix: ⌈log_k p⌉ rounds; in the round of unit
 * u = k^i rank r signals r + j·u and hears from r - j·u for j = 1 … k-1 (while j·u < p). After
 * the round it has heard, directly or not, from the k·u ranks below it. Each round waits only
 * for what it hears; the signals' own completions are awaited once, at the end.
 */
export async function barrier(ch: CollectiveChannel): Promise<void> {
  const { rank, size, barrierRadix: radix } = ch;
  const signals: Promise<void>[] = [];
  for (let unit = 1; unit < size; unit *= radix) {
    const heard: Promise<unknown>[] = [];
    for (let j = 1; j < radix && j * unit < size; j++) {
      const signal = ch.send(null, (rank + j * unit) % size, 'barrier');
      // Awaited at the end; if a receive fails first (the job was stopped), that error is the one.
      signal.catch(() => undefined);
      signals.push(signal);
      heard.push(ch.recv((rank - j * unit + size * radix) % size, 'barrier'));
    }
    await Promise.all(heard);
  }
  await Promise.all(signals);
}

/**
 * Binomial tree from the root: ⌈log2 p⌉ rounds. A value too large for a queue message, where the
 * transport has a store every rank reads, is stored once by the root and only a reference goes
 * down the tree: each rank passes it on, then reads the value itself (so no rank uploads a copy
 * per child through its own bandwidth).
 */
export async function bcast<T>(ch: CollectiveChannel, value: T, root: number, operation: CollectiveName = 'bcast'): Promise<T> {
  const { rank, size } = ch;
  const relative = (rank - root + size) % size;
  let carried: unknown = value;
  if (rank === root && ch.objects && size > 1) carried = (await ch.objects.share(value)) ?? value;
  let mask = 1;
  while (mask < size) {
    if (relative & mask) {
      carried = await ch.recv((rank - mask + size) % size, operation);
      break;
    }
    mask <<= 1;
  }
  const sends: Promise<void>[] = [];
  for (mask >>= 1; mask > 0; mask >>= 1) {
    if (relative + mask < size) sends.push(ch.send(carried, (rank + mask) % size, operation));
  }
  if (rank !== root && ch.objects && isSharedRef(carried)) {
    const [fetched] = await Promise.all([ch.objects.fetch(carried), Promise.all(sends)]);
    return fetched as T;
  }
  await Promise.all(sends);
  if (rank !== root) return carried as T;
  // The collectives built on bcast pass a value made for the call; a user's own is copied.
  return operation === 'bcast' ? ownCopy(value) : value;
}

/** Linear: the root sends each rank its value at once (one round on a queue transport). */
export async function scatter<T>(ch: CollectiveChannel, values: T[] | undefined, root: number): Promise<T> {
  const { rank, size } = ch;
  if (rank !== root) return (await ch.recv(root, 'scatter')) as T;
  const sends: Promise<void>[] = [];
  for (let dest = 0; dest < size; dest++) if (dest !== root) sends.push(ch.send(values![dest], dest, 'scatter'));
  await Promise.all(sends);
  return ownCopy(values![root]!);
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
    received.push(source === root ? Promise.resolve(ownCopy(value)) : ch.recv(source, operation));
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
    received.push(source === rank ? Promise.resolve(ownCopy(values[rank])) : ch.recv(source, 'alltoall'));
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
export async function allreduce(ch: CollectiveChannel, value: unknown, op: Op, into?: ArrayBufferView): Promise<unknown> {
  const result = await allreduceValue(ch, value, op, into);
  if (!into) return result;
  // The vector algorithms write straight into `into`; the others' result is copied there.
  if (result !== into) (into as Uint8Array).set(result as Uint8Array);
  return into;
}

async function allreduceValue(ch: CollectiveChannel, value: unknown, op: Op, into: ArrayBufferView | undefined): Promise<unknown> {
  const { rank, size } = ch;
  if (size === 1) return value;
  if (!op.commutative) return bcast(ch, await reduce(ch, value, op, 0), 0, 'allreduce');
  if (splitsVector(value, op, size)) {
    if (ch.splitVectors) return allreduceVector(ch, value, op, into as typeof value | undefined);
    // Whole vectors: recursive doubling would send every rank's vector log2(p) times, two
    // binomial trees send it at most once up and once down.
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
