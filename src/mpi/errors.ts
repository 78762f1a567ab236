/**
 * Every error lambda-mpi raises is a LambdaMpiError with a stable `code` and structured fields,
 * so callers and tests match on types and fields rather than on message text.
 */
export class LambdaMpiError extends Error {
  readonly code: string;
  /** For a failed job: what the ranks printed before it failed. */
  output?: Array<{ rank: number; stream: 'stdout' | 'stderr'; line: string }>;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * The program's file does not build (a syntax error, an import that does not resolve): nothing
 * ran, and the fix is in the file, so the CLI counts it as bad usage.
 */
export class ProgramBuildError extends LambdaMpiError {
  readonly path: string;
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super('PROGRAM_BUILD', `cannot load ${path}: ${detail}`, options);
    this.path = path;
  }
}

/** An argument was refused before anything was sent or started. */
export class InvalidArgumentError extends LambdaMpiError {
  readonly argument: string;
  readonly value: unknown;
  readonly allowed: string;
  constructor(argument: string, value: unknown, allowed: string, detail?: string) {
    super(
      'INVALID_ARGUMENT',
      `${argument} ${detail ?? `must be ${allowed}`}; received ${describeValue(value)}`,
    );
    this.argument = argument;
    this.value = value;
    this.allowed = allowed;
  }
}

/** What a failed rank reported: plain data, so it can travel between processes. */
export interface RemoteErrorInfo {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

/** A rank threw; the job was aborted (MPI_Abort semantics). */
export class RankFailedError extends LambdaMpiError {
  readonly jobId: string;
  readonly rank: number;
  readonly remote: RemoteErrorInfo;
  constructor(jobId: string, rank: number, remote: RemoteErrorInfo) {
    super('RANK_FAILED', `rank ${rank} failed: ${remote.name}: ${remote.message}`);
    this.jobId = jobId;
    this.rank = rank;
    this.remote = remote;
    // The remote stack is the useful one: it points into the user's program on that rank.
    if (remote.stack) this.stack = `${this.name}: ${this.message}\n--- stack of rank ${rank} ---\n${remote.stack}`;
  }
}

/** A rank called comm.abort(reason), or the job was stopped because of another rank. */
export class JobAbortedError extends LambdaMpiError {
  readonly jobId: string;
  /** The rank that caused the abort. */
  readonly rank: number;
  readonly reason: string;
  constructor(jobId: string, rank: number, reason: string) {
    super('JOB_ABORTED', `job ${jobId} aborted by rank ${rank}: ${reason}`);
    this.jobId = jobId;
    this.rank = rank;
    this.reason = reason;
  }
}

/**
 * The job was cancelled from outside (Ctrl-C of the CLI, `lambda-mpi cancel`, DELETE /runs/{jobId},
 * runLocal's AbortSignal).
 */
export class JobCancelledError extends LambdaMpiError {
  readonly jobId: string;
  /** Who asked, as the request said (e.g. "lambda-mpi cancel", "DELETE /runs", "Ctrl-C"). */
  readonly by: string;
  /** What each rank still running was doing, where the canceller could see it (ranks in threads); else empty. */
  readonly running: RankWaitState[];
  constructor(jobId: string, by: string, running: RankWaitState[] = []) {
    super(
      'JOB_CANCELLED',
      `job ${jobId} was cancelled (by ${by})` + (running.length ? `; ranks still running: ${running.map(describeWait).join('; ')}` : ''),
    );
    this.jobId = jobId;
    this.by = by;
    this.running = running;
  }
}

/** What a rank was blocked on when the job timed out. */
export interface RankWaitState {
  rank: number;
  /** The operation it was in (recv, probe, bcast, …), absent when it was not in a comm call. */
  operation?: string;
  source?: number;
  tag?: number;
  /** True when the rank never answered: it died or is stuck outside lambda-mpi. */
  silent: boolean;
}

export class JobTimeoutError extends LambdaMpiError {
  readonly jobId: string;
  readonly timeoutMs: number;
  readonly running: RankWaitState[];
  constructor(jobId: string, timeoutMs: number, running: RankWaitState[]) {
    super(
      'JOB_TIMEOUT',
      `job ${jobId} timed out after ${timeoutMs} ms; ranks still running: ` +
        (running.length ? running.map(describeWait).join('; ') : 'none'),
    );
    this.jobId = jobId;
    this.timeoutMs = timeoutMs;
    this.running = running;
  }
}

/**
 * What showed that a rank stopped: the heartbeats it stamped stopped while rank 0 had read all its
 * queue held (`heartbeats`, with `caughtUpAt`, when rank 0 was last caught up), the pulse its
 * process kept while its rank was quiet stopped (`pulse`), or its process began (its start claim)
 * and never checked in (`start-claim`).
 */
export type SilenceEvidence = 'heartbeats' | 'pulse' | 'start-claim';

/** What is known of a lost rank: it never checked in, or its last sign of life was at `since`. */
export type LostRank =
  | { rank: number; state: 'never-started'; waitedMs: number }
  | { rank: number; state: 'silent'; since: number; evidence: SilenceEvidence; caughtUpAt?: number };

/**
 * A rank's process is gone (crashed, out of memory, killed at its function's timeout) or never
 * started (its invocation throttled), so the job can never finish: it fails at once, naming it
 * and the evidence.
 */
export class RankLostError extends LambdaMpiError {
  readonly jobId: string;
  readonly rank: number;
  readonly lost: LostRank;
  constructor(jobId: string, lost: LostRank) {
    super('RANK_LOST', `rank ${lost.rank} ${describeLost(lost)}`);
    this.jobId = jobId;
    this.rank = lost.rank;
    this.lost = lost;
  }
}

const PROCESS_ENDED = '(its process ended: a crash, out of memory, or its function\'s timeout)';

function describeLost(lost: LostRank): string {
  if (lost.state === 'never-started') {
    return `never started: it did not check in within ${Math.round(lost.waitedMs / 1000)} s of its invocation ` +
      '(likely throttled: the account\'s or the function\'s concurrency is exhausted)';
  }
  const since = new Date(lost.since).toISOString();
  switch (lost.evidence) {
    case 'heartbeats': {
      const caughtUp = lost.caughtUpAt === undefined ? '' : ` at ${new Date(lost.caughtUpAt).toISOString()}`;
      return `stopped answering: its heartbeats stopped at ${since} while rank 0 was caught up with its queue${caughtUp}, ` +
        `and its process kept no pulse ${PROCESS_ENDED}`;
    }
    case 'pulse':
      return `stopped answering: its process's pulse stopped at ${since} ${PROCESS_ENDED}`;
    case 'start-claim':
      return `stopped answering: its process began at ${since} (its start claim) and never checked in ${PROCESS_ENDED}`;
  }
}

/** The transport (queue service, object store, invocation) failed. */
export class TransportError extends LambdaMpiError {
  readonly operation: string;
  constructor(operation: string, message: string, options?: { cause?: unknown }) {
    super('TRANSPORT', `${operation}: ${message}`, options);
    this.operation = operation;
  }
}

/** Configuration (endpoints, bucket, credentials) is missing or wrong. */
export class ConfigurationError extends LambdaMpiError {
  readonly setting: string;
  constructor(setting: string, message: string, options?: { cause?: unknown }) {
    super('CONFIGURATION', `${setting}: ${message}`, options);
    this.setting = setting;
  }
}

export function describeWait(w: RankWaitState): string {
  if (w.silent) return `rank ${w.rank} is silent (no answer: died or stuck outside lambda-mpi)`;
  if (!w.operation) return `rank ${w.rank} is running outside any communication call`;
  const parts = [`rank ${w.rank} waits in ${w.operation}`];
  if (w.source !== undefined) parts.push(`source ${w.source === -1 ? 'ANY_SOURCE' : w.source}`);
  // A collective's tag is the runtime's own, not one the program chose: it would only mislead.
  if (w.tag !== undefined && POINT_TO_POINT.has(w.operation)) parts.push(`tag ${w.tag === -1 ? 'ANY_TAG' : w.tag}`);
  return parts.join(', ');
}

/** The calls whose tag is the program's. */
const POINT_TO_POINT = new Set(['recv', 'probe', 'iprobe', 'sendrecv', 'communication']);

/**
 * A short, safe description of any value for an error message. Total: it never throws, whatever
 * the value holds (a parsed JSON body may carry keys such as `constructor`, `toString` or
 * `__proto__`), so it reads an object's class from its prototype, never from its own fields.
 */
export function describeValue(value: unknown): string {
  try {
    return describeSafely(value);
  } catch {
    // Only a Proxy whose traps throw gets here.
    return 'a value that cannot be inspected';
  }
}

function describeSafely(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return String(value);
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) {
    const length = value instanceof DataView ? value.byteLength : typedArrayLength.call(value);
    return `a ${className(value) ?? 'TypedArray'} of length ${length}`;
  }
  return `an object (${className(value) ?? 'null prototype'})`;
}

