import { concatBytes } from './concat-bytes.ts';

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
  const window = await plan.read(windowStart, Math.min(size, high + lookahead) - windowStart);

  let cutLow = 0;
  if (rank > 0) {
    // The window covers [low - width, high): a delimiter ending in [low, high) is inside it.
    const found = delimiterEndAtOrAfter(window, windowStart, low, delimiter);
    if (found === undefined || found >= high) return new Uint8Array(0);
    cutLow = found;
  }
  let cutHigh = size;
  let bytes = window;
  if (rank < ranks - 1) {
    const found = delimiterEndAtOrAfter(window, windowStart, high, delimiter);
    if (found === undefined) [cutHigh, bytes] = await readOnToDelimiter(plan, delimiter, high, windowStart, window, lookahead);
    else cutHigh = found;
  }
  // A view, not a copy: the window was read for this share alone (it holds at most the lookahead
  // and one delimiter more), and copying a share is a second pass over the largest buffer a rank reads.
  return bytes.subarray(cutLow - windowStart, cutHigh - windowStart);
}

/** The most a share's search for its end reads at once. */
const MAX_STEP = 8 * 1024 * 1024;

/**
 * A record runs past the window: reads on, in chunks each twice the last (up to MAX_STEP), to the
 * first delimiter end at or after `high`, or to the object's end. Each chunk is searched once,
 * with the seam before it (a delimiter may start in the bytes already read), and the chunks are
 * joined once at the end: the end of the share and the bytes from `windowStart` to it.
 */
async function readOnToDelimiter(plan: PartitionRead, delimiter: Uint8Array, high: number, windowStart: number, window: Uint8Array, firstStep: number): Promise<[number, Uint8Array]> {
  const width = delimiter.length;
  const chunks = [window];
  let end = windowStart + window.length;
  let step = Math.max(1, firstStep);
  let found: number | undefined;
  while (found === undefined && end < plan.size) {
    const more = await plan.read(end, Math.min(step, plan.size - end));
    step = Math.min(step * 2, MAX_STEP);
    const before = tailBytes(chunks, width - 1);
    const seam = concatBytes([before, more.subarray(0, width - 1)]);
    found = delimiterEndAtOrAfter(seam, end - before.length, high, delimiter) ?? delimiterEndAtOrAfter(more, end, high, delimiter);
    chunks.push(more);
    end += more.length;
  }
  return [found ?? plan.size, concatBytes(chunks)];
}

/** The last `count` bytes of the chunks, in order (fewer if they hold fewer). */
function tailBytes(chunks: readonly Uint8Array[], count: number): Uint8Array {
  const tail: Uint8Array[] = [];
  for (let i = chunks.length - 1; i >= 0 && count > 0; i--) {
    const chunk = chunks[i]!;
    tail.unshift(chunk.subarray(Math.max(0, chunk.length - count)));
    count -= Math.min(count, chunk.length);
  }
  return concatBytes(tail);
}
