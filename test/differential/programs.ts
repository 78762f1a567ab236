/**
 * TypeScript counterparts of test/mpi4py/*.py, line for line: each prints exactly what the
 * Python program prints under `mpirun -np N`. (The seed's hello, sendrecv and reduce are the
 * bundled programs of src/programs and are run by name.)
 */
import {
  ANY_SOURCE, BAND, BOR, BXOR, InvalidArgumentError, LAND, LOR, LXOR, MAX, MAXLOC, MIN, MINLOC, PROC_NULL, PROD, Request, SUM,
  computeDims, defineProgram, type Group,
} from '../../src/index.ts';
import { formatNumpy } from '../../src/programs/numpy-format.ts';

// ---- printing values as Python's str() does ----

/** Python's repr of a float: shortest round-trip digits, `1.0`, `1e-05`, `1e+16`. */
export function pyFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  const digits = mantissa.replace('.', '');
  if (exponent < -4 || exponent >= 16) {
    const shown = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${shown}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  return `${sign}${digits.slice(0, exponent + 1).padEnd(exponent + 1, '0')}.${digits.slice(exponent + 1) || '0'}`;
}

/** Python's repr of a str: single quotes unless the text has ' and no ". */
export function pyString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}

/** A Python tuple: `(7, 1)`, `(1,)`. */
export function pyTuple(items: readonly unknown[]): string {
  return items.length === 1 ? `(${pyRepr(items[0])},)` : `(${items.map(pyRepr).join(', ')})`;
}

