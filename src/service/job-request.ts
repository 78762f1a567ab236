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
 * The deepest input accepted: serializing a value (JSON, v8) recurses once per level, and a few
 * thousand levels overflow the stack. MPI programs' inputs are shallow; this is far beyond them.
 */
export const MAX_INPUT_DEPTH = 1000;
/** The largest input (as JSON): a synchronous invocation of the run function carries at most 6 MB. */
export const MAX_INPUT_BYTES = 6 * 1024 * 1024 - 64 * 1024;

/** What a stage allows one request (its cost guards) and what its functions' timeouts leave. */
export interface RequestLimits {
  /** The run function's remaining time after cleanup, or the stage's maximum when less. */
  maxTimeoutSeconds: number;
  /** The stage's largest job (param maxRanks); absent = the API's MAX_SIZE. */
  maxRanks?: number;
  /** Whether the diagnostics programs may run (param diagnostics); absent = yes. */
  diagnostics?: boolean;
  maxWaitSeconds?: number;
}

/** Checks a request before anything starts, against the API's rules and the stage's limits. */
export function parseJobRequest(body: unknown, limits: RequestLimits): CheckedJobRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidArgumentError('body', body, 'a JSON object { "program": name or "sha256:<hex>", "size": N, "input"?: any, "timeoutSeconds"?: seconds }');
  }
  const request = body as Record<string, unknown>;
  const unknown = Object.keys(request).filter((key) => !FIELDS.includes(key));
  if (unknown.length) {
    // Named as far as a message should quote it: a field's name may be as long as the body.
    const name = unknown[0]!.length > 60 ? `${unknown[0]!.slice(0, 60)}…` : unknown[0]!;
    throw new InvalidArgumentError(name, request[unknown[0]!], `one of the fields ${FIELDS.join(', ')}`, `is not a field of a job request; the fields are ${FIELDS.join(', ')}`);
  }
  if (request.program === undefined) throw new InvalidArgumentError('program', undefined, 'the name of a bundled program or a shipped program\'s "sha256:<hex>" id', 'is required: the name of a bundled program or a shipped program\'s "sha256:<hex>" id');
  checkJobProgram(request.program, limits);
  if (request.size === undefined) throw new InvalidArgumentError('size', undefined, 'an integer number of ranks', 'is required');
  assertJobSize(request.size);
  if (limits.maxRanks !== undefined && request.size > limits.maxRanks) {
    throw new InvalidArgumentError('size', request.size, `an integer in 1..${limits.maxRanks} (this stage's largest job: its param maxRanks)`);
  }
  const timeoutSeconds = request.timeoutSeconds ?? limits.maxTimeoutSeconds;
  if (typeof timeoutSeconds !== 'number' || !Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > limits.maxTimeoutSeconds) {
    throw new InvalidArgumentError('timeoutSeconds', timeoutSeconds, `a number of seconds in (0, ${limits.maxTimeoutSeconds}] (this stage's longest job: its param maxJobSeconds, within the run function's timeout less time to clean up)`);
  }
  if (request.input !== undefined) checkInputShape(request.input);
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

/**
 * Refuses an input too deep or too large to travel, before anything is written or started. The
 * walk is iterative: the input may be deeper than the stack.
 */
export function checkInputShape(input: unknown): void {
  const pending: Array<[unknown, number]> = [[input, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_INPUT_DEPTH) {
      throw new InvalidArgumentError('input', input, `a value nested at most ${MAX_INPUT_DEPTH} levels deep`, `is nested more than ${MAX_INPUT_DEPTH} levels deep; at most ${MAX_INPUT_DEPTH} are allowed`);
    }
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
  const bytes = Buffer.byteLength(JSON.stringify(input) ?? '');
  if (bytes > MAX_INPUT_BYTES) {
    throw new InvalidArgumentError('input', input, `at most ${MAX_INPUT_BYTES} bytes as JSON`, `is ${bytes} bytes as JSON; at most ${MAX_INPUT_BYTES} are allowed (a larger data set belongs in S3, read by the program)`);
  }
}
