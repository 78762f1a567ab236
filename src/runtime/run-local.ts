import { hostname } from 'node:os';
import { vectorReductionFromEnv } from '../config.ts';
import type { Program } from '../mpi/program.ts';
import { MemoryFabric } from '../transport/memory/memory-transport.ts';
import type { JobTransports, JobTransportsFactory } from '../transport/job-transports.ts';
import { systemClock } from '../transport/clock.ts';
import type { Transport } from '../transport/transport.ts';
import type { AwsJobTransportsOptions } from '../transport/aws/aws-job-transports.ts';
import type { ValkeyJobTransportsOptions } from '../transport/valkey/valkey-job-transports.ts';
import { FaultInjectingTransport, type FaultSchedule } from '../transport/fault-injection.ts';
import { InvalidArgumentError } from '../mpi/errors.ts';
import { assertJobOptions, inputCopy, validateJob } from './job-options.ts';
import { resolveProgram } from './program-source.ts';
import { newJobId } from './job-id.ts';
import { RankZeroJob } from './rank-zero.ts';
import { DeadlockError } from '../mpi/deadlock-error.ts';
import { watchForDeadlock } from './deadlock-watch.ts';
import { BoardedTransport, WaitBoard } from './threads/wait-board.ts';
import type { OutputLine } from './output.ts';
import type { RunResult } from './run-result.ts';
import { runWorkerRank } from './worker-rank.ts';
import { addCleanup } from './job-cleanup.ts';
import { guardProcessExitForInlineJob } from './process-guard.ts';
import { inlineGenerations } from './generations/local-generations.ts';

export type { JobTransports, JobTransportsFactory };

export interface RunLocalOptions<I = unknown> {
  size: number;
  input?: I;
  timeoutMs?: number;
  /**
   * Which transport carries the frames: 'memory' (the default: in-process), 'aws' (SQS and S3,
   * configured by `aws`), 'valkey' (a Valkey server, configured by `valkey`; S3 for large bodies
   * when `aws` is given), or a factory of your own for the job's transports.
   */
  transport?: 'memory' | 'aws' | 'valkey' | JobTransportsFactory;
  /** For transport 'aws': bucket, region, endpoints (local servers), …; for 'valkey', S3 for large bodies. */
  aws?: AwsJobTransportsOptions;
  /** For transport 'valkey': the server's URL (`redis://` or `rediss://`), … */
  valkey?: ValkeyJobTransportsOptions;
  /** Each line as a rank prints it. */
  onOutput?: (line: OutputLine) => void;
  /**
   * Runs every rank in a worker thread of its own, so CPU-bound ranks run in parallel (when ranks
   * outnumber the cores more than eightfold, a few share each thread). Needs the program as a
   * module (a path or file: URL) or a bundled program's name.
   */
  threads?: boolean;
  /** Cancels the job (threads only): it fails with JobCancelledError saying what each rank waited on. */
  signal?: AbortSignal;
  /** Wraps each rank's transport, e.g. with fault injection in tests (not with threads: a function cannot cross). */
  wrapTransport?: (transport: Transport, rank: number) => Transport;
  /** Test hook: every rank's transport duplicates and reorders frames on this seeded schedule (threads too). */
  injectFaults?: FaultSchedule;
  /**
   * Record the job's timeline: `result.trace` is then the Chrome trace-event JSON of it (one
   * track per rank; write it to a file and open it in Perfetto or chrome://tracing).
   */
  trace?: boolean;
  /**
   * Ends each generation after this many seconds (at the next checkpointIfDue that agrees it is
   * due), so a program's restart path runs here as it would past a Lambda's 15 minutes.
   */
  generationSeconds?: number;
  /**
   * Threads only: a rank lost (its thread ended under it, not a program that threw) restarts the
   * job from its last complete checkpoint, at most this many times.
   */
  retries?: number;
}

const memoryJobTransports: JobTransportsFactory = async (_jobId, size) => {
  const fabric = new MemoryFabric(size);
  return { transport: (rank) => fabric.transport(rank), dispose: async () => undefined };
};

/** Ranks that ignore their stop (stuck outside lambda-mpi) are not waited for longer than this. */
const SETTLE_GRACE_MS = 1_000;

/**
 * Runs every rank of a job in this process: the embedded default, no services needed.
 * Rank 0 runs the job exactly as on Lambda; the workers run beside it.
 */
