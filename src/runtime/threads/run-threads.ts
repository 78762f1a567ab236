import { availableParallelism, hostname } from 'node:os';
import { maxThreadsFromEnv, vectorReductionFromEnv } from '../../config.ts';
import { InvalidArgumentError } from '../../mpi/errors.ts';
import type { FaultSchedule } from '../../transport/fault-injection.ts';
import type { JobTransports, JobTransportsFactory } from '../../transport/job-transports.ts';
import type { OutputLine } from '../output.ts';
import { newJobId } from '../job-id.ts';
import { assertJobOptions, validateJobOptions } from '../job-options.ts';
import { locateProgramModule } from '../program-source.ts';
import { addCleanup } from '../job-cleanup.ts';
import type { RunResult } from '../run-result.ts';
import { bundleForThreads } from './thread-bundle.ts';
import { ThreadedJob } from './threaded-job.ts';
import { addRequestCounts } from '../../transport/request-counts.ts';
import { checkpointFolder, generationLimitMs } from '../generations/local-generations.ts';
import { FolderCheckpoints } from '../generations/folder-checkpoints.ts';
import { retryLine, runWithRetries, type JobStart } from '../generations/retries.ts';
import { assertRetries } from '../../mpi/validation.ts';

/** The options of runLocal that matter to ranks in threads. */
export interface ThreadedRunOptions {
  size?: unknown;
  input?: unknown;
  timeoutMs?: unknown;
  transport?: unknown;
  wrapTransport?: unknown;
  injectFaults?: FaultSchedule;
  onOutput?: (line: OutputLine) => void;
  signal?: AbortSignal;
  trace?: boolean;
  generationSeconds?: unknown;
  retries?: unknown;
}

/**
 * How long a waiting rank polls for a message before sleeping, when every rank has a core of its
 * own (see ThreadTransport): about ten round trips between threads.
 */
const SPIN_MS = 0.1;

/**
 * A job starts at most this many threads per core, and never fewer than MIN_SHARED_THREADS, before
 * its ranks share threads. Each thread is a V8 isolate of its own, whose start costs more than a
 * small rank's whole run (bench case startup.hello-np64); once ranks outnumber the cores this
 * much, more threads add no parallelism, only start-up and memory.
 */
const THREADS_PER_CORE = 8;
const MIN_SHARED_THREADS = 16;

/** How many ranks each thread of a job of `size` ranks runs: 1 unless ranks far outnumber the cores. */
export function ranksPerThread(size: number, cores: number, maxThreads = maxThreadsFromEnv()): number {
  return Math.ceil(size / (maxThreads ?? Math.max(MIN_SHARED_THREADS, THREADS_PER_CORE * cores)));
}

/**
 * Runs every rank in a worker thread of its own (when ranks far outnumber the cores, a few
 * ranks a thread). The program comes as a module (a function
 * cannot cross threads), bundled once with the thread's entry; a job over SQS/S3 has its queues
 * created here, and each rank opens its own transport to them.
 */
export async function runInThreads<R>(
  source: unknown,
  options: ThreadedRunOptions,
  remote?: { entry: 'aws' | 'valkey'; factory: JobTransportsFactory },
): Promise<RunResult<R>> {
  assertJobOptions(options);
  if (typeof options.transport === 'function') {
    throw new InvalidArgumentError('transport', options.transport, '"memory", "aws" or "valkey" when threads is true', 'cannot be a transports factory when threads is true: a function cannot cross threads; use "memory", "aws" or "valkey"');
  }
  if (options.wrapTransport !== undefined) {
    throw new InvalidArgumentError('wrapTransport', options.wrapTransport, 'absent when threads is true', 'cannot be used when threads is true: a function cannot cross threads (injectFaults takes a fault schedule as data)');
  }
  const program = await locateProgramModule(source);
  const job = validateJobOptions(options);
  const perThread = ranksPerThread(job.size, availableParallelism());
  const bundle = await bundleForThreads(program, remote?.entry ?? 'threads');
  const limitMs = generationLimitMs(options.generationSeconds);
  const retries = assertRetries('retries', options.retries);
  if (retries > 0 && remote) {
    throw new InvalidArgumentError('retries', retries, `0 with transport "${remote.entry}" in threads`, `needs transport "memory" in threads (a retry over ${remote.entry === 'aws' ? 'SQS/S3' : 'Valkey'} needs a fresh channel for the same job; on Lambda, retries come with the stage)`);
  }
  const jobId = newJobId();
  // Checkpoints of ranks in threads go to a folder, unless the transport keeps them (S3).
  const folder = remote?.entry === 'aws' ? undefined : checkpointFolder(jobId);
  let transports: JobTransports | undefined;
  if (remote) {
    transports = await remote.factory(jobId, job.size);
    if (!transports.forThreads) {
      await transports.dispose();
      throw new InvalidArgumentError('transport', options.transport, '"memory", "aws" or "valkey" when threads is true');
    }
  }
  const started = Date.now();
  const spec = {
    jobId,
    size: job.size,
    serializedInput: job.serializedInput,
    processorName: hostname(),
    vectorReduction: vectorReductionFromEnv(),
    program,
    bundle,
    transport: transports?.forThreads ?? { kind: 'threads' as const, spinMs: job.size <= availableParallelism() ? SPIN_MS : 0 },
    ranksPerThread: perThread,
    reportGraceMs: !remote ? 50 : remote.entry === 'aws' ? 1_500 : 1_000,
    ...(options.injectFaults ? { faults: options.injectFaults } : {}),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.trace ? { trace: true } : {}),
  };
  let threaded: ThreadedJob | undefined;
  // Each attempt runs every rank afresh; a retry (a lost rank) starts from the last complete
  // checkpoint, within what is left of the job's time.
  const attempt = async (start: JobStart) => {
    // The first attempt has the job's whole timeout (and says so if it runs out); a retry what is left.
    const retry = threaded !== undefined;
    await threaded?.stop();
    threaded = new ThreadedJob({
      ...spec,
      timeoutMs: retry ? Math.max(1, job.timeoutMs - (Date.now() - started)) : job.timeoutMs,
      generations: { ...(limitMs === undefined ? {} : { limitMs }), ...(folder ? { folder: folder.folder } : {}), ...start },
    });
    return (await threaded.run()) as RunResult<R>;
  };
  let cleanupStart = 0;
  const { value: result, retries: retried } = await runWithRetries(retries, folder ? new FolderCheckpoints(folder.folder) : undefined, attempt, (retry) => {
    options.onOutput?.({ rank: 0, stream: 'stderr', line: retryLine(retry, retries) });
  }).finally(async () => {
    cleanupStart = Date.now();
    await threaded?.stop();
    await transports?.dispose();
    await folder?.remove();
  });
  if (retried.length > 0) result.retries = retried;
  addCleanup(result, cleanupStart, Date.now());
  // The ranks' own clients are in result.requests already (each rank reports them to rank 0);
  // the queues and objects this thread made and deleted for the job are added here.
  const ownRequests = transports?.requests?.();
  if (ownRequests) result.requests = addRequestCounts(addRequestCounts({}, result.requests), ownRequests);
  return result;
}
