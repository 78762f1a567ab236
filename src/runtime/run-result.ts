import type { JobRetry } from './generations/retries.ts';
import type { OutputLine, StampedLine } from './output.ts';
import type { LinkStats } from '../mpi/p2p/link.ts';
import type { ChromeTrace, RankTimes } from './trace/chrome-trace.ts';
import type { RequestCounts } from '../transport/request-counts.ts';
import type { UnreceivedMessages } from './unreceived.ts';

/**
 * Where one rank's time went. Times are milliseconds from the job's start (`timings.startedAt`);
 * each is there when the rank knows it (a worker on Lambda knows when it was invoked and whether
 * it started cold; an in-process rank only when its program ran).
 */
export interface RankTiming extends RankTimes {
  /** From the rank's start to its program's return. */
  durationMs: number;
  /** Its function's memory, MB (on Lambda): what its GB-seconds are billed at. */
  memoryMb?: number;
}

/** A job's wall time: start-up (until every rank's program began), run, clean-up. */
export interface JobPhases {
  startupMs: number;
  runMs: number;
  cleanupMs: number;
}

/** Rank 0's start-up steps on Lambda, in ms: its record, the queues, the input, its own invocations. */
export interface StartupSteps {
  recordMs?: number;
  queuesMs?: number;
  inputMs?: number;
  /** Rank 0's Invoke calls for its children in the fan-out tree. */
  launchMs?: number;
}

export interface JobTimings {
  startedAt: string;
  /** The whole job, clean-up included where the runner knows it. */
  durationMs: number;
  phases?: JobPhases;
  startup?: StartupSteps;
  ranks: RankTiming[];
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
  timings: JobTimings;
  /** What the link layer repaired, summed over all ranks: the transport's duplicates and reorderings. */
  link: LinkStats;
  /** The job's SQS, S3 and Lambda requests by operation, with bytes (over the AWS transport). */
  requests?: RequestCounts;
  /** The job's timeline in Chrome trace-event format, when asked for (`trace: true`). */
  trace?: ChromeTrace;
  /**
   * Messages that reached a rank and that no receive took, by receiver, sender and tag (or
   * collective call); absent when every message was received. The CLI prints them as a warning.
   */
  unreceived?: UnreceivedMessages[];
  /** The restarts after lost ranks (`retries`), each from the last complete checkpoint; absent when none. */
  retries?: JobRetry[];
  /**
   * A job that ran in generations on a stage: how many, and each rank's function time in the
   * generations before the last (what its cost adds to the last one's timings); absent for one.
   */
  generations?: { count: number; earlierBilledMs: number[] };
}

/** Interleaves the ranks' lines by the time they were printed; each rank's own order is kept. */
export function mergeOutput(lines: StampedLine[]): OutputLine[] {
  return lines
    .map((line, index) => ({ line, index }))
    .sort((a, b) => a.line.at - b.line.at || a.line.rank - b.line.rank || a.index - b.index)
    .map(({ line }) => ({ rank: line.rank, stream: line.stream, line: line.line }));
}
