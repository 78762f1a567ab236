/** How reads become requests: long ranges in parallel chunks, small neighbouring ranges of a collective read merged. */

/** A range this long or longer is read as parallel ranged GETs of READ_CHUNK_BYTES each. */
export const PARALLEL_READ_BYTES = 16 * 1024 * 1024;
export const READ_CHUNK_BYTES = 8 * 1024 * 1024;
/** How many ranged GETs of one read are in flight at once. */
export const READS_IN_FLIGHT = 4;

/** Reads [offset, offset + length) with one GET, or in parallel chunks when long. */
export async function readRange(read: (offset: number, length: number) => Promise<Uint8Array>, offset: number, length: number): Promise<Uint8Array> {
  if (length < PARALLEL_READ_BYTES) return read(offset, length);
  const out = new Uint8Array(length);
  const starts: number[] = [];
  for (let at = 0; at < length; at += READ_CHUNK_BYTES) starts.push(at);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < starts.length) {
      const at = starts[next++]!;
      out.set(await read(offset + at, Math.min(READ_CHUNK_BYTES, length - at)), at);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, starts.length) }, lane));
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