/** repr() of the Python value a JS value stands for; integral numbers are Python ints. */
export function pyRepr(value: unknown): string {
  if (value === undefined || value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : pyFloat(value);
  if (typeof value === 'string') return pyString(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return formatNumpy(value as unknown as ArrayLike<number>);
  if (typeof value === 'object') {
    return `{${Object.entries(value).map(([key, item]) => `${pyString(key)}: ${pyRepr(item)}`).join(', ')}}`;
  }
  throw new TypeError(`no Python counterpart for ${typeof value}`);
}

/** str(): what Python's print and %s show (a str as itself, everything else as its repr). */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

// ---- the programs (same N as the .py files) ----

/** allreduce.py, N = 4. */
export const allreduce = defineProgram(async (comm) => {
  const { rank, size } = comm;
  const total = await comm.allreduce(rank + 1, SUM);
  const negative = await comm.allreduce(-7 * rank, SUM);
  const product = await comm.allreduce(rank + 1, PROD);
  const largest = await comm.allreduce((rank * 3) % size, MAX);
  const smallest = await comm.allreduce(10 - rank, MIN);
  console.log(`rank ${rank}: sum=${total} negsum=${negative} prod=${product} max=${largest} min=${smallest}`);

  const every = await comm.allreduce(rank < size, LAND);
  const allEven = await comm.allreduce(rank % 2 === 0, LAND);
  const anyone = await comm.allreduce(rank === 2, LOR);
  const exactlyOne = await comm.allreduce(rank === 1, LXOR);
  console.log(`rank ${rank}: land=${pyStr(every)} land_even=${pyStr(allEven)} lor=${pyStr(anyone)} lxor=${pyStr(exactlyOne)}`);

  const band = await comm.allreduce(rank | 8, BAND);
  const bor = await comm.allreduce(1 << rank, BOR);
  const bxor = await comm.allreduce(rank + 1, BXOR);
  console.log(`rank ${rank}: band=${band} bor=${bor} bxor=${bxor}`);

  const sendbuf = Float64Array.of(rank, rank * 0.5, -rank, 2 ** -rank);
  const recvbuf = await comm.allreduce(sendbuf, SUM);
  console.log(`rank ${rank}: Allreduce SUM ${formatNumpy(recvbuf)}`);

  const prod = await comm.allreduce(Float64Array.of(rank + 1, 0.5), PROD);
  console.log(`rank ${rank}: Allreduce PROD ${formatNumpy(prod)}`);

  const ints = Int32Array.of(rank, rank * rank, 100 - rank);
  const intsum = await comm.allreduce(ints, SUM);
  const intmax = await comm.allreduce(ints, MAX);
  console.log(`rank ${rank}: Allreduce int32 SUM ${formatNumpy(intsum)} MAX ${formatNumpy(intmax)}`);
});

/** scan.py, N = 4. */
export const scan = defineProgram(async (comm) => {
  const { rank } = comm;
  const inclusive = await comm.scan(rank + 1, SUM);
  const exclusive = await comm.exscan(rank + 1, SUM);
  const runningMax = await comm.scan([3, 1, 4, 1][rank]!, MAX);
  const exclusiveProd = await comm.exscan(rank + 2, PROD);
  console.log(`rank ${rank}: scan=${pyStr(inclusive)} exscan=${pyStr(exclusive)} scanmax=${pyStr(runningMax)} exscanprod=${pyStr(exclusiveProd)}`);

  const recvbuf = await comm.scan(Float64Array.of(rank, 1.5), SUM);
  console.log(`rank ${rank}: Scan SUM ${formatNumpy(recvbuf)}`);
});

/** alltoall.py, N = 3. */
export const alltoall = defineProgram(async (comm) => {
  const { rank, size } = comm;
  const targets = Array.from({ length: size }, (_, j) => j);
  const labels = await comm.alltoall(targets.map((j) => `${rank}->${j}`));
  console.log(`rank ${rank}: alltoall ${pyStr(labels)}`);

  const records = await comm.alltoall(targets.map((j) => ({ src: rank, dst: j, payload: new Array(j).fill(rank) })));
  console.log(`rank ${rank}: alltoall ${pyStr(records)}`);
});

/** maxloc.py, N = 4. */
export const maxloc = defineProgram(async (comm) => {
  const { rank, size } = comm;
  const values = [3, 7, 7, 1];
  const best = await comm.allreduce([values[rank]!, rank], MAXLOC);
  const least = await comm.allreduce([[5, 2, 9, 2][rank]!, rank], MINLOC);
  const fbest = await comm.allreduce([[0.5, 2.5, -1.5, 2.5][rank]!, rank], MAXLOC);
  const reversedTie = await comm.allreduce([1, size - 1 - rank], MINLOC);
  const atRoot = await comm.reduce([values[rank]!, rank], MAXLOC, 3);
  const tuple = (pair: unknown) => (pair === undefined ? 'None' : pyTuple(pair as unknown[]));
  console.log(`rank ${rank}: maxloc=${tuple(best)} minloc=${tuple(least)} fmaxloc=${tuple(fbest)} tie=${tuple(reversedTie)} reduce@3=${tuple(atRoot)}`);
});

/** collectives.py, N = 4. */
export const collectives = defineProgram(async (comm) => {
  const { rank, size } = comm;
  let data = rank === 0 ? { name: 'fred', values: [1, 2, 3], nested: { ok: true, none: null } } : undefined;
  data = await comm.bcast(data, 0);
  console.log(`rank ${rank}: bcast ${pyStr(data)}`);

  const chunks = rank === 1 ? Array.from({ length: size }, (_, i) => new Array(i + 1).fill(i)) : undefined;
  const chunk = await comm.scatter(chunks, 1);
  console.log(`rank ${rank}: scatter ${pyStr(chunk)}`);

  const squares = await comm.gather(rank ** 2, 0);
  const names = await comm.gather(`r${rank}`, size - 1);
  console.log(`rank ${rank}: gather ${pyStr(squares)} ${pyStr(names)}`);

  const everyone = await comm.allgather([rank, 'x'.repeat(rank)]);
  console.log(`rank ${rank}: allgather ${pyStr(everyone)}`);
});

/** split.py, N = 5. */
export const split = defineProgram(async (comm) => {
  const { rank } = comm;
  const color = rank % 2;
  const sub = await comm.split(color, -rank);
  const members = await sub.allgather(rank);
  const total = await sub.allreduce(rank, SUM);
  console.log(`rank ${rank}: color ${color} subrank ${sub.rank} of ${sub.size} members ${pyStr(members)} sum ${total}`);
});

/** p2p.py, N = 4. */
export const p2p = defineProgram(async (comm) => {
  const { rank, size } = comm;
  const right = (rank + 1) % size;
  const left = (rank - 1 + size) % size;
  const got = await comm.sendrecv({ from: rank, msg: 'hi' }, right, left);
  console.log(`rank ${rank}: sendrecv got ${pyStr(got)}`);

  if (rank === 0) {
    await Request.waitall([comm.isend('first', size - 1, 1), comm.isend('second', size - 1, 2)]);
  } else if (rank === size - 1) {
    const second = await comm.recv(0, 2);
    const first = await comm.recv(0, 1);
    console.log(`rank ${rank}: tag2=${pyStr(second)} tag1=${pyStr(first)}`);
  }

  if (rank === 0) {
    const arrivals: [number, number, unknown][] = [];
    for (let i = 0; i < size - 1; i++) {
      const message = await comm.recvMessage(ANY_SOURCE, 7);
      arrivals.push([message.source, message.tag, message.value]);
    }
    arrivals.sort((a, b) => a[0] - b[0]);
    console.log(`rank ${rank}: any source ${pyStr(arrivals)}`);
  } else {
    await comm.send(rank * 10, 0, 7);
  }
});

/** compute_dims.py, N = 1: the same inputs as the Python program, printed as it prints them. */
export const computeDimsCases = defineProgram(async () => {
  const zeros = (count: number) => new Array<number>(count).fill(0);
  const cases: Array<[number, number[]]> = [];
  for (const n of [1, 2, 6, 7, 12, 16, 24, 36, 60, 64, 72, 100, 210, 256, 360, 1000, 1024, 10000]) {
    for (const d of [1, 2, 3, 4]) cases.push([n, zeros(d)]);
  }
  cases.push([12, [2, 0, 0]], [12, [0, 3, 0]], [24, [0, 0, 2]], [64, [4, 0, 0, 0]], [60, [0, 5, 0]], [36, [3, 0, 3]],
    [8, [2, 2, 2]], [6, [0, 3]], [1, []], [0, [0, 0]], [12, [5, 0]], [12, [0, -1]], [8, [2, 2, 3]], [5, []]);
  const list = (values: number[]) => `[${values.join(', ')}]`;
  for (const [nnodes, dims] of cases) {
    let grid: string;
    try {
      grid = list(computeDims(nnodes, dims));
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      grid = 'error';
    }
    console.log(`dims ${nnodes} ${list(dims)} -> ${grid}`);
  }
});

/** nonblocking.py, N = 4. */
export const nonblocking = defineProgram(async (comm) => {
  const { rank, size } = comm;
  const right = (rank + 1) % size;
  const left = (rank - 1 + size) % size;
  const recvRequest = comm.irecv(left, 3);
  const sendRequest = comm.isend({ from: rank }, right, 3);
  const [got] = await Request.waitall<unknown>([recvRequest, sendRequest]);
  console.log(`rank ${rank}: ring got ${pyStr(got)}`);

  if (rank === 0) {
    const requests = Array.from({ length: size - 1 }, () => comm.irecv<number>(ANY_SOURCE, 7));
    const values: number[] = [];
    for (let i = 0; i < size - 1; i++) values.push((await Request.waitany(requests)).value!);
    console.log(`rank ${rank}: waitany got ${pyStr(values.sort((a, b) => a - b))}`);
  } else {
    await comm.issend(rank * 100, 0, 7).wait();
    console.log(`rank ${rank}: issend matched`);
  }

  const up = rank + 1 < size ? rank + 1 : PROC_NULL;
  const down = rank > 0 ? rank - 1 : PROC_NULL;
  const shifted = await comm.sendrecv(`from ${rank}`, up, down);
  console.log(`rank ${rank}: shift got ${pyStr(shifted === undefined ? null : shifted)}`);
  console.log(`rank ${rank}: from PROC_NULL ${pyStr(await comm.irecv(PROC_NULL).wait() ?? null)}`);
});

/** vcollectives.py, N = 4: the variable-count buffer collectives and a receive into a larger buffer. */
export const vcollectives = defineProgram(async (comm) => {
  const { rank, size } = comm;
  const counts = [2, 0, 3, 1];
  const displs = [7, 0, 1, 5];
  const sendbuf = rank === 1 ? Float64Array.from({ length: 10 }, (_, k) => k * 1.5) : undefined;
  const block = await comm.scatterv(sendbuf, counts, 1, displs);
  console.log(`rank ${rank}: scatterv ${formatNumpy(block)}`);

  const mine = Int32Array.from({ length: rank % 3 }, (_, k) => rank * 10 + k);
  const gathered = await comm.gatherv(mine, 2);
  if (gathered) console.log(`rank ${rank}: gatherv ${formatNumpy(gathered.data)} counts ${pyRepr(gathered.counts)}`);

  const everyone = await comm.allgatherv(new Float32Array(rank + 1).fill(rank + 0.5));
  console.log(`rank ${rank}: allgatherv ${formatNumpy(everyone.data)} counts ${pyRepr(everyone.counts)}`);

  const scounts = Array.from({ length: size }, (_, j) => (rank + j) % 3);
  const send = BigInt64Array.from(scounts.flatMap((count, j) => Array.from({ length: count }, (_, k) => BigInt(rank * 100 + j * 10 + k))));
  const shuffled = await comm.alltoallv(send, scounts);
  console.log(`rank ${rank}: alltoallv ${formatNumpy(shuffled.data)} counts ${pyRepr(shuffled.counts)}`);

  const value = Float64Array.from({ length: 10 }, (_, k) => rank + k * 0.25);
  console.log(`rank ${rank}: reduce_scatter ${formatNumpy(await comm.reduceScatter(value, SUM, [3, 0, 4, 3]))}`);

  const ints = Int32Array.from({ length: 2 * size }, (_, k) => rank * k);
  console.log(`rank ${rank}: reduce_scatter_block ${formatNumpy(await comm.reduceScatterBlock(ints, MAX))}`);

  if (rank === 0) await comm.send(Float64Array.of(1.5, 2.5, 3.5), 3, 9);
  else if (rank === 3) {
    const into = new Float64Array(5);
    const { count } = await comm.recvInto(into, 0, 9);
    console.log(`rank ${rank}: recv into ${formatNumpy(into)} count ${count}`);
  }
});

/** topology.py, N = 7. */
export const topology = defineProgram(async (comm) => {
  const { rank } = comm;
  const world = comm.group;
  const a = world.incl([3, 1, 5]);
  const b = world.excl([0, 1]);
  const everyRank = (group: Group) => Array.from({ length: group.size }, (_, i) => i);
  for (const [name, group] of [['a', a], ['b', b], ['a|b', a.union(b)], ['b|a', b.union(a)], ['a&b', a.intersection(b)],
    ['b&a', b.intersection(a)], ['a-b', a.difference(b)], ['b-a', b.difference(a)]] as const) {
    const members = group.translateRanks(everyRank(group), world);
    console.log(`rank ${rank}: group ${name} size ${group.size} rank ${pyStr(group.rank)} members ${pyStr(members)}`);
  }
  console.log(`rank ${rank}: translate a->b ${pyStr(a.translateRanks([0, 1, 2, PROC_NULL], b))}`);

  const created = await comm.create(a);
  if (created) console.log(`rank ${rank}: create rank ${created.rank} of ${created.size} gathers ${pyStr(await created.allgather(rank))}`);
  if (b.rank !== undefined) {
    const sub = (await comm.createGroup(b, 3))!;
    console.log(`rank ${rank}: create_group rank ${sub.rank} of ${sub.size} gathers ${pyStr(await sub.allgather(rank))}`);
  }

  for (const [dims, periods] of [[[3, 2], [true, false]], [[2, 3], [true, true]]] as const) {
    const cart = await comm.createCart(dims, { periods, reorder: false });
    if (!cart) {
      console.log(`rank ${rank}: cart ${pyStr(dims)} none`);
      continue;
    }
    const r = cart.rank;
    const shifts = dims.flatMap((_, d) => [1, -1, 2].map((disp) => cart.shift(d, disp))).map(({ source, dest }) => [source, dest]);
    console.log(`rank ${rank}: cart ${pyStr(dims)} rank ${r} coords ${pyStr(cart.cartCoords(r))} shifts ${pyStr(shifts)}`);
    console.log(`rank ${rank}: cart ${pyStr(dims)} coords of 4 ${pyStr(cart.cartCoords(4))} rank of [1, 1] ${cart.cartRank([1, 1])}, of [-1, 1] ${cart.cartRank([-1, 1])}`);
    console.log(`rank ${rank}: cart ${pyStr(dims)} allgather ${pyStr(await cart.neighborAllgather(r))}`);
    console.log(`rank ${rank}: cart ${pyStr(dims)} alltoall ${pyStr(await cart.neighborAlltoall(Array.from({ length: 2 * dims.length }, (_, k) => `${r}:${k}`)))}`);
    for (const remain of [[false, true], [true, false]]) {
      const sub = await cart.sub(remain);
      console.log(`rank ${rank}: cart ${pyStr(dims)} sub ${pyStr(remain)} rank ${sub.rank} of ${sub.size} dims ${pyStr(sub.dims)} coords ${pyStr(sub.coords)} gathers ${pyStr(await sub.allgather(r))}`);
    }
  }
});

/** nonblocking_collectives.py, N = 4 (mpi4py 3.1's nonblocking collectives take numpy buffers: TypedArrays here). */
export const nonblockingCollectives = defineProgram(async (comm) => {
  const { rank, size } = comm;
  await comm.ibarrier().wait();
  console.log(`rank ${rank}: Ibarrier done`);

  const rBcast = comm.ibcast(new Float64Array([rank * 10, rank + 0.5]), 1);
  const rScatter = comm.iscatter(rank === 2 ? Array.from({ length: size }, (_, dest) => Int32Array.of(dest * 6, dest * 6 + 3)) : undefined, 2);
  const rGather = comm.igather(Float64Array.of(rank * 1.5), 3);
  const rAllgather = comm.iallgather(Int32Array.of(rank * rank));
  const rAlltoall = comm.ialltoall(Array.from({ length: size }, (_, dest) => rank * 10 + dest));
  const [exchanged, allgathered, gathered, scattered, bcast] = await Request.waitall<unknown>([rAlltoall, rAllgather, rGather, rScatter, rBcast]);
  const joined = (parts: unknown, Type: typeof Int32Array | typeof Float64Array) => Type.from((parts as ArrayLike<number>[]).flatMap((part) => Array.from(part)));
  console.log(`rank ${rank}: Ibcast ${formatNumpy(bcast as Float64Array)}`);
  console.log(`rank ${rank}: Iscatter ${formatNumpy(scattered as Int32Array)}`);
  if (rank === 3) console.log(`rank ${rank}: Igather ${formatNumpy(joined(gathered, Float64Array))}`);
  console.log(`rank ${rank}: Iallgather ${formatNumpy(joined(allgathered, Int32Array))}`);
  console.log(`rank ${rank}: Ialltoall ${formatNumpy(Int32Array.from(exchanged as number[]))}`);

  const requests: Request<unknown>[] = [
    comm.ireduce(Float64Array.of(rank, 2 ** rank, -rank), SUM, 0),
    comm.iallreduce(Int32Array.of((rank * 7) % size, -rank), MAX),
    comm.iscan(Float64Array.of(rank + 1, 0.5), SUM),
    comm.iexscan(Int32Array.of(rank + 1), PROD),
  ];
  const blocking = await comm.allreduce(rank, SUM);
  const values: unknown[] = new Array(requests.length);
  for (let done = 0; done < requests.length; done++) {
    const { index, value } = await Request.waitany(requests);
    values[index!] = value;
  }
  const [reduced, maxed, scanned, exscanned] = values as [Float64Array, Int32Array, Float64Array, Int32Array];
  if (rank === 0) console.log(`rank ${rank}: Ireduce SUM ${formatNumpy(reduced)}`);
  console.log(`rank ${rank}: Iallreduce MAX ${formatNumpy(maxed)}`);
  console.log(`rank ${rank}: Iscan SUM ${formatNumpy(scanned)}`);
  if (rank > 0) console.log(`rank ${rank}: Iexscan PROD ${formatNumpy(exscanned)}`);
  console.log(`rank ${rank}: blocking allreduce among them ${blocking}`);
});
