/**
 * Large frames are allocated and dropped at a high rate by collectives on big vectors, and fresh
 * memory is expensive: the operating system maps and zeroes its pages on first touch, which a
 * buffer already in use has paid for (bench case memory.allreduce-buffer-8MiB.np4 shows the
 * effect). Small ones are too, by receives into a caller's buffer: an ArrayBuffer of its own
 * costs an allocation outside the JavaScript heap and a finalizer each (bench case
 * memory.pingpong-bytes-1KiB.np2). Collectives and recvInto give back the frames they have
 * consumed; encodes and copies of the same size take them again.
 *
 * Only frames nobody else can still see may be recycled: the caller of `recycle` promises it.
 */
/** Smaller arrays live on the JavaScript heap (V8 keeps TypedArrays of up to 64 bytes there): nothing to save. */
export const MIN_POOLED_BYTES = 128;
/** Below this a frame is small: many of them fit in little memory, so their share is bounded apart. */
const SMALL_BYTES = 64 * 1024;
/** What the pool keeps. */
const MAX_POOLED_BYTES = 128 * 2 ** 20;
const MAX_POOLED_SMALL_BYTES = 4 * 2 ** 20;
/**
 * Large buffers given back past MAX_POOLED_BYTES (a step's large frames, a closed file's pieces)
 * are held weakly: one the collector has not reclaimed yet serves the next take of its size,
 * and none is kept from it. At most WEAK_PER_SIZE are remembered a size, for the WEAK_SIZES sizes
 * given back last.
 */
const WEAK_PER_SIZE = 64;
const WEAK_SIZES = 256;

const free = new Map<number, ArrayBuffer[]>();
const weak = new Map<number, WeakRef<ArrayBuffer>[]>();
let pooledBytes = 0;
let pooledSmallBytes = 0;

/** A buffer of exactly `byteLength` bytes, uninitialised, at offset 0 of its own ArrayBuffer. */
export function takeBuffer(byteLength: number): Buffer {
  if (byteLength < MIN_POOLED_BYTES) return Buffer.allocUnsafeSlow(byteLength);
  const list = free.get(byteLength);
  const reused = list?.pop();
  if (reused) {
    if (list!.length === 0) free.delete(byteLength);
    pooledBytes -= byteLength;
    if (byteLength < SMALL_BYTES) pooledSmallBytes -= byteLength;
    return Buffer.from(reused, 0, byteLength);
  }
  const refs = weak.get(byteLength);
  while (refs && refs.length > 0) {
    const alive = refs.pop()!.deref();
    if (alive) return Buffer.from(alive, 0, byteLength);
  }
  return Buffer.allocUnsafeSlow(byteLength);
}

/** Gives back the whole ArrayBuffer under `view`, which its owner will never touch again. */
export function recycle(view: ArrayBufferView): void {
  // Before reading `.buffer`, which would move a small array off the JavaScript heap.
  if (view.byteLength < MIN_POOLED_BYTES) return;
  const buffer = view.buffer;
  if (!(buffer instanceof ArrayBuffer)) return;
  const bytes = buffer.byteLength;
  const small = bytes < SMALL_BYTES;
  if (bytes < MIN_POOLED_BYTES || (small && pooledSmallBytes + bytes > MAX_POOLED_SMALL_BYTES)) return;
  if (pooledBytes + bytes > MAX_POOLED_BYTES) {
    if (small) return;
    let refs = weak.get(bytes);
    if (refs) {
      // Last given back: its size moves to the end, so the sizes dropped first are the stalest.
      weak.delete(bytes);
    } else {
      refs = [];
      if (weak.size >= WEAK_SIZES) weak.delete(weak.keys().next().value!);
    }
    weak.set(bytes, refs);
    if (refs.length >= WEAK_PER_SIZE) refs.splice(0, refs.length - WEAK_PER_SIZE + 1);
    refs.push(new WeakRef(buffer));
    return;
  }
  let list = free.get(bytes);
  if (!list) free.set(bytes, (list = []));
  list.push(buffer);
  pooledBytes += bytes;
  if (small) pooledSmallBytes += bytes;
}
