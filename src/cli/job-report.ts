import { JobCancelledError, RankFailedError, describeWait } from '../mpi/errors.ts';
import { userStack } from '../runtime/user-stack.ts';

/**
 * What the CLI prints when a job fails: the failing rank's error with its program's own frames
 * (lambda-mpi's are the library's business, not the user's), or each rank still running, a line each.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof RankFailedError) {
    const stack = userStack(error.remote.stack);
    return stack ? `${error.message}\n${stack}` : error.message;
  }
  if (error instanceof JobCancelledError && error.running.length) {
    // One rank a line, rather than the message's one long line.
    return `job ${error.jobId} was cancelled (by ${error.by}); ranks still running:\n${error.running.map((wait) => `  ${describeWait(wait)}`).join('\n')}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
