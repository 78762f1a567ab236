import { InvalidArgumentError } from '../mpi/errors.ts';
import { assertJobSize, assertRetries } from '../mpi/validation.ts';

/**
 * A job as users ask for it, on every edge: the CLI's `run`/`model` flags, the body of POST /runs
 * and of `sls invoke -f run --data`. Checked once where it enters (checkJobRequest) and passed on
 * typed; the run function's event is this plus how the job was started (RunInvocation).
 */
export interface JobRequest {
  /** A bundled program's name, a shipped program's "sha256:<hex>" id, or (CLI) a program file. */
  program: string;
  size: number;
  input?: unknown;
  /** Absent: the placement's default (runLocal's, or the stage's longest job). */
  timeoutSeconds?: number;
  /** POST /runs only: how long the request waits for the result before answering 202. */
  waitSeconds?: number;
  /** Record the job's timeline (Chrome trace-event JSON, stored beside the job's record). */
  trace?: boolean;
  /** End each generation after this many seconds (a stage; locally runLocal's option): tests a program's restart path. */
  generationSeconds?: number;
  /** A lost rank restarts the job from its last complete checkpoint, at most this many times (a stage; locally runLocal's option). */
  retries?: number;
}

/**
 * The run function's event: the request, the job's id when its caller made it (the CLI, the HTTP
 * function: its start claim is keyed by it), where the HTTP function stored a large input, and
 * the HTTP function's asynchronous start.
 */
export interface RunInvocation extends JobRequest {
  jobId?: string;
  inputKey?: string;
  mode?: 'async';
}

export const JOB_REQUEST_FIELDS: ReadonlyArray<keyof JobRequest> = ['program', 'size', 'input', 'timeoutSeconds', 'waitSeconds', 'trace', 'generationSeconds', 'retries'];

/**
 * The deepest input accepted: serializing a value (JSON, v8) recurses once per level, and a few
 * thousand levels overflow the stack. MPI programs' inputs are shallow; this is far beyond them.
 */
export const MAX_INPUT_DEPTH = 1000;
/** The largest input (as JSON): a synchronous invocation of the run function carries at most 6 MB. */
export const MAX_INPUT_BYTES = 6 * 1024 * 1024 - 64 * 1024;

/** What an entry allows beyond the API's rules: a stage's cost guards and what its functions' timeouts leave. */
export interface JobRequestLimits {
  /** The program as this entry knows programs (a stage: bundled names and shipped ids); absent: any non-empty string. */
  checkProgram?(program: unknown): void;
  /** The stage's largest job (param maxRanks); absent = the API's MAX_SIZE. */
  maxRanks?: number;
  /** The run function's remaining time after cleanup, or the stage's maximum when less; absent = any positive time. */
  maxTimeoutSeconds?: number;
  /** Whether waitSeconds may be given, and up to what; absent = it may not be over 0. */
  maxWaitSeconds?: number;
  /** The input travels as JSON in an invocation (a stage): its depth and size are bounded. */
  jsonInput?: boolean;
}

/**
 * The one check of a job request, at each entry, before anything starts: every refusal is an
 * InvalidArgumentError naming the field, the value received and what is allowed.
 */
export function checkJobRequest(body: unknown, limits: JobRequestLimits = {}): JobRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidArgumentError('body', body, 'a JSON object { "program": name or "sha256:<hex>", "size": N, "input"?: any, "timeoutSeconds"?: seconds }');
  }
  const request = body as Record<string, unknown>;
  const fields = JOB_REQUEST_FIELDS as readonly string[];
  const unknown = Object.keys(request).filter((key) => !fields.includes(key));
  if (unknown.length) {
    // Named as far as a message should quote it: a field's name may be as long as the body.
    const name = unknown[0]!.length > 60 ? `${unknown[0]!.slice(0, 60)}…` : unknown[0]!;
    throw new InvalidArgumentError(name, request[unknown[0]!], `one of the fields ${fields.join(', ')}`, `is not a field of a job request; the fields are ${fields.join(', ')}`);
  }
  if (request.program === undefined) throw new InvalidArgumentError('program', undefined, 'the name of a bundled program or a shipped program\'s "sha256:<hex>" id', 'is required: the name of a bundled program or a shipped program\'s "sha256:<hex>" id');
  if (limits.checkProgram) limits.checkProgram(request.program);
  else if (typeof request.program !== 'string' || request.program === '') throw new InvalidArgumentError('program', request.program, 'a bundled program\'s name, a shipped program\'s "sha256:<hex>" id or a program file');
  if (request.size === undefined) throw new InvalidArgumentError('size', undefined, 'an integer number of ranks', 'is required');
  assertJobSize(request.size);
  if (limits.maxRanks !== undefined && request.size > limits.maxRanks) {
    throw new InvalidArgumentError('size', request.size, `an integer in 1..${limits.maxRanks} (this stage's largest job: its param maxRanks)`);
  }
  // null is no timeout, as absent: the placement's default.
  const timeoutSeconds = request.timeoutSeconds ?? undefined;
  if (timeoutSeconds !== undefined) {
    const max = limits.maxTimeoutSeconds;
    if (typeof timeoutSeconds !== 'number' || !Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || (max !== undefined && timeoutSeconds > max)) {
      throw new InvalidArgumentError('timeoutSeconds', timeoutSeconds, max === undefined
        ? 'a positive number of seconds'
        : `a number of seconds in (0, ${max}] (this stage's longest job: its param maxJobSeconds; a job longer than its run function's time goes on in generations if its program calls checkpointIfDue, docs/long-jobs.md)`);
    }
  }
  if (limits.jsonInput && request.input !== undefined) checkInputShape(request.input);
  if (request.waitSeconds !== undefined) {
    const max = limits.maxWaitSeconds ?? 0;
    if (typeof request.waitSeconds !== 'number' || !Number.isFinite(request.waitSeconds) || request.waitSeconds < 0 || request.waitSeconds > max) {
      throw new InvalidArgumentError('waitSeconds', request.waitSeconds, `a number of seconds in [0, ${max}]`);
    }
  }
  if (request.trace !== undefined && typeof request.trace !== 'boolean') throw new InvalidArgumentError('trace', request.trace, 'true or false');
  const { generationSeconds } = request;
  if (generationSeconds !== undefined && !(typeof generationSeconds === 'number' && Number.isFinite(generationSeconds) && generationSeconds > 0)) {
    throw new InvalidArgumentError('generationSeconds', generationSeconds, 'a positive number of seconds (each generation ends at the program\'s next checkpointIfDue after it)');
  }
  const retries = assertRetries('retries', request.retries);
  return {
    ...(generationSeconds !== undefined ? { generationSeconds: generationSeconds as number } : {}),
    ...(retries > 0 ? { retries } : {}),
    ...(request.trace === true ? { trace: true } : {}),
    program: request.program as string,
    size: request.size,
    ...(timeoutSeconds !== undefined ? { timeoutSeconds: timeoutSeconds as number } : {}),
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
