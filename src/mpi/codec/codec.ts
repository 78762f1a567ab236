import v8 from 'node:v8';
import { MAX_MESSAGE_BYTES } from '../constants.ts';
import { InvalidArgumentError } from '../errors.ts';
import { MIN_POOLED_BYTES, recycle, takeBuffer } from './buffer-pool.ts';
import { reproducedByJson } from './json-exact.ts';
import { NOT_PLAIN, copyPlainData } from './plain-copy.ts';

/**
 * Values ↔ bytes. Objects go through v8's structured serialization; a top-level TypedArray,
 * Buffer, DataView or ArrayBuffer travels as its raw bytes behind an 8-byte header (the buffer
 * fast path), so the receiver can view it in place without parsing; small plain data that JSON
 * gives back exactly (json-exact.ts) travels as JSON text behind one byte, which both ends make
 * and read in a fraction of v8's serializer's time (bench case valkey.roundtrip-small.np2).
 *
 * Layout of the raw form: [RAW_VIEW | RAW_ARRAY_BUFFER, viewKind, 0 × 6, …bytes]. The data starts
 * at offset 8 so that a freshly allocated frame is aligned for every element type.
 * v8's own format always starts with its version tag 0xFF, which tells the two apart without
 * copying v8's output to prepend a marker.
 */
const V8_VERSION_TAG = 0xff;
const RAW_VIEW = 0x02;
const RAW_ARRAY_BUFFER = 0x03;
const JSON_TEXT = 0x04;
export const RAW_HEADER_BYTES = 8;

type ViewConstructor = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): ArrayBufferView; BYTES_PER_ELEMENT?: number };

/** Order is the wire code: append only. */
const VIEW_KINDS: ViewConstructor[] = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
  Buffer as unknown as ViewConstructor, DataView as unknown as ViewConstructor,
];
const BUFFER_KIND = 11;
const DATAVIEW_KIND = 12;

/** The raw form's view kind of `view` (`encode`'s second byte), also for a transport that writes the raw form itself. */
export function viewKindOf(view: ArrayBufferView): number {
  if (Buffer.isBuffer(view)) return BUFFER_KIND;
  if (view instanceof DataView) return DATAVIEW_KIND;
  const kind = VIEW_KINDS.indexOf(view.constructor as ViewConstructor);
  // A subclass of a TypedArray: travel as its base type.
  if (kind >= 0) return kind;
  return VIEW_KINDS.findIndex((ctor) => view instanceof (ctor as unknown as typeof Uint8Array));
}

function checkSize(bytes: number): void {
  if (bytes > MAX_MESSAGE_BYTES) {
    throw new InvalidArgumentError('value', `${bytes} bytes`, `at most MAX_MESSAGE_BYTES (${MAX_MESSAGE_BYTES}) bytes once encoded`);
  }
}

/**
 * A fresh, unpooled buffer (offset 0, so the payload at offset 8 is aligned for every element
 * type) whose payload is about to be overwritten: no need to zero it first.
 */
function rawFrame(payloadBytes: number): Uint8Array {
  const out = takeBuffer(RAW_HEADER_BYTES + payloadBytes);
  out.fill(0, 0, RAW_HEADER_BYTES);
  return out;
}

/**
 * A frame that decodes to a Uint8Array of `payloadBytes` bytes, uninitialised, at offset 0 of a
 * buffer of its own: for a collective that writes the payload in place and sends the frame as
 * it is (CollectiveChannel.handOver) instead of encoding a value into a frame.
 */
export function uint8Frame(payloadBytes: number): Uint8Array {
  const out = rawFrame(payloadBytes);
  out[0] = RAW_VIEW;
  out[1] = VIEW_KINDS.indexOf(Uint8Array as unknown as ViewConstructor);
  return out;
}

