import { InvalidArgumentError } from '../mpi/errors.ts';
import { assertJobSize } from '../mpi/validation.ts';
import { checkJobProgram } from './job-program.ts';

/** A job as users ask for it: the body of `sls invoke -f run --data` and of POST /runs. */
export interface JobRequest {
  program: string;
  size: number;
  input?: unknown;
  timeoutSeconds?: number;
  /** POST /runs only: how long the request waits for the result before answering 202. */
  waitSeconds?: number;
  /** Record the job's timeline (Chrome trace-event JSON, stored at runs/<jobId>/trace.json). */
  trace?: boolean;
}

/** A request that passed parseJobRequest: the timeout is filled in. */
export type CheckedJobRequest = Required<Pick<JobRequest, 'program' | 'size' | 'timeoutSeconds'>> & JobRequest;

const FIELDS = ['program', 'size', 'input', 'timeoutSeconds', 'waitSeconds', 'trace'];

/**
 * Checks a request before anything starts. `maxTimeoutSeconds` is what the run function's own
 * timeout leaves for the job after cleanup.
 */
export function parseJobRequest(body: unknown, limits: { maxTimeoutSeconds: number; maxWaitSeconds?: number }): CheckedJobRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidArgumentError('body', body, 'a JSON object { "program": name or "sha256:<hex>", "size": N, "input"?: any, "timeoutSeconds"?: seconds }');
  }
  const request = body as Record<string, unknown>;
  const unknown = Object.keys(request).filter((key) => !FIELDS.includes(key));
  if (unknown.length) {
    throw new InvalidArgumentError(unknown[0]!, request[unknown[0]!], `one of the fields ${FIELDS.join(', ')}`, `is not a field of a job request; the fields are ${FIELDS.join(', ')}`);
  }
  if (request.program === undefined) throw new InvalidArgumentError('program', undefined, 'the name of a bundled program or a shipped program\'s "sha256:<hex>" id', 'is required: the name of a bundled program or a shipped program\'s "sha256:<hex>" id');
  checkJobProgram(request.program);
  if (request.size === undefined) throw new InvalidArgumentError('size', undefined, 'an integer number of ranks', 'is required');
  assertJobSize(request.size);
  const timeoutSeconds = request.timeoutSeconds ?? limits.maxTimeoutSeconds;
  if (typeof timeoutSeconds !== 'number' || !Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > limits.maxTimeoutSeconds) {
    throw new InvalidArgumentError('timeoutSeconds', timeoutSeconds, `a number of seconds in (0, ${limits.maxTimeoutSeconds}] (the run function's timeout less time to clean up)`);
  }
  if (request.waitSeconds !== undefined) {
    const max = limits.maxWaitSeconds ?? 0;
    if (typeof request.waitSeconds !== 'number' || !Number.isFinite(request.waitSeconds) || request.waitSeconds < 0 || request.waitSeconds > max) {
      throw new InvalidArgumentError('waitSeconds', request.waitSeconds, `a number of seconds in [0, ${max}]`);
    }
  }
  if (request.trace !== undefined && typeof request.trace !== 'boolean') throw new InvalidArgumentError('trace', request.trace, 'true or false');
  return {
    ...(request.trace === true ? { trace: true } : {}),
    program: request.program as string,
    size: request.size,
    timeoutSeconds,
    ...(request.input !== undefined ? { input: request.input } : {}),
    ...(request.waitSeconds !== undefined ? { waitSeconds: request.waitSeconds as number } : {}),
  };
}
