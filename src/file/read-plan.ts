/** How reads become requests: long ranges in parallel chunks, small neighbouring ranges of a collective read merged. */

/**
 * A range this long or longer is read as PARALLEL_READS ranged GETs at once, one a quarter. Below
 * it, one GET: on Lambda a function's link, not one GET stream, is the limit (the model's shared
 * link), and every extra GET is a request paid and one more against the prefix's rate.
 */
export const PARALLEL_READ_BYTES = 64 * 1024 * 1024;
/**
 * Never more GETs a read than this: a single GET stream is slower than a machine's link, so a few
 * help; more would only spend S3's per-prefix request rate (5,500 GETs/s), which 1,000 ranks
 * reading one object share (the model: docs/architecture.md).
 */
export const PARALLEL_READS = 4;

/** How many GETs a read of `length` bytes takes. */
export function getsFor(length: number): number {
  return length === 0 ? 0 : length < PARALLEL_READ_BYTES ? 1 : PARALLEL_READS;
}

/** Reads [offset, offset + length) with one GET, or a few in parallel when long. */
export async function readRange(read: (offset: number, length: number) => Promise<Uint8Array>, offset: number, length: number): Promise<Uint8Array> {
  const gets = getsFor(length);
  if (gets <= 1) return read(offset, length);
  const out = new Uint8Array(length);
  const chunk = Math.ceil(length / gets);
  await Promise.all(Array.from({ length: gets }, async (_, i) => {
    const at = i * chunk;
    out.set(await read(offset + at, Math.min(chunk, length - at)), at);
  }));
  return out;
}

/** A collective read's ranges are merged only where each is small (the saving is requests, not bytes) and the run stays modest. */
export const MERGE_PIECE_BYTES = 1024 * 1024;
export const MERGE_RUN_BYTES = 8 * 1024 * 1024;

export interface RankRange {
  rank: number;
  offset: number;
  length: number;
}

/** One request of a collective read: `reader` reads [offset, offset + length) and hands each member its slice. */
export interface MergedRead {
  reader: number;
  offset: number;
  length: number;
  members: RankRange[];
}

/**
 * Groups the ranks' ranges: ranges that touch or overlap, each under MERGE_PIECE_BYTES, join
 * one read while it stays under MERGE_RUN_BYTES; the first member (lowest offset) reads. Every
 * rank computes the same groups from the same ranges.
 */
export function mergeReads(ranges: readonly RankRange[]): MergedRead[] {
  const sorted = ranges.filter((range) => range.length > 0).sort((a, b) => a.offset - b.offset || a.rank - b.rank);
  const groups: MergedRead[] = [];
  for (const range of sorted) {
    const last = groups[groups.length - 1];
    const lastEnd = last ? last.offset + last.length : -1;
    const end = range.offset + range.length;
    if (
      last && range.offset <= lastEnd && range.length < MERGE_PIECE_BYTES && last.members.every((m) => m.length < MERGE_PIECE_BYTES)
      && Math.max(lastEnd, end) - last.offset <= MERGE_RUN_BYTES
    ) {
      last.length = Math.max(lastEnd, end) - last.offset;
      last.members.push(range);
    } else {
      groups.push({ reader: range.rank, offset: range.offset, length: range.length, members: [range] });
    }
  }
  return groups;
}
