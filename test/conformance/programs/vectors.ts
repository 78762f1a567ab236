import { ANY_SOURCE, ANY_TAG, Op, PROC_NULL, SUM, MAX, Request, allocate, defineProgram, type Comm, type TypedArray } from '../../../src/index.ts';

/**
 * The buffer and variable-count cases' programs (vector-cases.ts), in the spirit of mpi4py's
 * test_cco_v.py and test_cco_buf.py: every element type, counts with zeros, displacements with
 * gaps and out of order, roots other than 0. Results come back as plain arrays (bigints as
 * strings), so they read the same from every placement.
 */

export const ELEMENT_TYPES = [
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
] as const;
export type ElementTypeName = (typeof ELEMENT_TYPES)[number];

type Constructor = { new (length: number): TypedArray; from(values: Iterable<unknown>): TypedArray };
const CONSTRUCTORS = globalThis as unknown as Record<ElementTypeName, Constructor>;

/** A typed array of `type` holding the small integers `values` (each below 100, so every type holds it exactly). */
export function typed(type: ElementTypeName, values: readonly number[]): TypedArray {
  const big = type.startsWith('Big');
  return CONSTRUCTORS[type].from(values.map((value) => (big ? BigInt(value) : value)));
}

/** A TypedArray as plain numbers: what a case compares. */
export function plain(array: TypedArray | undefined): number[] | undefined {
  return array && Array.from(array as ArrayLike<number | bigint>, Number);
}

function typeName(array: TypedArray | undefined): string | undefined {
  return array?.constructor.name;
}

/** Counts with zeros in them: (i + shift) mod 3 elements for rank i. */
export function countsFor(size: number, shift: number): number[] {
  return Array.from({ length: size }, (_, i) => (i + shift) % 3);
}

/** Displacements with a gap of one element before each block, blocks in reverse rank order. */
export function gappedReverseDispls(counts: readonly number[]): number[] {
  const displs = new Array<number>(counts.length);
  let at = 1;
  for (let i = counts.length - 1; i >= 0; i--) {
    displs[i] = at;
    at += counts[i]! + 1;
  }
  return displs;
}

/** Element k of the root's buffer is k mod 100, so a block shows where it was cut from. */
function ramp(length: number): number[] {
  return Array.from({ length }, (_, k) => k % 100);
}

export const scattervEveryType = defineProgram(async (comm, input: { root: number; displs: boolean }) => {
  const out: Record<string, unknown> = {};
  for (const type of ELEMENT_TYPES) {
    const counts = countsFor(comm.size, 1);
    const displs = input.displs ? gappedReverseDispls(counts) : undefined;
    const length = displs ? Math.max(...displs.map((d, i) => d + counts[i]!)) + 1 : counts.reduce((a, b) => a + b, 0);
    const sendbuf = comm.rank === input.root ? typed(type, ramp(length)) : undefined;
    const got = await comm.scatterv(sendbuf, comm.rank === input.root ? counts : undefined, input.root, displs);
    out[type] = { type: typeName(got), values: plain(got) };
  }
  return out;
});

export const gathervEveryType = defineProgram(async (comm, root: number) => {
  const out: Record<string, unknown> = {};
  for (const type of ELEMENT_TYPES) {
    const mine = typed(type, Array.from({ length: (comm.rank + 2) % 3 }, (_, k) => (comm.rank * 10 + k) % 100));
    const got = await comm.gatherv(mine, root);
    out[type] = got && { type: typeName(got.data), data: plain(got.data), counts: got.counts };
  }
  return out;
});

export const allgathervEveryType = defineProgram(async (comm) => {
  const out: Record<string, unknown> = {};
  for (const type of ELEMENT_TYPES) {
    const mine = typed(type, Array.from({ length: comm.rank % 3 }, (_, k) => (comm.rank * 10 + k) % 100));
    const got = await comm.allgatherv(mine);
    out[type] = { type: typeName(got.data), data: plain(got.data), counts: got.counts };
  }
  return out;
});

/** What rank `source` sends rank `dest` in the alltoallv cases: (source + dest) mod 3 elements. */
export function pairBlock(source: number, dest: number): number[] {
  return Array.from({ length: (source + dest) % 3 }, (_, k) => (source * 7 + dest * 3 + k) % 100);
}

