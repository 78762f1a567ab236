import { JobCancelledError, RankFailedError, describeWait } from '../mpi/errors.ts';

/** What the CLI prints when a job fails: the failing rank's stack, or each rank still running, a line each. */
export function describeFailure(error: unknown): string {
  if (error instanceof RankFailedError) return `${error.message}\n${error.remote.stack ?? ''}`;
  if (error instanceof JobCancelledError && error.running.length) {
    // One rank a line, rather than the message's one long line.
    return `job ${error.jobId} was cancelled (by ${error.by}); ranks still running:\n${error.running.map((wait) => `  ${describeWait(wait)}`).join('\n')}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
