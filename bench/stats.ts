/** Summaries of repeated timings. */

export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error('median of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The nearest-rank percentile `p` (0..100). */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * (sorted.length - 1))))]!;
}

/** A figure with four significant digits, for the JSON record. */
export function rounded(x: number): number {
  return Number(x.toPrecision(4));
}

/** How samples spread, for the JSON record. */
export function spread(samples: readonly number[]) {
  return {
    n: samples.length,
    median: rounded(median(samples)),
    p10: rounded(percentile(samples, 10)),
    p90: rounded(percentile(samples, 90)),
    min: rounded(Math.min(...samples)),
    max: rounded(Math.max(...samples)),
  };
}
