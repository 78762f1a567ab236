import type { FailureInfo } from '../job-store/job-record.ts';
import { JobTimeoutError, LambdaMpiError, RankFailedError, toRemoteErrorInfo } from '../mpi/errors.ts';
import { userStack } from '../runtime/user-stack.ts';

/**
 * What a failed job's record and HTTP answer say about the failure: the rank, the error's type
 * and message, and of stacks only the user's program's own frames (user-stack.ts); lambda-mpi's
 * internals are for its log, not for API clients.
 */
export function failureInfo(error: unknown): FailureInfo {
  const { stack: _internal, ...remote } = toRemoteErrorInfo(error);
  const info: FailureInfo = remote;
  if (error instanceof RankFailedError) {
    info.rank = error.rank;
    const stack = userStack(error.remote.stack);
    if (stack) info.stack = stack;
  } else if (error instanceof LambdaMpiError && 'rank' in error) {
    info.rank = (error as unknown as { rank: number }).rank;
  }
  if (error instanceof JobTimeoutError) info.running = error.running;
  return info;
}
