import { InvalidArgumentError, describeValue } from '../errors.ts';

type TypedArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

type Scalar = number | bigint | boolean;

/** Which operand of a combine the collective owns and lets the op overwrite. */
export type Reusable = 'a' | 'b' | 'none';

interface BuiltinKernel {
  scalar(a: Scalar, b: Scalar): Scalar;
  /** Element-wise over equal-length arrays of one type, into `out` (which may alias a or b). */
  typed?(a: TypedArray, b: TypedArray, out: TypedArray): void;
  /** The same over any number of arrays in one pass, left to right, into every out. */
  typedMany?(operands: TypedArray[], outs: TypedArray[]): void;
  /** Typed arrays this op refuses (bitwise ops on floats). */
  refusesFloat?: boolean;
}

/**
 * A reduction operation. `a` is always the partial result of the lower ranks and `b` that of
 * the higher ones, so a non-commutative op sees its operands in rank order.
 */
export class Op {
  readonly name: string;
  readonly commutative: boolean;
  private readonly userFn: ((a: any, b: any) => unknown) | undefined;
  private readonly kernel: BuiltinKernel | undefined;

  private constructor(
    name: string,
    commutative: boolean,
    impl: { userFn?: (a: any, b: any) => unknown; kernel?: BuiltinKernel },
  ) {
    this.name = name;
    this.commutative = commutative;
    this.userFn = impl.userFn;
    this.kernel = impl.kernel;
  }

  /** A user-defined op (MPI_Op_create): `fn(a, b)` with a from the lower ranks. */
  static create<T>(fn: (a: T, b: T) => T, commutative = true): Op {
    if (typeof fn !== 'function') throw new InvalidArgumentError('fn', fn, 'a function (a, b) => c');
    if (typeof commutative !== 'boolean') throw new InvalidArgumentError('commutative', commutative, 'a boolean');
    return new Op(fn.name || 'user op', commutative, { userFn: fn });
  }

  /** @internal */
  static builtin(name: string, kernel: BuiltinKernel): Op {
    return new Op(name, true, { kernel });
  }

  /** @internal MAXLOC/MINLOC: [value, index] pairs, ties to the lower index. */
  static location(name: string, better: (a: Scalar, b: Scalar) => boolean): Op {
    return new Op(name, true, {
      userFn: (a: unknown, b: unknown) => combineLocations(name, a, b, better),
    });
  }

  /** Combines two partials; `reuse` names an operand the caller owns and allows to be overwritten. */
  combine(a: unknown, b: unknown, reuse: Reusable = 'none'): unknown {
    if (this.kernel) return combineBuiltin(this.name, this.kernel, a, b, reuse);
    return this.userFn!(a, b);
  }

  /**
   * Combines two equal-length TypedArrays element-wise into `out` (which may alias a or b).
   * Built-in ops write in place; a user op's result is copied in.
   */
  combineInto(a: ArrayBufferView, b: ArrayBufferView, out: ArrayBufferView): void {
    if (this.kernel) {
      combineBuiltinInto(this.name, this.kernel, a, b, out);
      return;
    }
    const result = this.userFn!(a, b) as ArrayLike<number>;
    if ((result as unknown) !== out) (out as Float64Array).set(result as Float64Array);
  }

  /**
   * Combines equal-length TypedArrays of one type element-wise, left to right, into every array
   * of `outs`: in one pass over memory for built-in ops, which read each element of each operand
   * once and write each result element once per out (a pass per operand would read and write the
   * result again each time). Refuses operands that do not match, as combine does.
   */
  combineAllInto(operands: ArrayBufferView[], outs: ArrayBufferView[]): void {
    this.assertCombinable(operands);
    const first = operands[0] as TypedArray;
    const kernel = this.kernel;
    if (kernel?.typedMany && operands.length > 1 && !(kernel.refusesFloat && (first instanceof Float32Array || first instanceof Float64Array))) {
      kernel.typedMany(operands as TypedArray[], outs as TypedArray[]);
      return;
    }
    const [out, ...copies] = outs as TypedArray[];
    if (operands.length === 1) out!.set(first as never);
    else {
      this.combineInto(operands[0]!, operands[1]!, out!);
      for (let k = 2; k < operands.length; k++) this.combineInto(out!, operands[k]!, out!);
    }
    for (const copy of copies) copy.set(out as never);
  }

