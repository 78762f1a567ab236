import { isLostRank, retryLine, type JobRetry } from '../runtime/generations/retries.ts';
import type { OutputLine } from '../runtime/output.ts';
import type { CheckpointManifest } from '../transport/transport.ts';
import { addRequestCounts, type RequestCounts } from '../transport/request-counts.ts';
import type { CarriedGenerations } from './generation-handover.ts';

/**
 * A job on a stage with `retries` (docs/long-jobs.md, "Failures"): when rank 0 finds a worker lost
 * (liveness's RankLostError, or a worker whose process ended under it; never a program that
 * threw), it hands the job over as at a generation's end, to a generation that restores the last
 * complete checkpoint, or starts from the beginning when none completed. The lost generation's
 * workers are told to abort; its queues (or Valkey lists) go; the job's objects stay.
 */
export interface StageRetry {
  retry: JobRetry;
  /** The generation the retry runs as, and the checkpoint it restores (absent: from the beginning). */
  next: { number: number; restoreFrom?: number };
  /** The line the job's output gets, saying so. */
  line: OutputLine;
}

/**
 * The retry a failed generation gets, or undefined when the failure is not a lost worker, the
 * job has used its retries, or its time is up. The retry runs as the job's next generation
 * number, whatever checkpoint it restores: each generation's queues, claims and key are its own.
 */
export async function stageRetryOf(
  error: unknown,
  job: { retries: number; done: number; generation: number; deadline: number; latest: () => Promise<CheckpointManifest | undefined> },
): Promise<StageRetry | undefined> {
  if (!isLostRank(error) || error.rank === 0 || job.done >= job.retries || Date.now() >= job.deadline) return undefined;
  const latest = await job.latest();
  const number = job.generation + 1;
  const retry: JobRetry = {
    retry: job.done + 1,
    lostRank: error.rank,
    reason: error.message,
    generation: number,
    ...(latest ? { fromCheckpoint: latest.checkpoint } : {}),
  };
  return {
    retry,
    next: { number, ...(latest ? { restoreFrom: latest.checkpoint } : {}) },
    line: { rank: 0, stream: 'stderr', line: retryLine(retry, job.retries) },
  };
}

/**
 * The abandoned generation's part added to what came before: its output up to the loss and the
 * retry's line, rank 0's requests (the workers never reported theirs), and each rank's function
 * time taken as the generation's whole length (what Lambda billed at most: a worker runs until
 * it is told to abort or is lost).
 */
export function carryAbandoned(
  before: CarriedGenerations | undefined,
  abandoned: { size: number; output: OutputLine[]; requests: RequestCounts; elapsedMs: number; retry: JobRetry },
): CarriedGenerations {
  const { size } = abandoned;
  const at = (list: number[] | undefined, rank: number) => list?.[rank] ?? 0;
  return {
    ended: (before?.ended ?? 0) + 1,
    output: [...(before?.output ?? []), ...abandoned.output],
    requests: addRequestCounts(addRequestCounts({}, before?.requests), abandoned.requests),
    billedMs: Array.from({ length: size }, (_, rank) => at(before?.billedMs, rank) + abandoned.elapsedMs),
    programMs: Array.from({ length: size }, (_, rank) => at(before?.programMs, rank)),
    traceEvents: before?.traceEvents ?? [],
    droppedCalls: before?.droppedCalls ?? 0,
    retries: [...(before?.retries ?? []), abandoned.retry],
  };
}
