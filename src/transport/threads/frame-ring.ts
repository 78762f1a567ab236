import { InProcessValue, UnencodedView, privateCopyOfRaw, viewKindOf } from '../../mpi/codec/codec.ts';
import { reproducedByJson } from '../../mpi/codec/json-exact.ts';
import type { Frame } from '../transport.ts';

/** Bytes of frames one rank can have in flight to another through shared memory. */
const RING_BYTES = 64 * 1024;
/** Larger frames (and whatever does not fit) take the port, which transfers buffers without a copy. */
const MAX_RECORD_BYTES = 8 * 1024;
/**
 * The write offset, then the read offset, each on a cache line of its own and apart from the
 * records: the writer's stores and the reader's do not move one line back and forth.
 */
const INDEX_BYTES = 128;
const WRITE = 0;
const READ = 16;
/**
 * Record header: length, kind, body format, context length, source, seq, tag, body length, context
 * id. The context's bytes follow only when the record names a context for the first time (or one
 * beyond the table): after that its id stands for it, so neither side encodes nor decodes it again.
 */
const HEADER_BYTES = 32;
/** A context id that stands for no table entry: the context's bytes follow (none for ''). */
const INLINE_CONTEXT = -1;
/** Contexts one ring gives ids to; more (a program that makes communicators without end) travel inline. */
const MAX_CONTEXT_IDS = 1024;
/** Records, and the bodies in them, start at multiples of this: any element type can be read in place. */
const ALIGN = 8;
/** A length that means "the rest of the ring is unused: go on from its start". */
const SKIP = -1;
const JSON_BODY = 0;
const BYTES_BODY = 1;
/** A number value, as a float64: exact for every number (-0 and NaN too), and no JSON to write or parse. */
const NUMBER_BODY = 2;
/** A TypedArray's elements (UnencodedView); the format is this plus the codec's view kind. */
const VIEW_BODY = 16;

/** Shared memory for the frames of one direction of a pair of ranks. */
export function createRingMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(INDEX_BYTES + RING_BYTES);
}

/**
 * Small frames from one rank's thread to another's through shared memory: a single-producer,
 * single-consumer ring of records, with free-running write and read offsets. A frame goes in
 * only if its body is bytes or plain data that JSON reproduces exactly, so what comes out is
 * what a structured clone would have given; anything else, or a frame that does not fit, goes by
 * the port. Posting to a port costs a system call to wake the receiver's event loop, and
 * serializing through it; a record here costs a few stores, and a receiver that is polling
 * (ThreadTransport) sees it at once.
 */
export class FrameRing {
  private readonly offsets: Int32Array;
  private readonly bytes: Buffer;
  /** The same memory as `bytes`: its `slice` copies (a Buffer's would not). */
  private readonly array: Uint8Array;
  private readonly view: DataView;
  /** Writing side: the id each context was given, in the order the reader first saw them. */
  private readonly contextIds = new Map<string, number>();
  /** Reading side: the contexts by id. */
  private readonly contexts: string[] = [];

  constructor(private readonly memory: SharedArrayBuffer) {
    this.offsets = new Int32Array(memory, 0, INDEX_BYTES / Int32Array.BYTES_PER_ELEMENT);
    this.bytes = Buffer.from(memory, INDEX_BYTES, RING_BYTES);
    this.array = new Uint8Array(memory, INDEX_BYTES, RING_BYTES);
    this.view = new DataView(memory, INDEX_BYTES, RING_BYTES);
  }