export const alltoallvEveryType = defineProgram(async (comm, input: { displs: boolean }) => {
  const out: Record<string, unknown> = {};
  for (const type of ELEMENT_TYPES) {
    const blocks = Array.from({ length: comm.size }, (_, dest) => pairBlock(comm.rank, dest));
    const counts = blocks.map((block) => block.length);
    let got;
    if (input.displs) {
      const displs = gappedReverseDispls(counts);
      const values = new Array<number>(Math.max(0, ...displs.map((d, i) => d + counts[i]!)) + 1).fill(99);
      blocks.forEach((block, dest) => block.forEach((value, k) => (values[displs[dest]! + k] = value)));
      got = await comm.alltoallv(typed(type, values), counts, displs);
    } else {
      got = await comm.alltoallv(typed(type, blocks.flat()), counts);
    }
    out[type] = { type: typeName(got.data), data: plain(got.data), counts: got.counts };
  }
  return out;
});

/**
 * Every rank contributes element k = rank + k (mod 50); rank i keeps counts[i] elements of the
 * sum, with counts holding zeros, or equal blocks (reduceScatterBlock).
 */
export const reduceScatterEveryType = defineProgram(async (comm, input: { block: boolean; length: number }) => {
  const out: Record<string, unknown> = {};
  for (const type of ELEMENT_TYPES) {
    // Small values so that no type overflows in a sum over 16 ranks.
    const length = input.block ? 3 * comm.size : input.length;
    const value = typed(type, Array.from({ length }, (_, k) => (comm.rank + k) % 5));
    const got = input.block ? await comm.reduceScatterBlock(value, SUM) : await comm.reduceScatter(value, SUM, reduceCounts(comm.size, length));
    out[type] = { type: typeName(got), values: plain(got) };
  }
  return out;
});

/** counts for reduceScatter over `length` elements: zeros for every third rank, the rest spread. */
export function reduceCounts(size: number, length: number): number[] {
  const holders = Array.from({ length: size }, (_, i) => i).filter((i) => i % 3 !== 1 || size === 1);
  const counts = new Array<number>(size).fill(0);
  holders.forEach((rank, j) => (counts[rank] = Math.floor(((j + 1) * length) / holders.length) - Math.floor((j * length) / holders.length)));
  return counts;
}

/** A large vector (past the split threshold of allreduce) with MAX, and counts given or not. */
export const reduceScatterLarge = defineProgram(async (comm, length: number) => {
  const value = new Float64Array(length).map((_, k) => (k * 31 + comm.rank * 17) % 1000);
  const even = await comm.reduceScatter(value, MAX);
  const counts = reduceCounts(comm.size, length);
  const uneven = await comm.reduceScatter(value, MAX, counts);
  const checksum = (array: Float64Array) => array.reduce((a, b) => a + b, 0);
  return { even: { length: even.length, sum: checksum(even) }, uneven: { length: uneven.length, sum: checksum(uneven) } };
});

/** A non-commutative op: a·10 + b element-wise, so the result's digits spell the ranks' order. */
export const reduceScatterNonCommutative = defineProgram(async (comm) => {
  const digits = Op.create((a: Float64Array, b: Float64Array) => a.map((x, k) => x * 10 + b[k]!), false);
  const value = new Float64Array(2 * comm.size).fill(comm.rank + 1);
  return plain(await comm.reduceScatter(value, digits, Array.from({ length: comm.size }, () => 2)));
});

export const recvIntoEveryType = defineProgram(async (comm) => {
  if (comm.size < 2) return undefined;
  if (comm.rank === 0) {
    for (const type of ELEMENT_TYPES) await comm.send(typed(type, [1, 2, 3]), 1, 4);
    await comm.send(new Float64Array(0), 1, 5);
    return undefined;
  }
  if (comm.rank !== 1) return undefined;
  const out: Record<string, unknown> = {};
  for (const type of ELEMENT_TYPES) {
    const buf = typed(type, [9, 9, 9, 9, 9]);
    const status = await comm.recvInto(buf, 0, 4);
    out[type] = { status, buf: plain(buf) };
  }
  const empty = new Float64Array([7]);
  out.empty = { status: await comm.recvInto(empty, ANY_SOURCE, ANY_TAG), buf: plain(empty) };
  out.procNull = await comm.recvInto(new Int32Array(1), PROC_NULL);
  return out;
});

