/**
 * Large frames are allocated and dropped at a high rate by collectives on big vectors, and fresh
 * memory is expensive: the operating system maps and zeroes its pages on first touch, which a
 * buffer already in use has paid for (bench case memory.allreduce-buffer-8MiB.np4 shows the
 * effect). Collectives give back the frames they have consumed; encodes of the same size take
 * them again.
 *
 * Only frames nobody else can still see may be recycled: the caller of `recycle` promises it.
 */
export const MIN_POOLED_BYTES = 64 * 1024;
const MAX_POOLED_BYTES = 128 * 2 ** 20;

const free = new Map<number, ArrayBuffer[]>();
let pooledBytes = 0;

/** A buffer of exactly `byteLength` bytes, uninitialised, at offset 0 of its own ArrayBuffer. */
export function takeBuffer(byteLength: number): Buffer {
  const reused = byteLength >= MIN_POOLED_BYTES ? free.get(byteLength)?.pop() : undefined;
  if (reused) {
    pooledBytes -= byteLength;
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
  if (bytes < MIN_POOLED_BYTES || pooledBytes + bytes > MAX_POOLED_BYTES) return;
  let list = free.get(bytes);
  if (!list) free.set(bytes, (list = []));
  list.push(buffer);
  pooledBytes += bytes;
}
