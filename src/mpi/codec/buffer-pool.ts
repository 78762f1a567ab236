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
/** What the pool keeps while idle. */
const MAX_POOLED_BYTES = 128 * 2 ** 20;
/**
 * A burst over MAX_POOLED_BYTES (a step's large frames, a closed file's pieces) is kept this long,
 * up to this much, for the next step of a loop to take again; then the pool shrinks to its cap.
 */
const MAX_BURST_BYTES = 512 * 2 ** 20;
const BURST_HOLD_MS = 1000;
const MAX_POOLED_SMALL_BYTES = 4 * 2 ** 20;

const free = new Map<number, ArrayBuffer[]>();
let pooledBytes = 0;
let pooledSmallBytes = 0;
let shrinkTimer: ReturnType<typeof setTimeout> | undefined;

/** A buffer of exactly `byteLength` bytes, uninitialised, at offset 0 of its own ArrayBuffer. */
export function takeBuffer(byteLength: number): Buffer {
  const reused = byteLength >= MIN_POOLED_BYTES ? free.get(byteLength)?.pop() : undefined;
  if (reused) {
    pooledBytes -= byteLength;
    if (byteLength < SMALL_BYTES) pooledSmallBytes -= byteLength;
    return Buffer.from(reused, 0, byteLength);
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
  if (bytes < MIN_POOLED_BYTES || pooledBytes + bytes > MAX_BURST_BYTES || (small && pooledSmallBytes + bytes > MAX_POOLED_SMALL_BYTES)) return;
  let list = free.get(bytes);
  if (!list) free.set(bytes, (list = []));
  list.push(buffer);
  pooledBytes += bytes;
  if (small) pooledSmallBytes += bytes;
  if (pooledBytes > MAX_POOLED_BYTES && !shrinkTimer) {
    shrinkTimer = setTimeout(shrinkToCap, BURST_HOLD_MS);
    shrinkTimer.unref();
  }
}

/** Drops the largest buffers until the pool is within its idle cap. */
function shrinkToCap(): void {
  shrinkTimer = undefined;
  for (const size of [...free.keys()].sort((a, b) => b - a)) {
    const list = free.get(size)!;
    while (pooledBytes > MAX_POOLED_BYTES && list.pop()) {
      pooledBytes -= size;
      if (size < SMALL_BYTES) pooledSmallBytes -= size;
    }
    if (list.length === 0) free.delete(size);
    if (pooledBytes <= MAX_POOLED_BYTES) return;
  }
}