/** The intrinsic length getter: a TypedArray's own `length` field could say anything. */
const typedArrayLength = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'length')!.get! as (this: unknown) => number;

/** An object's class as its prototype names it; undefined for a null prototype. */
function className(value: object): string | undefined {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype === null) return undefined;
  const constructor: unknown = Object.getOwnPropertyDescriptor(prototype, 'constructor')?.value;
  const name: unknown = typeof constructor === 'function' ? Object.getOwnPropertyDescriptor(constructor, 'name')?.value : undefined;
  return typeof name === 'string' && name !== '' ? name : 'anonymous class';
}

/** Plain-data form of any thrown value, for reporting across ranks. */
export function toRemoteErrorInfo(error: unknown): RemoteErrorInfo {
  if (error instanceof Error) {
    const info: RemoteErrorInfo = { name: error.name, message: error.message };
    if (error.stack) info.stack = error.stack;
    if (error instanceof LambdaMpiError) info.code = error.code;
    return info;
  }
  return { name: 'NonError', message: describeValue(error) };
}

/**
 * A rank met a message of another collective call than the one it made at that point: the
 * ranks did not call the same collectives (name and root) in the same order, as MPI requires.
 */
export class CollectiveMismatchError extends LambdaMpiError {
  /**
   * The rank (of the communicator) that met the message, and the call it made, e.g.
   * `reduce(root 0)`; no call when the message was found unreceived at the job's end.
   */
  readonly rank: number;
  readonly call: string | undefined;
  /** The rank whose message it was, and the call that rank made, e.g. `bcast(root 0)`. */
  readonly source: number;
  readonly received: string;
  constructor(rank: number, call: string | undefined, source: number, received: string) {
    super('COLLECTIVE_MISMATCH', `${call === undefined
      ? `rank ${rank} ended without receiving rank ${source}'s ${received} message`
      : `rank ${rank} in ${call} received rank ${source}'s ${received} message`}: every rank must call the same collectives in the same order`);
    this.rank = rank;
    this.call = call;
    this.source = source;
    this.received = received;
  }
}