/**
 * irecvInto posted before the message is sent (rank 0 sends only after hearing "ready"), into a
 * view in the middle of a larger array; a second one waited with others in waitall.
 */
export const irecvIntoPosted = defineProgram(async (comm) => {
  if (comm.rank === 0) {
    await comm.recv(1, 1);
    await comm.send(Int16Array.of(5, 6), 1, 2);
    await comm.send(BigInt64Array.of(-(2n ** 62n)), 1, 3);
    return undefined;
  }
  if (comm.rank !== 1) return undefined;
  const whole = new Int16Array(6).fill(-1);
  const first = comm.irecvInto(whole.subarray(2, 5), 0, 2);
  const big = new BigInt64Array(2);
  const second = comm.irecvInto(big, 0, 3);
  const nothing = comm.irecvInto(new Uint8Array(1), PROC_NULL);
  // Never sent: cancelled, it writes nothing and resolves to undefined.
  const untouched = Int8Array.of(4);
  const never = comm.irecvInto(untouched, 0, 99);
  never.cancel();
  await comm.send('ready', 0, 1);
  const [a, b, c] = await Request.waitall([first, second, nothing]);
  const cancelled = { cancelled: never.cancelled, value: await never.wait(), buf: plain(untouched) };
  return { a, b, c, whole: plain(whole), big: [String(big[0]), String(big[1])], status: first.status, cancelled };
});

/** What recvInto refuses when the message does not fit: each error, then the next message still arrives. */
export const recvIntoRefusals = defineProgram(async (comm) => {
  if (comm.rank === 0) {
    await comm.send(new Float64Array(4), 1, 1);
    await comm.send(new Float64Array(2), 1, 2);
    await comm.send({ not: 'a TypedArray' }, 1, 3);
    await comm.send(Float64Array.of(42), 1, 4);
    await comm.send(Float32Array.of(43), 1, 5);
    return undefined;
  }
  if (comm.rank !== 1) return undefined;
  const caught = async (call: () => Promise<unknown>) => {
    try {
      return { accepted: await call() };
    } catch (error) {
      return { type: (error as Error).name, argument: (error as { argument?: string }).argument, message: (error as Error).message };
    }
  };
  return {
    longer: await caught(() => comm.recvInto(new Float64Array(3), 0, 1)),
    otherType: await caught(() => comm.recvInto(new Int32Array(8), 0, 2)),
    notTyped: await caught(() => comm.recvInto(new Float64Array(8), 0, 3)),
    nonblockingLonger: await caught(() => comm.irecvInto(new Float64Array(0), 0, 4).wait()),
    notABuffer: await caught(async () => comm.recvInto([0, 0] as never, 0, 5)),
    dataView: await caught(async () => comm.irecvInto(new DataView(new ArrayBuffer(8)) as never, 0, 5)),
    after: await comm.recvInto(new Float32Array(1), 0, 5),
  };
});

/** Calls refused at the call, by name; run on rank 0 of 3 ranks. */
export const BAD_VECTOR_CALLS: Record<string, (comm: Comm) => Promise<unknown>> = {
  'scatterv counts summing past the buffer': (comm) => comm.scatterv(new Float64Array(4), [2, 2, 1], 0),
  'scatterv negative count': (comm) => comm.scatterv(new Float64Array(4), [2, -1, 1], 0),
  'scatterv non-integer count': (comm) => comm.scatterv(new Float64Array(4), [1, 0.5, 1], 0),
  'scatterv counts of the wrong length': (comm) => comm.scatterv(new Float64Array(4), [1, 1], 0),
  'scatterv displs of the wrong length': (comm) => comm.scatterv(new Float64Array(4), [1, 1, 1], 0, [0, 1]),
  'scatterv displacement past the end': (comm) => comm.scatterv(new Float64Array(4), [1, 1, 2], 0, [0, 1, 3]),
  'scatterv negative displacement': (comm) => comm.scatterv(new Float64Array(4), [1, 1, 1], 0, [0, -1, 2]),
  'scatterv of an array': (comm) => comm.scatterv([1, 2, 3] as never, [1, 1, 1], 0),
  'gatherv of a number': (comm) => comm.gatherv(3 as never, 0),
  'allgatherv of a DataView': (comm) => comm.allgatherv(new DataView(new ArrayBuffer(8)) as never),
  'alltoallv counts summing past the buffer': (comm) => comm.alltoallv(new Int32Array(3), [1, 2, 1]),
  'alltoallv counts of the wrong length': (comm) => comm.alltoallv(new Int32Array(3), [1, 1, 1, 0]),
  'alltoallv displacement past the end': (comm) => comm.alltoallv(new Int32Array(3), [1, 1, 1], [0, 1, 3]),
  'reduceScatter counts not summing to the length': (comm) => comm.reduceScatter(new Float64Array(6), SUM, [2, 2, 1]),
  'reduceScatter of a plain array': (comm) => comm.reduceScatter([1, 2, 3] as never, SUM),
  'reduceScatterBlock of a length not a multiple of the size': (comm) => comm.reduceScatterBlock(new Float64Array(7), SUM),
  'allocate of a non-TypedArray type': async () => allocate(Array as never, 3),
  'allocate of a negative length': async () => allocate(Float64Array, -1),
};

