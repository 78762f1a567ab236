import type { OutputLine, StampedLine } from './output.ts';
import type { LinkStats } from '../mpi/p2p/link.ts';

export interface RankTiming {
  rank: number;
  /** From the rank's start to its program's return. */
  durationMs: number;
}

export interface RunResult<T = unknown> {
  jobId: string;
  size: number;
  /** Rank 0's return value. */
  result: T;
  /** Every rank's return value, index = rank. */
  results: unknown[];
  /** What the ranks printed, in order per rank (and by time across ranks). */
  output: OutputLine[];
  timings: { startedAt: string; durationMs: number; ranks: RankTiming[] };
  /** What the link layer repaired, summed over all ranks: the transport's duplicates and reorderings. */
  link: LinkStats;
}

/** Interleaves the ranks' lines by the time they were printed; each rank's own order is kept. */
export function mergeOutput(lines: StampedLine[]): OutputLine[] {
  return lines
    .map((line, index) => ({ line, index }))
    .sort((a, b) => a.line.at - b.line.at || a.line.rank - b.line.rank || a.index - b.index)
    .map(({ line }) => ({ rank: line.rank, stream: line.stream, line: line.line }));
}