/** Encodes a value into a fresh buffer that the caller owns: later changes to `value` do not reach it. */
export function encode(value: unknown): Uint8Array {
  if (ArrayBuffer.isView(value)) {
    checkSize(value.byteLength);
    const out = rawFrame(value.byteLength);
    out[0] = RAW_VIEW;
    out[1] = viewKindOf(value);
    out.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength), RAW_HEADER_BYTES);
    return out;
  }
  if (value instanceof ArrayBuffer) {
    checkSize(value.byteLength);
    const out = rawFrame(value.byteLength);
    out[0] = RAW_ARRAY_BUFFER;
    out.set(new Uint8Array(value), RAW_HEADER_BYTES);
    return out;
  }
  if (reproducedByJson(value)) {
    const text = JSON.stringify(value);
    const length = Buffer.byteLength(text);
    checkSize(1 + length);
    // A buffer of its own (not a slice of Node's pool): a transport may move it to another thread.
    const out = Buffer.allocUnsafeSlow(1 + length);
    out[0] = JSON_TEXT;
    out.write(text, 1, length);
    return out;
  }
  let bytes: Buffer;
  try {
    bytes = v8.serialize(value);
  } catch (error) {
    throw new InvalidArgumentError(
      'value',
      value,
      'a value that structured serialization accepts (primitives, bigint, arrays, plain objects, Map, Set, Date, Error, TypedArrays, ArrayBuffer, Buffer)',
      `cannot be sent: ${(error as Error).message} Functions and symbols do not travel; allowed are primitives, bigint, arrays, plain objects, Map, Set, Date, Error, TypedArrays, ArrayBuffer and Buffer`,
    );
  }
  checkSize(bytes.byteLength);
  return bytes;
}

/**
 * A value handed to a receiver in the same process: already a structured clone, never bytes.
 * In-process transports carry these for small values: one structured clone does the work of a
 * serialization and a deserialization (bench case memory.pingpong-object.np2).
 */
export class InProcessValue {
  constructor(readonly value: unknown) {}
}

/**
 * An in-process copy of a TypedArray made by its sender for this message alone: nothing else
 * references it, so a receive that copies it out (recvInto) may give its memory back to the pool.
 */
export class PrivateCopy extends InProcessValue {
  declare readonly value: ArrayBufferView;
}

/**
 * A copy of a TypedArray of its base type (a Buffer stays a Buffer), as a receiver on the byte
 * path would decode it. The smallest arrays are copied onto the JavaScript heap; others into a
 * pooled buffer (an ArrayBuffer of their own would cost an allocation outside the heap and a
 * finalizer per message, and fresh memory is faulted in page by page).
 */
