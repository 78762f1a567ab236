/**
 * readPartition's arithmetic. Rank i's nominal share of an object of `size` bytes over `ranks`
 * ranks is [b(i), b(i+1)) with b(i) = floor(i·size/ranks). Each inner boundary moves to the end
 * of the first delimiter that ends at or after it (or to the object's end when none does):
 * c(0) = 0, c(ranks) = size, c(i) = first delimiter end ≥ b(i). Rank i gets [c(i), c(i+1)).
 * The c(i) never decrease, so the shares concatenate to the object, and every cut is just
 * after a delimiter, so no record is split; two ranks that compute the same boundary compute it
 * from the same bytes, so they agree without a message.
 */
export function nominalBoundary(index: number, size: number, ranks: number): number {
  // index·size stays below 2^53 for any object S3 holds (5 TiB) and any job size this runs.
  return Math.floor((index * size) / ranks);
}

/**
 * The end of the first delimiter occurrence that ends at or after `from`, searching `bytes`
 * (which hold the object's bytes from `bytesStart`); undefined when none ends inside them.
 */
export function delimiterEndAtOrAfter(bytes: Uint8Array, bytesStart: number, from: number, delimiter: Uint8Array): number | undefined {
  const width = delimiter.length;
  const first = Math.max(0, from - width - bytesStart);
  const last = bytes.length - width;
  const lead = delimiter[0];
  for (let start = first; start <= last; start++) {
    if (bytes[start] !== lead) continue;
    let matches = true;
    for (let k = 1; k < width; k++) {
      if (bytes[start + k] !== delimiter[k]) {
        matches = false;
        break;
      }
    }
    if (matches && bytesStart + start + width >= from) return bytesStart + start + width;
  }
  return undefined;
}

/** A growing window of the object's bytes from a fixed start, read on demand. */
class ByteWindow {
  readonly start: number;
  bytes: Uint8Array;
  readonly #read: (offset: number, length: number) => Promise<Uint8Array>;
  readonly #size: number;
  #step: number;

  constructor(start: number, bytes: Uint8Array, size: number, step: number, read: (offset: number, length: number) => Promise<Uint8Array>) {
    this.start = start;
    this.bytes = bytes;
    this.#size = size;
    this.#step = step;
    this.#read = read;
  }

  get end(): number {
    return this.start + this.bytes.length;
  }

  /** Reads the next chunk (each twice the last, up to 8 MiB); false at the object's end. */
  async grow(): Promise<boolean> {
    if (this.end >= this.#size) return false;
    const more = await this.#read(this.end, Math.min(this.#step, this.#size - this.end));
    this.#step = Math.min(this.#step * 2, 8 * 1024 * 1024);
    const joined = new Uint8Array(this.bytes.length + more.length);
    joined.set(this.bytes);
    joined.set(more, this.bytes.length);
    this.bytes = joined;
    return true;
  }
}

export interface PartitionRead {
  size: number;
  ranks: number;
  rank: number;
  /** The delimiter's bytes; none: the shares are the nominal byte ranges. */
  delimiter?: Uint8Array;
  /** Reads bytes [offset, offset + length) of the object. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** How far past its nominal end a share's first read looks for the next delimiter. */
  lookahead?: number;
}

/** This rank's share of the object, read with one request in the common case (a few more when a record runs long). */
export async function readShare(plan: PartitionRead): Promise<Uint8Array> {
  const { size, ranks, rank, delimiter } = plan;
  const low = nominalBoundary(rank, size, ranks);
  const high = nominalBoundary(rank + 1, size, ranks);
  if (!delimiter || delimiter.length === 0) return plan.read(low, high - low);
  const width = delimiter.length;
  // A share whose nominal range holds no delimiter end is empty: its records belong to the rank before.
  if (rank > 0 && low === high) return new Uint8Array(0);
  const lookahead = plan.lookahead ?? 64 * 1024;
  const windowStart = rank === 0 ? 0 : Math.max(0, low - width);
  const windowEnd = Math.min(size, high + lookahead);
  const window = new ByteWindow(windowStart, await plan.read(windowStart, windowEnd - windowStart), size, Math.max(lookahead, 64 * 1024), plan.read);

  let cutLow = 0;
  if (rank > 0) {
    // The window covers [low - width, high): a delimiter ending in [low, high) is inside it.
    const found = delimiterEndAtOrAfter(window.bytes, window.start, low, delimiter);
    if (found === undefined || found >= high) return new Uint8Array(0);
    cutLow = found;
  }
  let cutHigh = size;
  if (rank < ranks - 1) {
    let found = delimiterEndAtOrAfter(window.bytes, window.start, high, delimiter);
    while (found === undefined && (await window.grow())) found = delimiterEndAtOrAfter(window.bytes, window.start, high, delimiter);
    cutHigh = found ?? size;
  }
  // A view, not a copy: the window was read for this share alone (it holds at most the lookahead
  // and one delimiter more), and copying a share is a second pass over the largest buffer a rank reads.
  return window.bytes.subarray(cutLow - window.start, cutHigh - window.start);
}