  /** Refuses TypedArrays that cannot be combined element-wise (other types, other lengths), as combine would. */
  assertCombinable(operands: ArrayBufferView[]): void {
    const first = operands[0] as TypedArray;
    for (const operand of operands) {
      if (operand.constructor !== first.constructor) refuse(this.name, first, operand, `cannot combine a ${typeName(first)} with a ${typeName(operand)}`);
      if ((operand as TypedArray).length !== first.length) {
        refuse(this.name, first, operand, `cannot combine arrays of unequal length (${first.length} and ${(operand as TypedArray).length})`);
      }
    }
  }

  /** Whether the op only reads its operands (so a collective may recycle them afterwards). */
  get isBuiltin(): boolean {
    return this.kernel !== undefined;
  }

  toString(): string {
    return this.name;
  }
}

function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

function typeName(value: unknown): string {
  if (isTypedArray(value)) return value.constructor.name;
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value;
}

function refuse(op: string, a: unknown, b: unknown, what: string): never {
  throw new InvalidArgumentError(
    `${op} operands`,
    `${describeValue(a)} and ${describeValue(b)}`,
    'numbers, bigints, booleans, or TypedArrays/arrays of those of equal length and type on every rank',
    `${what}: reductions take numbers, bigints, booleans, or TypedArrays/arrays of equal length and the same type on every rank`,
  );
}

function combineBuiltin(op: string, kernel: BuiltinKernel, a: unknown, b: unknown, reuse: Reusable): unknown {
  if (isTypedArray(a) || isTypedArray(b)) {
    if (!isTypedArray(a) || !isTypedArray(b) || a.constructor !== b.constructor) {
      refuse(op, a, b, `cannot combine a ${typeName(a)} with a ${typeName(b)}`);
    }
    if (a.length !== b.length) refuse(op, a, b, `cannot combine arrays of unequal length (${a.length} and ${b.length})`);
    const out = reuse === 'a' ? a : reuse === 'b' ? b : new (a.constructor as new (n: number) => TypedArray)(a.length);
    combineBuiltinInto(op, kernel, a, b, out);
    return out;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) refuse(op, a, b, `cannot combine a ${typeName(a)} with a ${typeName(b)}`);
    if (a.length !== b.length) refuse(op, a, b, `cannot combine arrays of unequal length (${a.length} and ${b.length})`);
    const out = reuse === 'a' ? a : reuse === 'b' ? b : new Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = combineBuiltin(op, kernel, a[i], b[i], 'none');
    return out;
  }
  return combineScalars(op, kernel, a, b);
}

function combineBuiltinInto(op: string, kernel: BuiltinKernel, a: unknown, b: unknown, out: unknown): void {
  const x = a as TypedArray;
  const y = b as TypedArray;
  const o = out as TypedArray;
  if (x.constructor !== y.constructor) refuse(op, a, b, `cannot combine a ${typeName(a)} with a ${typeName(b)}`);
  if (x.length !== y.length || o.length !== x.length) refuse(op, a, b, `cannot combine arrays of unequal length (${x.length} and ${y.length})`);
  if (kernel.refusesFloat && (x instanceof Float32Array || x instanceof Float64Array)) {
    refuse(op, a, b, `${op} is a bitwise op and refuses floating-point arrays`);
  }
  if (kernel.typed) kernel.typed(x, y, o);
  else for (let i = 0; i < x.length; i++) (o as any)[i] = toElement(o, kernel.scalar(x[i]!, y[i]!));
}

function combineScalars(op: string, kernel: BuiltinKernel, a: unknown, b: unknown): Scalar {
  const ta = typeof a;
  const tb = typeof b;
  const scalarTypes = ['number', 'bigint', 'boolean'];
  if (!scalarTypes.includes(ta) || !scalarTypes.includes(tb)) {
    refuse(op, a, b, `cannot reduce a ${typeName(a)} with a ${typeName(b)}`);
  }
  if ((ta === 'bigint') !== (tb === 'bigint')) refuse(op, a, b, `cannot mix bigint and ${ta === 'bigint' ? tb : ta}`);
  return kernel.scalar(a as Scalar, b as Scalar);
}

