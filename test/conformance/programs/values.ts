import { defineProgram } from '../../../src/index.ts';

/** The value cases' programs (value-cases.ts), in a module so that ranks in threads can load them. */

/** Every kind of value API.md promises, each sent from rank 0 to rank 1 and back. */
function sampleValues(): Record<string, unknown> {
  const buffer = new ArrayBuffer(12);
  new Uint8Array(buffer).set([1, 2, 3, 250]);
  const error = new RangeError('out of range');
  return {
    undefined: undefined,
    null: null,
    true: true,
    number: -0.5,
    nan: NaN,
    negativeZero: -0,
    infinity: -Infinity,
    string: 'héllo ✓ \u0000 end',
    emptyString: '',
    bigint: -(2n ** 100n),
    array: [1, 'two', [3, [4]], null],
    sparseObject: { a: 1, nested: { b: [true, false] }, 'key with space': 'x' },
    map: new Map<unknown, unknown>([[1, 'one'], ['two', { n: 2 }]]),
    set: new Set([1, 'a', 3n]),
    date: new Date('2026-11-25T12:00:00Z'),
    error,
    int8: Int8Array.of(-128, 0, 127),
    uint8: Uint8Array.of(0, 255),
    uint8Clamped: Uint8ClampedArray.of(0, 255),
    int16: Int16Array.of(-32768, 32767),
    uint16: Uint16Array.of(65535),
    int32: Int32Array.of(-(2 ** 31), 2 ** 31 - 1),
    uint32: Uint32Array.of(2 ** 32 - 1),
    float32: Float32Array.of(1.5, -0.25),
    float64: Float64Array.of(Math.PI, -Infinity, NaN),
    bigint64: BigInt64Array.of(-(2n ** 63n)),
    biguint64: BigUint64Array.of(2n ** 64n - 1n),
    emptyFloat64: new Float64Array(0),
    arrayBuffer: buffer,
    buffer: Buffer.from('binary \x00\xff bytes', 'latin1'),
    dataView: new DataView(buffer, 1, 2),
    subarray: new Float64Array([1, 2, 3, 4]).subarray(1, 3),
    typedInsideObject: { weights: Float32Array.of(0.5, 2), ids: [Uint16Array.of(7)] },
    // Plain data that JSON would not give back as it is: small plain data may travel as JSON, so
    // each of these must be told apart from data that may.
    jsonLook: { negativeZero: -0, nan: NaN, infinite: Infinity, missing: undefined, holes: [1, , 3], undefinedInArray: [undefined], big: 2n },
    jsonExact: { loneSurrogate: '\ud800 and \udfff', largest: Number.MAX_VALUE, smallest: Number.MIN_VALUE, unicode: 'naïve 日本 \u2028', nested: [[[{}]], []] },
    arrayWithProperty: Object.assign([1, 2], { label: 'extra' }),
    nullPrototype: Object.assign(Object.create(null) as object, { a: 1 }),
    protoKey: JSON.parse('{"__proto__": {"polluted": true}, "b": 2}') as unknown,
    sharedReference: ((shared) => ({ a: shared, b: shared }))({ x: 1 }),
  };
}

export const everyValueKind = defineProgram(async (comm) => {
  const values = sampleValues();
  if (comm.rank === 0) {
    for (const value of Object.values(values)) await comm.send(value, 1);
    return undefined;
  }
  const mismatches: string[] = [];
  for (const [name, expected] of Object.entries(values)) {
    const got = await comm.recv(0);
    if (!sameValue(got, expected)) mismatches.push(`${name}: got ${String(got)} (${kindOf(got)})`);
    // A structured clone keeps a value reached twice one value.
    if (name === 'sharedReference' && (got as { a: object; b: object }).a !== (got as { a: object; b: object }).b) mismatches.push(`${name}: its two references came as two objects`);
    if (name === 'protoKey' && (Object.getPrototypeOf(got) !== Object.prototype || !Object.hasOwn(got as object, '__proto__'))) mismatches.push(`${name}: its "__proto__" key came as a prototype`);
  }
  return mismatches;
});

/** Rank 0 changes its copy of the input; every rank returns its own. */
export const rankZeroChangesItsInput = defineProgram(async (comm, mine: { list: number[]; nested: { flag: boolean }; added?: string }) => {
  if (comm.rank === 0) {
    mine.list.push(99);
    mine.nested.flag = true;
    mine.added = 'by rank 0';
  }
  await comm.barrier();
  return mine;
});

export const sendsUnsendable = defineProgram(async (comm, kind: string) => {
  if (comm.rank !== 0) return undefined;
  const value = kind === 'function' ? { callback: () => 1 } : Symbol('s');
  try {
    await comm.send(value, 1);
    return 'sent';
  } catch (error) {
    return { name: (error as Error).name, argument: (error as any).argument, message: (error as Error).message };
  }
});

function kindOf(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? (value as object).constructor?.name ?? 'object' : typeof value;
}

