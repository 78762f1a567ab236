import {
  BAND, BOR, BXOR, LAND, LOR, LXOR, MAX, MAXLOC, MIN, MINLOC, Op, PROD, SUM, defineProgram,
} from '../../../src/index.ts';

/** The collective cases' programs (collective-cases.ts), in a module so that ranks in threads can load them. */

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Non-commutative and associative: string concatenation shows the order operands were combined in. */
const CONCAT = Op.create((a: string, b: string) => a + b, false);

/** Wall-clock time in microseconds, comparable between threads (each thread's timeOrigin is its own). */
const now = () => performance.timeOrigin + performance.now();

/**
 * Each rank says when it entered the barrier and when it left it: with arrivals staggered, a
 * barrier that let a rank through early shows as a rank that left before the last one entered.
 */
export const barrierTimes = defineProgram(async (comm) => {
  await new Promise((resolve) => setTimeout(resolve, (comm.rank * 7) % 23));
  const entered = now();
  await comm.barrier();
  const left = now();
  await comm.barrier();
  return { entered, left };
});

export const rootedCollectives = defineProgram(async (comm, roots: number[]) => {
  const out: unknown[] = [];
  for (const root of roots) {
    out.push(await comm.bcast(comm.rank === root ? { root, data: [root, 'x'] } : undefined, root));
    out.push(await comm.scatter(comm.rank === root ? range(comm.size).map((i) => `item ${i}`) : undefined, root));
    out.push(await comm.gather(comm.rank * 10, root));
  }
  out.push(await comm.allgather({ r: comm.rank }));
  return out;
});

/** Values too large for a queue message, broadcast from the last rank: each rank checks its copy and changes it. */
export const largeBcasts = defineProgram(async (comm) => {
  const root = comm.size - 1;
  const vector = comm.rank === root ? Float64Array.from({ length: 65_536 }, (_, i) => i * 3 + 0.5) : undefined;
  const text = comm.rank === root ? { note: 'x'.repeat(300_000), root } : undefined;
  const gotVector = await comm.bcast(vector, root);
  const gotText = await comm.bcast(text, root);
  const intact = gotVector!.every((x, i) => x === i * 3 + 0.5) && gotText!.note.length === 300_000 && gotText!.root === root;
  gotVector![0] = -comm.rank; // changes this rank's copy only
  await comm.barrier();
  return { intact, own: gotVector![0] === -comm.rank, type: gotVector!.constructor.name };
});

export const alltoallNames = defineProgram(async (comm) => comm.alltoall(range(comm.size).map((j) => `${comm.rank}->${j}`)));

export const sumReductions = defineProgram(async (comm, root: number) => {
  const vector = Float64Array.from({ length: 5 }, (_, i) => comm.rank * 10 + i);
  const reduced = await comm.reduce(vector, SUM, root);
  return {
    reduce: await comm.reduce(comm.rank + 1, SUM, root),
    reduceVector: reduced && { type: reduced.constructor.name, values: Array.from(reduced) },
    allreduce: await comm.allreduce(comm.rank + 1),
    allreduceVector: Array.from(await comm.allreduce(vector, SUM)),
    scan: await comm.scan(comm.rank + 1),
    exscan: await comm.exscan(comm.rank + 1),
  };
});

const USER_SUM = Op.create((a: Float64Array, b: Float64Array) => a.map((x, i) => x + b[i]!), true);