/**
 * Rank 0 makes a refused call (caught), then every rank runs a valid alltoallv: had the refused
 * call sent anything, the valid one would receive it.
 */
export const badVectorCall = defineProgram(async (comm, name: string) => {
  let refused: unknown = 'accepted';
  if (comm.rank === 0) {
    try {
      await BAD_VECTOR_CALLS[name]!(comm);
    } catch (error) {
      refused = { type: (error as Error).name, argument: (error as { argument?: string }).argument, message: (error as Error).message };
    }
  }
  const after = await comm.alltoallv(Int32Array.from({ length: comm.size }, (_, dest) => comm.rank * 10 + dest), new Array(comm.size).fill(1));
  return { refused, after: plain(after.data) };
});

/** Rank `odd` passes a buffer of another element type than the others. */
export const mismatchedTypes = defineProgram(async (comm, input: { call: 'gatherv' | 'allgatherv' | 'alltoallv'; odd: number }) => {
  const mine = comm.rank === input.odd ? new Int32Array(comm.size) : new Float64Array(comm.size);
  if (input.call === 'gatherv') return (await comm.gatherv(mine, 0))?.counts;
  if (input.call === 'allgatherv') return (await comm.allgatherv(mine)).counts;
  return (await comm.alltoallv(mine, new Array(comm.size).fill(1))).counts;
});

/**
 * allocate's memory: shared where ranks are threads. The send buffer is written again right after
 * each alltoallv returns: what the others received must not change, for a buffer lent in place
 * too (several rounds, so that a lender returning too early is caught in the act).
 */
export const allocatedAlltoallv = defineProgram(async (comm, input: { perPair: number; rounds: number }) => {
  const { perPair, rounds } = input;
  const sendbuf = allocate(Float64Array, perPair * comm.size);
  const counts = new Array<number>(comm.size).fill(perPair);
  let intact = true;
  let last: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let dest = 0; dest < comm.size; dest++) sendbuf.fill(round * 1e4 + comm.rank * 100 + dest, dest * perPair, (dest + 1) * perPair);
    const got = await comm.alltoallv(sendbuf, counts);
    sendbuf.fill(-1);
    // Once every rank has overwritten its buffer, the results must still hold what was sent.
    await comm.barrier();
    for (let source = 0; source < comm.size; source++) {
      if (!got.data.subarray(source * perPair, (source + 1) * perPair).every((x) => x === round * 1e4 + source * 100 + comm.rank)) intact = false;
    }
    last = got.counts;
  }
  return { shared: sendbuf.buffer instanceof SharedArrayBuffer, zeroed: Array.from(allocate(Int32Array, 3)), intact, counts: last };
});

/** One large block per pair (past a queue message's size: through S3 on the AWS transport). */
export const alltoallvLargePairs = defineProgram(async (comm, perPair: number) => {
  const sendbuf = new Float64Array(perPair * comm.size);
  for (let i = 0; i < sendbuf.length; i++) sendbuf[i] = comm.rank * 1e6 + i;
  const got = await comm.alltoallv(sendbuf, new Array(comm.size).fill(perPair));
  let intact = true;
  for (let source = 0; source < comm.size; source++) {
    for (let k = 0; k < perPair; k++) if (got.data[source * perPair + k] !== source * 1e6 + comm.rank * perPair + k) intact = false;
  }
  return { intact, counts: got.counts };
});
