/**
 * A collective write's plan (ROMIO's two-phase I/O with S3 parts as file domains): the file's
 * extent [0, end) is cut into parts of one size (the last may be shorter), consecutive parts form
 * one contiguous file domain per aggregator rank, and an aggregator uploads its parts one round
 * at a time, so it holds at most one part (and the next round's pieces) at once.
 */

export interface PartLimits {
  /** Every part but the last is at least this long (S3: 5 MiB). */
  minPartBytes: number;
  /** At most this many parts (S3: 10,000). */
  maxParts: number;
  /** A part is no longer than this unless the file needs it, which bounds an aggregator's memory. */
  targetPartBytes: number;
}

export const S3_PART_LIMITS: PartLimits = { minPartBytes: 5 * 1024 * 1024, maxParts: 10_000, targetPartBytes: 64 * 1024 * 1024 };

/** Bytes one rank writes at `offset`. */
export interface Extent {
  rank: number;
  offset: number;
  length: number;
}

/** The first two extents that cover a common byte, if any. */
export function findOverlap(extents: readonly Extent[]): [Extent, Extent] | undefined {
  const sorted = extents.filter((extent) => extent.length > 0).sort((a, b) => a.offset - b.offset || a.rank - b.rank);
  let reach: Extent | undefined;
  for (const extent of sorted) {
    if (reach && extent.offset < reach.offset + reach.length) return [reach, extent];
    if (!reach || extent.offset + extent.length > reach.offset + reach.length) reach = extent;
  }
  return undefined;
}

export interface FileDomain {
  aggregator: number;
  /** 0-based index of its first part (the upload's part number is index + 1). */
  firstPart: number;
  partCount: number;
}

export interface WritePlan {
  end: number;
  partBytes: number;
  parts: number;
  domains: FileDomain[];
  /** Rounds of the exchange: the most parts any aggregator uploads. */
  rounds: number;
}

/**
 * Parts of one size: one a rank while parts stay under targetPartBytes, never under the minimum nor
 * over maxParts. Each domain's aggregator is the rank that wrote most of it (ties: the lowest), so
 * the bytes it holds need no message; a rank aggregates one domain at most.
 */
export function planWrite(end: number, ranks: number, limits: PartLimits = S3_PART_LIMITS, extents: readonly Extent[] = []): WritePlan {
  if (end === 0) return { end, partBytes: 0, parts: 0, domains: [], rounds: 0 };
  // k parts a rank's worth of bytes, each at most targetPartBytes: equal shares (writeOrdered) then
  // fall on part boundaries, and each rank aggregates its own bytes.
  const perRank = Math.ceil(end / ranks);
  const partsPerRank = Math.max(1, Math.ceil(perRank / limits.targetPartBytes));
  const partBytes = Math.max(limits.minPartBytes, Math.ceil(end / limits.maxParts), Math.ceil(end / (ranks * partsPerRank)));
  const parts = Math.ceil(end / partBytes);
  const aggregatorCount = Math.min(ranks, parts);
  const domains: FileDomain[] = [];
  const taken = new Set<number>();
  const byOffset = [...extents].sort((a, b) => a.offset - b.offset);
  for (let d = 0; d < aggregatorCount; d++) {
    const firstPart = Math.floor((d * parts) / aggregatorCount);
    const nextFirst = Math.floor(((d + 1) * parts) / aggregatorCount);
    const aggregator = mostBytesIn(byOffset, firstPart * partBytes, Math.min(end, nextFirst * partBytes), taken)
      // Nobody free wrote here: spread over the ranks, or the lowest free one.
      ?? [Math.floor((d * ranks) / aggregatorCount), ...Array.from({ length: ranks }, (_, rank) => rank)].find((rank) => !taken.has(rank))!;
    taken.add(aggregator);
    domains.push({ aggregator, firstPart, partCount: nextFirst - firstPart });
  }
  return { end, partBytes, parts, domains, rounds: Math.max(...domains.map((domain) => domain.partCount)) };
}

/** The byte range [start, end) of part `index`. */
export function partRange(plan: WritePlan, index: number): { start: number; end: number } {
  const start = index * plan.partBytes;
  return { start, end: Math.min(plan.end, start + plan.partBytes) };
}

/** Where `extent` meets [start, end), if it does. */
export function intersect(extent: { offset: number; length: number }, start: number, end: number): { from: number; to: number } | undefined {
  const from = Math.max(start, extent.offset);
  const to = Math.min(end, extent.offset + extent.length);
  return from < to ? { from, to } : undefined;
}

/** The rank not yet taken that wrote the most bytes of [start, end) (ties: the lowest rank). */
function mostBytesIn(byOffset: readonly Extent[], start: number, end: number, taken: ReadonlySet<number>): number | undefined {
  const bytes = new Map<number, number>();
  for (const extent of byOffset) {
    if (extent.offset >= end) break;
    const cut = intersect(extent, start, end);
    if (cut && !taken.has(extent.rank)) bytes.set(extent.rank, (bytes.get(extent.rank) ?? 0) + cut.to - cut.from);
  }
  let best: number | undefined;
  for (const [rank, count] of bytes) {
    if (best === undefined || count > bytes.get(best)! || (count === bytes.get(best)! && rank < best)) best = rank;
  }
  return best;
}