function copyOfView(view: ArrayBufferView, kind: number): ArrayBufferView {
  const ctor = VIEW_KINDS[kind === BUFFER_KIND ? 1 : kind] as unknown as new (from: ArrayBufferView | ArrayBufferLike, offset?: number, length?: number) => Uint8Array;
  let copy: Uint8Array;
  if (view.byteLength < MIN_POOLED_BYTES) {
    copy = new ctor(view);
  } else {
    const memory = takeBuffer(view.byteLength);
    memory.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    copy = new ctor(memory.buffer, 0, view.byteLength / (ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT);
  }
  return kind === BUFFER_KIND ? Buffer.from(copy.buffer, copy.byteOffset, copy.byteLength) : copy;
}

/**
 * A TypedArray its sender lends to a receiver in the same thread while its send call lasts: a
 * receive into a buffer that takes the message meanwhile copies it straight from the sender's
 * array, once (bench case memory.pingpong-bytes-4MiB.np2). When the call returns, a copy
 * replaces whatever was not taken (`settle`), so the sender may change its array then, as after
 * any send; a receive that keeps the array itself (recv) takes a copy too.
 */
export class LentView extends InProcessValue {
  declare readonly value: ArrayBufferView;
  #lent = true;

  #copied = false;

  /** The receiver copied the value out: nothing is left to copy, and a copy settle made serves later sends. */
  consumed(): void {
    if (this.#copied) recycle(this.value);
    this.#lent = false;
    this.#copied = false;
  }

  /** The sender's call returns (or a receiver keeps the value): the frame gets a copy of its own. */
  settle(): void {
    if (!this.#lent) return;
    this.#lent = false;
    this.#copied = true;
    (this as { value: ArrayBufferView }).value = copyOfView(this.value, viewKindOf(this.value));
  }
}

/**
 * Below this many bytes a send copies its TypedArray at once: the copy costs less than lending's
 * bookkeeping (bench cases memory.pingpong-bytes-1B.np2 against memory.pingpong-bytes-4MiB.np2).
 */
export const LEND_MIN_BYTES = 64 * 1024;

/** A TypedArray (not a DataView) of LEND_MIN_BYTES or more that a send may lend (LentView), after checking its size. */
export function lendableView(value: unknown): LentView | undefined {
  if (!ArrayBuffer.isView(value) || value instanceof DataView || value.byteLength < LEND_MIN_BYTES) return undefined;
  checkSize(value.byteLength);
  return new LentView(value);
}

/**
 * A TypedArray that a transport between threads encodes itself as it sends it (into shared
 * memory, or a frame of its own for a port), so that small arrays need no frame allocated first
 * (bench case threads.pingpong-bytes-1B.np2). It is the sender's own array: the transport must
 * copy it before `send` returns, and a receiver never sees this class (it gets the bytes).
 */
export class UnencodedView extends InProcessValue {
  declare readonly value: ArrayBufferView;
}

/**
 * For a transport that writes the raw form itself (viewKindOf gives its kind): copies
 * `byteLength` bytes at `byteOffset` of `memory` (the elements of a raw form of view kind `kind`,
 * aligned for its element type) into an array of that kind that nothing else references,
 * typed as `decode` would type it; undefined for a kind that is no TypedArray (a DataView). Small
 * arrays stay on the JavaScript heap, others take pooled memory, which a receive into the
 * caller's buffer gives back.
 */
export function privateCopyOfRaw(memory: ArrayBufferLike, byteOffset: number, byteLength: number, kind: number): PrivateCopy | undefined {
  if (kind === DATAVIEW_KIND || VIEW_KINDS[kind] === undefined) return undefined;
  const ctor = VIEW_KINDS[kind === BUFFER_KIND ? 1 : kind] as unknown as { new (buffer: ArrayBufferLike, offset: number, length: number): Uint8Array; BYTES_PER_ELEMENT: number };
  const length = byteLength / ctor.BYTES_PER_ELEMENT;
  let copy: Uint8Array;
  if (byteLength < MIN_POOLED_BYTES) {
    // slice: an array of its own (a view of shared memory slices into unshared memory).
    copy = new ctor(memory, byteOffset, length).slice();
  } else {
    const pooled = takeBuffer(byteLength);
    pooled.set(new Uint8Array(memory, byteOffset, byteLength));
    copy = new ctor(pooled.buffer, 0, length);
  }
  return new PrivateCopy(kind === BUFFER_KIND ? Buffer.from(copy.buffer, copy.byteOffset, copy.byteLength) : copy);
}

/** What a data frame carries: encoded bytes, or an in-process clone. */
export type Payload = Uint8Array | InProcessValue;

/**
 * Encodes `value` for a send. With `inProcess`, a value that structured cloning reproduces
 * exactly as the byte path would is cloned instead (primitives need not even be copied). With
 * `transportClones` (a transport between threads clones it as it posts it) such a value is not
 * copied here at all: only plain data qualifies then, so that nothing can fail to clone later.
 */
export function encodePayload(value: unknown, inProcess: boolean, transportClones = false): Payload {
  if (inProcess) {
    const kind = typeof value;
    if (value === null || (kind !== 'object' && kind !== 'function' && kind !== 'symbol')) return new InProcessValue(value);
    if (ArrayBuffer.isView(value)) {
      const viewKind = viewKindOf(value);
      if (viewKind !== DATAVIEW_KIND) {
        checkSize(value.byteLength);
        return transportClones ? new UnencodedView(value) : new PrivateCopy(copyOfView(value, viewKind));
      }
    }
    if (kind === 'object' && !transportClones) {
      const copied = copyPlainData(value as object);
      if (copied !== NOT_PLAIN) return new InProcessValue(copied);
    }
    if (kind === 'object' && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer) && clonesLikeSerializing(value, transportClones)) {
      if (transportClones) return new InProcessValue(value);
      try {
        return new InProcessValue(structuredClone(value));
      } catch {
        // Not cloneable: the byte path below raises the error that names the value.
      }
    }
  }
  return encode(value);
}

export function decodePayload(payload: Payload): unknown {
  if (payload instanceof LentView) payload.settle();
  return payload instanceof InProcessValue ? payload.value : decode(payload);
}

/** The bytes a probe reports for a payload; an in-process clone is measured as its encoding would be. */
export function payloadSize(payload: Payload): number {
  return payloadBytes(payload instanceof InProcessValue ? encode(payload.value) : payload);
}

const CLONE_CHECK_BUDGET = 256;

/** Objects that every structured clone reproduces: plain ones, arrays and the built-in data types. */
const PLAIN_PROTOTYPES = new Set<unknown>([
  Object.prototype, null, Array.prototype, Map.prototype, Set.prototype, Date.prototype, RegExp.prototype, ArrayBuffer.prototype,
]);

/**
 * structuredClone and Node's v8.serialize agree on everything except Buffers nested inside a
 * value (a clone turns them into Uint8Arrays) and views of part of a buffer (a clone carries the
 * whole buffer). Small values are walked to rule that out; big
 * ones take the byte path rather than paying for the walk. `plainOnly` also rules out whatever
 * might fail to clone (functions, symbols, instances of other classes).
 */
function clonesLikeSerializing(root: unknown, plainOnly: boolean): boolean {
  const pending: unknown[] = [root];
  let budget = CLONE_CHECK_BUDGET;
  while (pending.length > 0) {
    if (--budget < 0) return false;
    const value = pending.pop();
    if (value === null || typeof value !== 'object') {
      if (plainOnly && (typeof value === 'function' || typeof value === 'symbol')) return false;
      continue;
    }
    if (Buffer.isBuffer(value)) return false;
    // A clone of shared memory is the same memory: the receiver would see the sender's later writes.
    if (value instanceof SharedArrayBuffer || (ArrayBuffer.isView(value) && value.buffer instanceof SharedArrayBuffer)) return false;
    if (plainOnly && !PLAIN_PROTOTYPES.has(Object.getPrototypeOf(value)) && !(value instanceof Error) && !ArrayBuffer.isView(value)) return false;
    // A clone copies a view's whole buffer; serializing, only the view's own bytes.
    if (ArrayBuffer.isView(value) && value.byteLength !== value.buffer.byteLength) return false;
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof RegExp) continue;
    if (value instanceof Map) {
      for (const [k, v] of value) pending.push(k, v);
    } else if (value instanceof Set) {
      for (const v of value) pending.push(v);
    } else {
      for (const key in value) pending.push((value as Record<string, unknown>)[key]);
    }
  }
  return true;
}

/**
 * Decodes bytes made by `encode`. The result may view `bytes` in place (no copy), so the caller
 * must hand each frame's bytes to exactly one decode.
 */
export function decode(bytes: Uint8Array): unknown {
  const format = bytes[0];
  if (format === V8_VERSION_TAG) return v8.deserialize(bytes);
  if (format === JSON_TEXT) return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', 1));
  if (format === RAW_ARRAY_BUFFER) {
    return bytes.buffer.slice(bytes.byteOffset + RAW_HEADER_BYTES, bytes.byteOffset + bytes.byteLength);
  }
  if (format === RAW_VIEW) {
    const kind = bytes[1]!;
    const ctor = VIEW_KINDS[kind];
    if (!ctor) throw new Error(`codec: unknown view kind ${kind}`);
    const byteLength = bytes.byteLength - RAW_HEADER_BYTES;
    let offset = bytes.byteOffset + RAW_HEADER_BYTES;
    let buffer: ArrayBufferLike = bytes.buffer;
    const width = ctor.BYTES_PER_ELEMENT ?? 1;
    if (offset % width !== 0) {
      // Misaligned (e.g. decoded from a pooled buffer): copy once into an aligned one.
      buffer = bytes.slice(RAW_HEADER_BYTES).buffer;
      offset = 0;
    }
    if (kind === BUFFER_KIND) return Buffer.from(buffer, offset, byteLength);
    if (kind === DATAVIEW_KIND) return new DataView(buffer, offset, byteLength);
    return new ctor(buffer, offset, byteLength / width);
  }
  throw new Error(`codec: unknown format byte ${format}`);
}

/** The size a probe reports: the payload's bytes without the codec's header. */
export function payloadBytes(bytes: Uint8Array): number {
  if (bytes[0] === V8_VERSION_TAG) return bytes.byteLength;
  return bytes.byteLength - (bytes[0] === JSON_TEXT ? 1 : RAW_HEADER_BYTES);
}

/**
 * The TypedArray a payload carries (a Buffer counts as a Uint8Array), without copying or decoding
 * anything: its element type, its size, and where its elements lie, either as an array of that
 * type (an in-process copy) or as raw bytes (`raw`); undefined for any other payload. A receive
 * into the caller's buffer copies them once, straight into that buffer.
 */
export function typedArrayBytes(payload: Payload): { type: ViewConstructor; byteLength: number; elements: ArrayBufferView; raw: boolean } | undefined {
  if (payload instanceof InProcessValue) {
    const value = payload.value;
    if (!ArrayBuffer.isView(value) || value instanceof DataView) return undefined;
    const kind = viewKindOf(value);
    // Not a byte view of it: reading `.buffer` of a small array moves it off the JavaScript heap.
    return { type: VIEW_KINDS[kind === BUFFER_KIND ? 1 : kind]!, byteLength: value.byteLength, elements: value, raw: false };
  }
  if (payload[0] !== RAW_VIEW || payload[1] === DATAVIEW_KIND || VIEW_KINDS[payload[1]!] === undefined) return undefined;
  // Not payload.subarray: on a Buffer that goes through Buffer's own constructor, per message.
  const bytes = new Uint8Array(payload.buffer, payload.byteOffset + RAW_HEADER_BYTES, payload.byteLength - RAW_HEADER_BYTES);
  return { type: VIEW_KINDS[payload[1] === BUFFER_KIND ? 1 : payload[1]!]!, byteLength: bytes.byteLength, elements: bytes, raw: true };
}