export async function runLocal<I = unknown, R = unknown>(
  program: Program<I, R> | string | URL,
  options: RunLocalOptions<I>,
): Promise<RunResult<R>> {
  assertJobOptions(options);
  if (options.trace !== undefined && typeof options.trace !== 'boolean') throw new InvalidArgumentError('trace', options.trace, 'true or false');
  if (options.threads !== undefined && typeof options.threads !== 'boolean') throw new InvalidArgumentError('threads', options.threads, 'true or false');
  if (options.threads) {
    // Loaded on demand: the bundler is needed only by jobs in threads.
    const { runInThreads } = await import('./threads/run-threads.ts');
    const remote = options.transport === 'aws' || options.transport === 'valkey' ? { entry: options.transport, factory: await jobTransportsFactory(options) } : undefined;
    return runInThreads<R>(program, options, remote);
  }
  if (options.retries !== undefined && options.retries !== 0) {
    throw new InvalidArgumentError('retries', options.retries, '0 unless threads is true', 'needs threads: true (a rank lost inline would be the caller\'s own process)');
  }
  if (options.signal !== undefined) {
    throw new InvalidArgumentError('signal', options.signal, 'absent unless threads is true', 'needs threads: true (ranks that share this thread cannot be interrupted)');
  }
  const job = validateJob((await resolveProgram(program)).program, options);
  const generations = inlineGenerations(options.generationSeconds);
  const jobId = newJobId();
  const transports = await (await jobTransportsFactory(options))(jobId, job.size);
  const clock = transports.clock ?? systemClock;
  const deadline = clock.now() + job.timeoutMs;
  // Frames in memory, and in Valkey's lists (a pop removes what it hands over), are handed over
  // exactly once, so the board's counts say what is in flight: a job whose ranks all wait on each
  // other fails at once (deadlock-watch.ts).
  const exactlyOnce = (options.transport ?? 'memory') === 'memory' || options.transport === 'valkey';
  const board = exactlyOnce && !transports.clock ? WaitBoard.create(job.size, false) : undefined;
  const transportOf = (rank: number) => {
    let transport = transports.transport(rank);
    if (board) transport = new BoardedTransport(transport, board);
    if (options.injectFaults) transport = new FaultInjectingTransport(transport, options.injectFaults);
    return options.wrapTransport ? options.wrapTransport(transport, rank) : transport;
  };
  const common = {
    jobId,
    size: job.size,
    program: job.program,
    deadline,
    timeoutMs: job.timeoutMs,
    processorName: hostname(),
    clock,
    vectorReduction: vectorReductionFromEnv(),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
    ...(options.trace ? { trace: true } : {}),
    generations,
  };
  const ended = (rank: number) => (board ? { programEnded: () => board.ended(rank) } : {});
  const workers: Promise<unknown>[] = [];
  let result: RunResult<R>;
  let stopWatch: (() => void) | undefined;
  const endExitGuard = guardProcessExitForInlineJob();
  try {
    const rankZeroJob = new RankZeroJob({ ...common, rank: 0, input: inputCopy(job), transport: transportOf(0), ...ended(0) });
    const rankZero = rankZeroJob.run();
    for (let rank = 1; rank < job.size; rank++) {
      workers.push(runWorkerRank({ ...common, rank, input: inputCopy(job), transport: transportOf(rank), ...ended(rank) }));
    }
    if (board) stopWatch = watchForDeadlock(board, (blocked) => rankZeroJob.fail(new DeadlockError(jobId, blocked), 0));
    result = (await rankZero) as RunResult<R>;
  } catch (error) {
    stopWatch?.();
    await settleWithin(Promise.allSettled(workers), SETTLE_GRACE_MS);
    endExitGuard();
    await transports.dispose();
    throw error;
  }
  stopWatch?.();
  await settleWithin(Promise.allSettled(workers), SETTLE_GRACE_MS);
  endExitGuard();
  const cleanupStart = Date.now();
  await transports.dispose();
  // The clean-up (deleting the job's queues and objects) follows the result: it is added to it here.
  addCleanup(result, cleanupStart, Date.now());
  const requests = transports.requests?.();
  if (requests) result.requests = requests;
  return result;
}

async function jobTransportsFactory(options: RunLocalOptions<any>): Promise<JobTransportsFactory> {
  const { transport = 'memory' } = options;
  if (transport === 'memory') return memoryJobTransports;
  if (typeof transport === 'function') return transport;
  if (transport === 'aws') {
    if (!options.aws) throw new InvalidArgumentError('aws', options.aws, 'the AWS settings { bucket, region?, endpoints? } when transport is "aws"');
    // Loaded on demand: in-process runs never pay for the AWS SDK.
    const { awsJobTransports } = await import('../transport/aws/aws-job-transports.ts');
    return awsJobTransports(options.aws);
  }
  if (transport === 'valkey') {
    if (!options.valkey) throw new InvalidArgumentError('valkey', options.valkey, 'the Valkey settings { url: "redis://host:port" or "rediss://…" } when transport is "valkey"');
    const { valkeyJobTransports } = await import('../transport/valkey/valkey-job-transports.ts');
    return valkeyJobTransports(options.valkey, options.aws);
  }
  throw new InvalidArgumentError('transport', transport, '"memory", "aws", "valkey" or a function (jobId, size) => Promise<JobTransports>');
}

async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