/** Typed arrays store numbers or bigints; booleans from logical ops become 1/0. */
function toElement(out: TypedArray, value: Scalar): number | bigint {
  if (typeof value === 'boolean') return out instanceof BigInt64Array || out instanceof BigUint64Array ? BigInt(value) : Number(value);
  return value;
}

function num(value: Scalar): number | bigint {
  return typeof value === 'boolean' ? Number(value) : value;
}

function truthy(value: Scalar): boolean {
  return typeof value === 'bigint' ? value !== 0n : Boolean(value);
}

/** Integer bitwise ops on numbers of any safe-integer size (JS's & truncates to 32 bits). */
function bitwise(op: string, fn: (x: bigint, y: bigint) => bigint): (a: Scalar, b: Scalar) => Scalar {
  return (a, b) => {
    if (typeof a === 'boolean' && typeof b === 'boolean') return fn(BigInt(a), BigInt(b)) !== 0n;
    if (typeof a === 'bigint' && typeof b === 'bigint') return fn(a, b);
    const x = num(a);
    const y = num(b);
    if (!Number.isSafeInteger(x) || !Number.isSafeInteger(y)) refuse(op, a, b, `${op} takes integers`);
    return Number(BigInt.asIntN(64, fn(BigInt(x), BigInt(y))));
  };
}

function combineLocations(op: string, a: unknown, b: unknown, better: (x: Scalar, y: Scalar) => boolean): unknown {
  const isPair = (v: unknown): v is [Scalar, number] =>
    Array.isArray(v) && v.length === 2 && ['number', 'bigint', 'boolean'].includes(typeof v[0]) && Number.isInteger(v[1]);
  if (isPair(a) && isPair(b)) {
    if (typeof a[0] === 'bigint' !== (typeof b[0] === 'bigint')) refuse(op, a, b, 'cannot mix bigint and number values');
    if (better(a[0], b[0])) return [a[0], a[1]];
    if (better(b[0], a[0])) return [b[0], b[1]];
    return a[1] <= b[1] ? [a[0], a[1]] : [b[0], b[1]];
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every(isPair) && b.every(isPair)) {
    return a.map((pair, i) => combineLocations(op, pair, b[i], better));
  }
  throw new InvalidArgumentError(
    `${op} operands`,
    `${describeValue(a)} and ${describeValue(b)}`,
    '[value, index] pairs',
    `take [value, index] pairs (or equal-length arrays of them), with an integer index`,
  );
}

type Kernel = (a: any, b: any, out: any) => void;

/**
 * Element-wise loops, compiled once per (op, element type). One shared loop would see every
 * TypedArray type and turn megamorphic: each element access becomes a generic lookup instead of
 * a typed load. A function of its own per type stays monomorphic.
 * The source is a fixed expression of ours, never user input.
 */
function typedKernel(expression: string): Kernel {
  const byType = new Map<unknown, Kernel>();
  // Unrolled by 8: V8 does not vectorise, so the loop's bound check and increment weigh as much
  // as the arithmetic; one check per eight elements cuts that share (bench case
  // memory.allreduce-buffer-8MiB.np4 runs these loops).
  const step = (offset: number) => `{ const x = a[i + ${offset}], y = b[i + ${offset}]; out[i + ${offset}] = ${expression}; }`;
  const source = [
    'const n = out.length; let i = 0;',
    `for (; i + 7 < n; i += 8) { ${[0, 1, 2, 3, 4, 5, 6, 7].map(step).join(' ')} }`,
    `for (; i < n; i++) ${step(0)}`,
  ].join('\n');
  return (a, b, out) => {
    let kernel = byType.get(a.constructor);
    if (!kernel) {
      kernel = new Function('a', 'b', 'out', source) as Kernel;
      byType.set(a.constructor, kernel);
    }
    kernel(a, b, out);
  };
}

type ManyKernel = (operands: TypedArray[], outs: TypedArray[]) => void;

/** Elements per chunk of typedManyKernel: 32 KiB of float64, about a core's first-level cache. */
const MANY_CHUNK = 4096;

/**
 * The same loops over k arrays into m arrays at once, compiled once per (op, element type, k,
 * m): each element is read once from every operand, combined left to right as pairwise
 * combining would, and written once to each out. The first out is computed a chunk at a time
 * and each chunk copied to the others while it is in the cache: fewer streams of memory at once
 * than writing all outs in the loop, which also made the loop's speed depend on where the
 * arrays happen to lie (bench case memory.allreduce-into-8MiB.np4).
 */