  /** Writes the frame and returns true, or returns false: send it another way. */
  tryWrite(frame: Frame): boolean {
    let json: string | undefined;
    let body: Uint8Array | undefined;
    let bodyBytes: number;
    let format = BYTES_BODY;
    let number = 0;
    if (frame.body instanceof UnencodedView) {
      const array = frame.body.value;
      // A Uint8Array (a Buffer too) is copied as it is; other types through a view of their bytes.
      body = array instanceof Uint8Array ? array : new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      bodyBytes = body.byteLength;
      format = VIEW_BODY + viewKindOf(array);
    } else if (frame.body instanceof InProcessValue && typeof frame.body.value === 'number') {
      number = frame.body.value;
      bodyBytes = Float64Array.BYTES_PER_ELEMENT;
      format = NUMBER_BODY;
    } else if (frame.body instanceof InProcessValue) {
      if (!reproducedByJson(frame.body.value)) return false;
      json = JSON.stringify(frame.body.value);
      bodyBytes = Buffer.byteLength(json);
      format = JSON_BODY;
    } else {
      body = frame.body;
      bodyBytes = body.byteLength;
    }
    const { context } = frame;
    let contextId = this.contextIds.get(context);
    let contextBytes = 0;
    let named = false;
    if (contextId === undefined) {
      contextBytes = Buffer.byteLength(context);
      named = contextBytes > 0 && this.contextIds.size < MAX_CONTEXT_IDS;
      contextId = named ? this.contextIds.size : INLINE_CONTEXT;
    }
    const bodyOffset = alignUp(HEADER_BYTES + contextBytes);
    const size = alignUp(bodyOffset + bodyBytes);
    if (size > MAX_RECORD_BYTES) return false;
    const write = Atomics.load(this.offsets, WRITE);
    const read = Atomics.load(this.offsets, READ);
    let at = write & (RING_BYTES - 1);
    const skip = at + size > RING_BYTES ? RING_BYTES - at : 0;
    if (((write - read) | 0) + skip + size > RING_BYTES) return false;
    if (skip) {
      this.view.setInt32(at, SKIP, true);
      at = 0;
    }
    const { view } = this;
    view.setInt32(at, size, true);
    view.setUint8(at + 4, frame.kind === 'data' ? 0 : 1);
    view.setUint8(at + 5, format);
    view.setUint16(at + 6, contextBytes, true);
    view.setInt32(at + 8, frame.source, true);
    view.setInt32(at + 12, frame.seq, true);
    view.setInt32(at + 16, frame.tag, true);
    view.setInt32(at + 20, bodyBytes, true);
    view.setInt32(at + 24, contextId, true);
    if (contextBytes) this.bytes.write(context, at + HEADER_BYTES, 'utf8');
    if (json !== undefined) this.bytes.write(json, at + bodyOffset, 'utf8');
    else if (format === NUMBER_BODY) view.setFloat64(at + bodyOffset, number, true);
    else this.array.set(body!, at + bodyOffset);
    // The reader reads the record only after it sees the new offset.
    Atomics.store(this.offsets, WRITE, (write + skip + size) | 0);
    if (named) this.contextIds.set(context, contextId);
    return true;
  }

  /** Hands every frame written so far to `deliver`, in order; returns how many. */
  drain(dest: number, deliver: (frame: Frame) => void): number {
    let read = Atomics.load(this.offsets, READ);
    const write = Atomics.load(this.offsets, WRITE);
    let delivered = 0;
    while (read !== write) {
      const at = read & (RING_BYTES - 1);
      const size = this.view.getInt32(at, true);
      if (size === SKIP) {
        read = (read + RING_BYTES - at) | 0;
        continue;
      }
      const frame = this.readRecord(at, dest);
      read = (read + size) | 0;
      // The record was copied out: its space may be written again.
      Atomics.store(this.offsets, READ, read);
      deliver(frame);
      delivered++;
    }
    Atomics.store(this.offsets, READ, read);
    return delivered;
  }

  private readRecord(at: number, dest: number): Frame {
    const { view } = this;
    const contextBytes = view.getUint16(at + 6, true);
    const bodyBytes = view.getInt32(at + 20, true);
    const contextAt = at + HEADER_BYTES;
    const bodyAt = alignUp(contextAt + contextBytes);
    const format = view.getUint8(at + 5);
    const contextId = view.getInt32(at + 24, true);
    let context: string;
    if (contextBytes > 0) {
      context = this.bytes.toString('utf8', contextAt, contextAt + contextBytes);
      if (contextId !== INLINE_CONTEXT) this.contexts[contextId] = context;
    } else {
      context = contextId === INLINE_CONTEXT ? '' : this.contexts[contextId]!;
    }
    // Copied out (JSON.parse, or an array of its own): the ring's space is reused.
    const body = format === JSON_BODY
      ? new InProcessValue(JSON.parse(this.bytes.toString('utf8', bodyAt, bodyAt + bodyBytes)))
      : format === NUMBER_BODY
        ? new InProcessValue(view.getFloat64(bodyAt, true))
        : format >= VIEW_BODY
        ? privateCopyOfRaw(this.memory, INDEX_BYTES + bodyAt, bodyBytes, format - VIEW_BODY)!
        : this.array.slice(bodyAt, bodyAt + bodyBytes);
    return {
      kind: view.getUint8(at + 4) === 0 ? 'data' : 'ctrl',
      source: view.getInt32(at + 8, true),
      dest,
      seq: view.getInt32(at + 12, true),
      context,
      tag: view.getInt32(at + 16, true),
      body,
    };
  }
}

function alignUp(bytes: number): number {
  return (bytes + ALIGN - 1) & ~(ALIGN - 1);
}