export const splitVectorReductions = defineProgram(async (comm) => {
  const n = 8193; // just over 64 KiB of float64, and odd, so the halves are uneven
  const v = Float64Array.from({ length: n }, (_, i) => i * (comm.rank + 1) + comm.rank);
  const before = v.slice();
  const problems: string[] = [];
  const sharedVectors: Float64Array[] = [];
  for (const [name, op] of [['SUM', SUM], ['MAX', MAX], ['user', USER_SUM]] as const) {
    const expected = (i: number) => {
      let e = op === MAX ? -Infinity : 0;
      for (let r = 0; r < comm.size; r++) e = op === MAX ? Math.max(e, i * (r + 1) + r) : e + i * (r + 1) + r;
      return e;
    };
    const all = await comm.allreduce(v, op);
    if (!(all instanceof Float64Array) || all.some((x, i) => x !== expected(i))) problems.push(`allreduce ${name}`);
    // Into an array of the caller's, twice (the second call overwrites what the first wrote).
    const into = new Float64Array(n).fill(NaN);
    for (let call = 0; call < 2; call++) {
      const filled = await comm.allreduce(v, op, into);
      if (filled !== into || into.some((x, i) => x !== expected(i))) problems.push(`allreduce ${name} into an array, call ${call + 1}`);
      into.fill(-1);
    }
    // The vector in shared memory (ranks in threads lend it as it lies, and must leave it unchanged).
    const shared = new Float64Array(new SharedArrayBuffer(n * Float64Array.BYTES_PER_ELEMENT));
    shared.set(v);
    const fromShared = await comm.allreduce(shared, op, into);
    if (fromShared.some((x, i) => x !== expected(i))) problems.push(`allreduce ${name} of a vector in shared memory`);
    sharedVectors.push(shared);
    for (const root of new Set([0, comm.size - 1, comm.size >> 1])) {
      const reduced = await comm.reduce(v, op, root);
      if (comm.rank === root && (!(reduced instanceof Float64Array) || reduced.some((x, i) => x !== expected(i)))) problems.push(`reduce ${name} at ${root}`);
    }
  }
  if (v.some((x, i) => x !== before[i])) problems.push('the input vector was changed');
  // Checked after every later call: memory of the program's must never be taken for the collectives' own.
  if (sharedVectors.some((shared) => shared.some((x, i) => x !== before[i]))) problems.push('a vector in shared memory was changed');
  return problems;
});

export const nonCommutativeOrder = defineProgram(async (comm) => {
  const mine = String.fromCharCode(65 + (comm.rank % 26));
  return {
    reduceAtLast: await comm.reduce(mine, CONCAT, comm.size - 1),
    allreduce: await comm.allreduce(mine, CONCAT),
    scan: await comm.scan(mine, CONCAT),
    exscan: await comm.exscan(mine, CONCAT),
  };
});

export const everyBuiltinOp = defineProgram(async (comm) => {
  const r = comm.rank;
  const all = <T>(v: T, op: Op) => comm.allreduce(v, op);
  return {
    sum: await all(r + 0.5, SUM),
    prod: await all(r + 1, PROD),
    max: await all(r * (r % 2 ? -1 : 1), MAX),
    min: await all(r * (r % 2 ? -1 : 1), MIN),
    bigSum: await all(BigInt(r) * 10n ** 20n, SUM),
    land: await all(r !== 3, LAND),
    lor: await all(r === 2, LOR),
    lxor: await all(r % 2 === 1, LXOR),
    band: await all(0b1111 ^ (1 << r % 4), BAND),
    bor: await all(1 << r, BOR),
    bxor: await all(r, BXOR),
    bandBig: await all(2 ** 40 + r, BAND),
    arraySum: await all([r, 2 * r], SUM),
    int32Band: Array.from(await all(Int32Array.of(0b111, -1 ^ r), BAND)),
    uint8Max: await all(Uint8Array.of(r, 255 - r), MAX),
    bigintArraySum: Array.from(await all(BigInt64Array.of(BigInt(r)), SUM)),
    maxloc: await all([r % 3, r], MAXLOC),
    minloc: await all([r % 3, comm.size - 1 - r], MINLOC),
  };
});

/**
 * Even ranks overwrite their allreduce result the moment they get it; odd ranks then check theirs.
 * A collective that lent its memory to a partner and returned before the partner had read it
 * would show here as odd ranks holding the even ranks' overwrites.
 */
export const resultsAreIndependent = defineProgram(async (comm, into: boolean | undefined) => {
  const n = 3 * 8192 + 1;
  const v = Float64Array.from({ length: n }, (_, i) => i + comm.rank);
  const results = [];
  for (let round = 0; round < 3; round++) {
    const r = await comm.allreduce(v, SUM, into ? new Float64Array(n) : undefined);
    if (comm.rank % 2 === 0) r.fill(-1);
    results.push(r);
  }
  await comm.barrier();
  if (comm.rank % 2 === 0) return 0;
  const offset = (comm.size * (comm.size - 1)) / 2;
  let wrong = 0;
  for (const r of results) for (let i = 0; i < n; i++) if (r[i] !== comm.size * i + offset) wrong++;
  return wrong;
});