function typedManyKernel(expression: string): ManyKernel {
  const byShape = new Map<unknown, Map<string, Function>>();
  return (operands, outs) => {
    const shape = `${operands.length}/${outs.length}`;
    let byCount = byShape.get(outs[0]!.constructor);
    if (!byCount) byShape.set(outs[0]!.constructor, (byCount = new Map()));
    let kernel = byCount.get(shape);
    if (!kernel) {
      const inputs = operands.map((_, j) => `a${j}`);
      const targets = outs.map((_, j) => `o${j}`);
      const steps = inputs.slice(1).map((name) => `y = ${name}[i]; x = ${expression};`).join(' ');
      const copies = targets.slice(1).map((name) => `${name}.set(chunk, s);`).join(' ');
      kernel = new Function(...inputs, ...targets, [
        'const n = o0.length;',
        `for (let s = 0; s < n; s += ${MANY_CHUNK}) {`,
        `  const e = s + ${MANY_CHUNK} < n ? s + ${MANY_CHUNK} : n;`,
        `  for (let i = s; i < e; i++) { let x = a0[i], y; ${steps} o0[i] = x; }`,
        copies ? `  const chunk = o0.subarray(s, e); ${copies}` : '',
        '}',
      ].join('\n'));
      byCount.set(shape, kernel);
    }
    kernel(...operands, ...outs);
  };
}

const builtinKernels = (expression: string) => ({ typed: typedKernel(expression), typedMany: typedManyKernel(expression) });
const sumArrays = builtinKernels('x + y');
const prodArrays = builtinKernels('x * y');
const maxArrays = builtinKernels('x >= y ? x : y');
const minArrays = builtinKernels('x <= y ? x : y');
const bandArrays = builtinKernels('x & y');
const borArrays = builtinKernels('x | y');
const bxorArrays = builtinKernels('x ^ y');

const arith = (fn: (x: any, y: any) => number | bigint) => (a: Scalar, b: Scalar) => fn(num(a), num(b));

export const SUM = Op.builtin('SUM', { scalar: arith((x, y) => x + y), ...sumArrays });
export const PROD = Op.builtin('PROD', { scalar: arith((x, y) => x * y), ...prodArrays });
export const MAX = Op.builtin('MAX', { scalar: (a, b) => (a >= b ? a : b), ...maxArrays });
export const MIN = Op.builtin('MIN', { scalar: (a, b) => (a <= b ? a : b), ...minArrays });
export const LAND = Op.builtin('LAND', { scalar: (a, b) => truthy(a) && truthy(b) });
export const LOR = Op.builtin('LOR', { scalar: (a, b) => truthy(a) || truthy(b) });
export const LXOR = Op.builtin('LXOR', { scalar: (a, b) => truthy(a) !== truthy(b) });
export const BAND = Op.builtin('BAND', { scalar: bitwise('BAND', (x, y) => x & y), ...bandArrays, refusesFloat: true });
export const BOR = Op.builtin('BOR', { scalar: bitwise('BOR', (x, y) => x | y), ...borArrays, refusesFloat: true });
export const BXOR = Op.builtin('BXOR', { scalar: bitwise('BXOR', (x, y) => x ^ y), ...bxorArrays, refusesFloat: true });
export const MAXLOC = Op.location('MAXLOC', (x, y) => x > y);
export const MINLOC = Op.location('MINLOC', (x, y) => x < y);

export function assertOp(op: unknown): asserts op is Op {
  if (!(op instanceof Op)) {
    const allowed = 'an Op: SUM, PROD, MAX, MIN, LAND, LOR, LXOR, BAND, BOR, BXOR, MAXLOC, MINLOC or Op.create(fn)';
    // An Op of a second copy of lambda-mpi (the program imports one, the runner is another) looks right but is not one of these.
    const foreign = typeof op === 'object' && op !== null && op.constructor?.name === 'Op';
    throw new InvalidArgumentError('op', op, allowed, foreign
      ? `must be an Op of the lambda-mpi that runs the program, but this one comes from a second copy of lambda-mpi: import SUM and Op from 'lambda-mpi' (the package), not from a path to its files`
      : undefined);
  }
}
