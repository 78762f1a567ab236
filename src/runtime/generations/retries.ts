import { RankFailedError, RankLostError } from '../../mpi/errors.ts';
import type { CheckpointObjects } from '../../transport/transport.ts';

/** Marks a rank whose thread or process ended under it (RemoteErrorInfo.code): lost, not a program's throw. */
export const PROCESS_ENDED_CODE = 'RANK_PROCESS_ENDED';

/** One restart of a job after a lost rank: in the result, the output and (on Lambda) the record and cost. */
export interface JobRetry {
  /** 1, 2, … */
  retry: number;
  lostRank: number;
  /** What was lost, as the failure said it. */
  reason: string;
  /** The complete checkpoint the job started again from; absent: from the beginning. */
  fromCheckpoint?: number;
  /** The generation the retry runs as. */
  generation: number;
}

/** Where a job (or its retry) starts: its first generation and the checkpoint it restores. */
export interface JobStart {
  generation: number;
  restoreFrom?: number;
}

/** A rank lost (its process or thread ended, or it went silent) rather than a rank whose program threw: only that is retried. */
export function isLostRank(error: unknown): error is RankLostError | RankFailedError {
  return error instanceof RankLostError || (error instanceof RankFailedError && error.remote.code === PROCESS_ENDED_CODE);
}

/**
 * Runs a job, and again from its last complete checkpoint each time a rank of it is lost, at
 * most `retries` times; a program that threw is never retried (it would throw again).
 */
export async function runWithRetries<T>(
  retries: number,
  objects: CheckpointObjects | undefined,
  attempt: (start: JobStart) => Promise<T>,
  onRetry: (retry: JobRetry) => void,
): Promise<{ value: T; retries: JobRetry[] }> {
  const done: JobRetry[] = [];
  let start: JobStart = { generation: 0 };
  for (;;) {
    try {
      return { value: await attempt(start), retries: done };
    } catch (error) {
      if (!isLostRank(error) || done.length >= retries) {
        if (done.length > 0 && error instanceof Error) error.message += ` (after ${done.length} ${done.length === 1 ? 'retry' : 'retries'})`;
        throw error;
      }
      const latest = await objects?.latest();
      start = latest ? { generation: latest.generation + 1, restoreFrom: latest.checkpoint } : { generation: 0 };
      const retry: JobRetry = {
        retry: done.length + 1,
        lostRank: error.rank,
        reason: error.message,
        generation: start.generation,
        ...(latest ? { fromCheckpoint: latest.checkpoint } : {}),
      };
      done.push(retry);
      onRetry(retry);
    }
  }
}

/** The output line that says a retry began. */
export function retryLine(retry: JobRetry, retries: number): string {
  const from = retry.fromCheckpoint === undefined ? 'from the beginning (no checkpoint yet)' : `from checkpoint ${retry.fromCheckpoint} as generation ${retry.generation}`;
  return `lambda-mpi: rank ${retry.lostRank} was lost; retry ${retry.retry} of ${retries} ${from}`;
}