function sameValue(got: unknown, expected: unknown): boolean {
  if (typeof expected === 'number' && Number.isNaN(expected)) return Number.isNaN(got as number);
  if (Object.is(expected, -0)) return Object.is(got, -0);
  if (expected instanceof DataView) {
    return got instanceof DataView && Buffer.compare(
      Buffer.from(got.buffer, got.byteOffset, got.byteLength),
      Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength),
    ) === 0;
  }
  if (expected instanceof ArrayBuffer) {
    return got instanceof ArrayBuffer && Buffer.compare(Buffer.from(got), Buffer.from(expected)) === 0;
  }
  if (Buffer.isBuffer(expected)) return Buffer.isBuffer(got) && got.equals(expected);
  if (ArrayBuffer.isView(expected)) {
    return (
      got?.constructor === expected.constructor &&
      (got as Float64Array).length === (expected as Float64Array).length &&
      Array.from(expected as Float64Array).every((x, i) => Object.is(x, (got as Float64Array)[i]) || (Number.isNaN(x) && Number.isNaN((got as Float64Array)[i])))
    );
  }
  if (expected instanceof Error) {
    return got instanceof Error && got.name === expected.name && got.message === expected.message;
  }
  if (expected instanceof Map) {
    return got instanceof Map && got.size === expected.size && [...expected].every(([k, v], i) => {
      const [gk, gv] = [...got][i]!;
      return sameValue(gk, k) && sameValue(gv, v);
    });
  }
  if (expected instanceof Set) return got instanceof Set && sameValue([...got], [...expected]);
  if (expected instanceof Date) return got instanceof Date && got.getTime() === expected.getTime();
  if (Array.isArray(expected)) {
    // Holes are not undefined elements: compare which indices exist too.
    return Array.isArray(got) && got.length === expected.length && Object.keys(got).join() === Object.keys(expected).join() &&
      Array.from({ length: expected.length }, (_, i) => i).every((i) => sameValue(got[i], expected[i]));
  }
  if (expected && typeof expected === 'object') {
    if (!got || typeof got !== 'object') return false;
    const keys = Object.keys(expected);
    return keys.length === Object.keys(got).length && keys.every((k) => Object.hasOwn(got, k) && sameValue((got as any)[k], (expected as any)[k]));
  }
  return Object.is(got, expected);
}

/**
 * Rank 0 sends a TypedArray on a SharedArrayBuffer, bare and inside an object, then changes it
 * once the sends returned: the receiver must hold what was sent (a send copies), not a view of
 * rank 0's memory.
 */
export const sendsSharedMemory = defineProgram(async (comm) => {
  if (comm.rank === 0) {
    const shared = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT)).fill(1);
    await comm.send(shared, 1);
    await comm.send({ nested: shared }, 1);
    shared.fill(2);
    await comm.barrier();
    return undefined;
  }
  const bare = await comm.recv<Int32Array>(0);
  const inObject = await comm.recv<{ nested: Int32Array }>(0);
  await comm.barrier();
  return [Array.from(bare), Array.from(inObject.nested)];
});

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}

/**
 * Rank 0 is the root of bcast, scatter and gather; every rank takes part in allgather and
 * alltoall. Each rank reports, per call, the kind of what it got back of rank 0's Point, and
 * whether the result aliases what it passed in.
 */
export const ownContributions = defineProgram(async (comm) => {
  const point = new Point(3, 4);
  const mine = { rank: comm.rank, list: [comm.rank] };
  const report: Record<string, unknown> = {};
  const bcastValue = (await comm.bcast(comm.rank === 0 ? point : undefined, 0))!;
  report.bcast = { kind: bcastValue.constructor.name, x: bcastValue.x, hasNorm: 'norm' in bcastValue, aliases: bcastValue === point };
  const parts = [Float64Array.of(1, 2, 3, 4), mine];
  const scattered = await comm.scatter(comm.rank === 0 ? [parts[0], ...Array.from({ length: comm.size - 1 }, () => parts[1])] : undefined, 0);
  if (comm.rank === 0) {
    (scattered as Float64Array)[0] = -1;
    report.scatter = { aliases: scattered === parts[0], rootArrayUnchanged: (parts[0] as Float64Array)[0] === 1 };
  }
  const gathered = await comm.gather(mine, 0);
  if (comm.rank === 0) report.gather = { aliases: gathered![0] === mine, equal: JSON.stringify(gathered![0]) === JSON.stringify(mine) };
  const everyone = await comm.allgather(mine);
  report.allgather = { aliases: everyone[comm.rank] === mine };
  const exchanged = await comm.alltoall(Array.from({ length: comm.size }, () => mine));
  report.alltoall = { aliases: exchanged[comm.rank] === mine };
  return report;
});

/**
 * Rank 0 sends three doubles viewed from a 16 MiB buffer inside an object, and Buffers nested in
 * an object and in a Map; rank 1 reports what arrived and what its probe said.
 */
export const nestedViewsAndBuffers = defineProgram(async (comm) => {
  if (comm.rank === 0) {
    const big = new Float64Array(2 * 1024 * 1024);
    big.set([7, 8, 9], 5);
    await comm.send({ v: big.subarray(5, 8) }, 1);
    // Buffers of their own memory (Buffer.from would view Node's shared pool: a partial view).
    const own = (text: string) => Buffer.alloc(Buffer.byteLength(text), text);
    await comm.send({ b: own('in an object'), m: new Map([['k', own('in a map')]]) }, 1);
    return undefined;
  }
  const viewStatus = await comm.probe(0);
  const { v } = await comm.recv<{ v: Float64Array }>(0);
  const { b, m } = await comm.recv<{ b: Buffer; m: Map<string, Buffer> }>(0);
  return {
    view: { type: v.constructor.name, values: Array.from(v), carriesLessThanOneMiB: v.buffer.byteLength < 1024 * 1024, probedBytesUnderOneKiB: viewStatus.bytes < 1024 },
    inObject: { isBuffer: Buffer.isBuffer(b), text: b.toString() },
    inMap: { isBuffer: Buffer.isBuffer(m.get('k')), text: m.get('k')!.toString() },
  };
});
