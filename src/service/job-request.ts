import { checkJobRequest, type JobRequest } from '../job-store/job-request.ts';
import { InvalidArgumentError } from '../mpi/errors.ts';
import { checkJobProgram } from './job-program.ts';

/** A request the run function accepted: its timeout filled in (the stage's longest job when none was asked). */
export type CheckedJobRequest = JobRequest & { timeoutSeconds: number };

/** What a stage allows one request (its cost guards) and what its functions' timeouts leave. */
export interface RequestLimits {
  /** The run function's remaining time after cleanup, or the stage's maximum when less. */
  maxTimeoutSeconds: number;
  /** The stage's largest job (param maxRanks); absent = the API's MAX_SIZE. */
  maxRanks?: number;
  /** Whether the diagnostics programs may run (param diagnostics); absent = yes. */
  diagnostics?: boolean;
  maxWaitSeconds?: number;
  /** The timeout of a request that asks for none (what one run function leaves); absent: maxTimeoutSeconds. */
  defaultTimeoutSeconds?: number;
}

/**
 * The stage's entry (POST /runs, `sls invoke -f run`): the one check of a job request
 * (checkJobRequest) against the stage's programs and limits, before anything starts.
 */
export function parseJobRequest(body: unknown, limits: RequestLimits): CheckedJobRequest {
  const request = checkJobRequest(body, {
    checkProgram: (program) => checkJobProgram(program, limits),
    ...(limits.maxRanks !== undefined ? { maxRanks: limits.maxRanks } : {}),
    maxTimeoutSeconds: limits.maxTimeoutSeconds,
    ...(limits.maxWaitSeconds !== undefined ? { maxWaitSeconds: limits.maxWaitSeconds } : {}),
    jsonInput: true,
  });
  return { ...request, timeoutSeconds: request.timeoutSeconds ?? stageTimeoutSeconds(Math.min(limits.maxTimeoutSeconds, limits.defaultTimeoutSeconds ?? Infinity)) };
}

/** The stage's longest job, when the request asks for no timeout: refused when its function has no time left for one. */
function stageTimeoutSeconds(maxTimeoutSeconds: number): number {
  if (!(Number.isFinite(maxTimeoutSeconds) && maxTimeoutSeconds > 0)) {
    throw new InvalidArgumentError('timeoutSeconds', maxTimeoutSeconds, `a number of seconds in (0, ${maxTimeoutSeconds}] (this stage's longest job: its param maxJobSeconds, and the run function's timeout less time to clean up for a job that asks for none)`);
  }
  return maxTimeoutSeconds;
}
