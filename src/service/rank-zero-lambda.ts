import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { AwsSettings } from '../config.ts';
import { InvalidArgumentError, LambdaMpiError } from '../mpi/errors.ts';
import type { Program } from '../mpi/program.ts';
import { isJobId, newJobId } from '../runtime/job-id.ts';
import { runRankZero } from '../runtime/rank-zero.ts';
import type { RunResult } from '../runtime/run-result.ts';
import { AwsTransport } from '../transport/aws/aws-transport.ts';
import { createAwsClients, type AwsClients } from '../transport/aws/clients.ts';
import { createJobResources, deleteJobResources, type JobQueues } from '../transport/aws/job-resources.ts';
import { childrenOf } from './fanout.ts';
import { inputKeyOf, loadInput, storeInput, type InputReference } from './job-input.ts';
import { loadJobProgram } from './job-program.ts';
import { parseJobRequest, type CheckedJobRequest } from './job-request.ts';
import { toJsonSafe } from './json-safe.ts';
import { createLambdaClient, launchWorkers } from './launcher.ts';
import { CLEANUP_MARGIN_MS, lambdaConfigFromEnv, lambdaProcessorName, printToLog, type LambdaConfig } from './lambda-config.ts';
import { Pulse } from './pulse.ts';
import { claimRank } from './rank-claim.ts';
import { heartbeatPace, pulseEntry, rankZeroLiveness } from './rank-liveness.ts';
import { sweepStage } from './sweeper.ts';
import { failureInfo, writeRunStatus } from './run-status.ts';
import type { WorkerEvent } from './worker-event.ts';

/**
 * Rank 0 on Lambda (the `run` function), step by step as docs/architecture.md's "Message flow
 * of a job on Lambda" tells it. Whatever happens after the request is accepted, the job's
 * outcome is recorded under runs/{jobId}.json and its queues and objects are deleted.
 */
export async function runRankZeroLambda(event: unknown, remainingMs: number): Promise<Record<string, unknown>> {
  const config = lambdaConfigFromEnv();
  const job = openJob(await parseRequest(event, remainingMs, config), config);
  let queues: JobQueues | undefined;
  let pulse: Pulse | undefined;
  let sweeping: Promise<unknown> | undefined;
  try {
    if (!(await claimStart(job))) return { jobId: job.jobId, status: 'duplicate-start-ignored' };
    // Where no schedule runs the sweeper (the local stack), each job start runs it, beside the job.
    if (config.sweepAtJobStart) sweeping = sweepStage(config, [job.jobId]).catch((e: unknown) => console.error(`lambda-mpi sweep: ${(e as Error).message}`));
    await recordRunning(job);
    queues = await createQueues(job);
    pulse = startPulse(job, queues);
    const input = job.inputKey ? { inputKey: job.inputKey } : await storeInput(job.clients.s3, config.aws.bucket, job.jobId, job.request.input);
    const result = await runRankZeroOnLambda(job, queues, input);
    return await recordSucceeded(job, result);
  } catch (error) {
    // A rank 0 that ran synchronous code past the deadline finds the job already ended by its pulse.
    if (pulse?.claimEnding() !== false) await recordFailed(job, error);
    throw error;
  } finally {
    await pulse?.stop();
    await sweeping;
    await cleanUp(job, queues);
  }
}

/** A request rank 0 accepted. */
interface AcceptedRequest {
  request: CheckedJobRequest;
  /** The program it names: bundled, or shipped to the stage and loaded from its bucket. */
  program: Program;
  /** Given when the HTTP function started the job: it already answered with this id and wrote the record. */
  givenJobId?: string;
  /** Where the HTTP function put a large input (asynchronous invocations carry at most 1 MB). */
  inputKey?: string;
}

/** A job rank 0 serves: what was asked, its deadline, and the clients it runs with. */
interface LambdaJob {
  jobId: string;
  startedByHttp: boolean;
  /** The input is already in S3 (put there by the HTTP function). */
  inputKey?: string;
  request: CheckedJobRequest;
  program: Program;
  timeoutMs: number;
  startedAt: number;
  /** Epoch milliseconds at which the job times out. */
  deadline: number;
  config: LambdaConfig;
  clients: AwsClients;
  lambda: LambdaClient;
}

/**
 * Parse request: the event is the job request itself, plus `jobId` and `mode` when the HTTP
 * function started the job. The timeout is checked against this function's remaining time, and
 * the program is loaded (a shipped id the bucket does not hold is refused here, before anything
 * is recorded or started).
 */
async function parseRequest(event: unknown, remainingMs: number, config: LambdaConfig): Promise<AcceptedRequest> {
  const maxTimeoutSeconds = Math.min(config.maxJobSeconds, Math.floor((remainingMs - CLEANUP_MARGIN_MS) / 1000));
  const { jobId: givenJobId, mode: _mode, inputKey, ...body } = (typeof event === 'object' && event !== null ? event : { body: event }) as Record<string, unknown>;
  if (givenJobId !== undefined && !isJobId(givenJobId)) {
    throw new InvalidArgumentError('jobId', givenJobId, 'a job id made by lambda-mpi (26 letters a-z and digits 2-7)');
  }
  try {
    // Only the job's own input object may be named: never another object of the bucket.
    if (inputKey !== undefined && (givenJobId === undefined || inputKey !== inputKeyOf(givenJobId as string) || body.input !== undefined)) {
      throw new InvalidArgumentError('inputKey', inputKey, 'the key the HTTP function gave the job\'s input (with its jobId, and no input)');
    }
    if (inputKey !== undefined) body.input = await loadStoredInput(config.aws, inputKey as string);
    const request = parseJobRequest(body, { maxTimeoutSeconds, maxRanks: config.maxRanks, diagnostics: config.diagnostics });
    return {
      request,
      program: await loadJobProgram(request.program, config),
      ...(givenJobId !== undefined ? { givenJobId } : {}),
      ...(inputKey !== undefined ? { inputKey } : {}),
    };
  } catch (error) {
    // Started by the HTTP function, the job already has a record: it must not stay "running".
    if (givenJobId !== undefined) await recordRefusal(config.aws, givenJobId, error);
    throw error;
  }
}

/** The job's id, deadline and clients; its clock starts here. */
function openJob({ request, program, givenJobId, inputKey }: AcceptedRequest, config: LambdaConfig): LambdaJob {
  const jobId = givenJobId ?? newJobId();
  const timeoutMs = request.timeoutSeconds * 1000;
  const startedAt = Date.now();
  return {
    jobId,
    startedByHttp: givenJobId !== undefined,
    ...(inputKey !== undefined ? { inputKey } : {}),
    request,
    program,
    timeoutMs,
    startedAt,
    deadline: startedAt + timeoutMs,
    config,
    clients: createAwsClients(config.aws),
    lambda: createLambdaClient(config.aws),
  };
}

/**
 * Claim start: a duplicated asynchronous start of this job (from the HTTP function) must do
 * nothing, even after the job ended, so rank 0's claim lives beside the job's record, not among
 * its objects. A job started directly (`sls invoke -f run`) has a fresh id and needs no claim.
 */
async function claimStart(job: LambdaJob): Promise<boolean> {
  if (!job.startedByHttp) return true;
  return claimRank(job.clients.s3, job.config.aws.bucket, job.jobId, 0, `runs/${job.jobId}.started`);
}

/**
 * Record running: runs/{jobId}.json says the job runs, for GET /runs/{jobId}, with rank 0's start
 * and the deadline: whoever watches judges rank 0's life from them and its pulse (job-liveness.ts).
 */
async function recordRunning(job: LambdaJob): Promise<void> {
  const { jobId, request, startedAt } = job;
  await writeRunStatus(job.clients.s3, job.config.aws.bucket, {
    jobId, status: 'running', program: request.program, size: request.size, startedAt: new Date(startedAt).toISOString(),
    rankZeroStartedAt: new Date().toISOString(), deadline: new Date(job.deadline).toISOString(),
  });
}

/** Start the pulse: rank 0's sign of life for watchers, and its stand-in past the deadline (pulse.ts). */
function startPulse(job: LambdaJob, queues: JobQueues): Pulse {
  return Pulse.start({
    jobId: job.jobId,
    rank: 0,
    aws: job.config.aws,
    // Rank 0 ends a job at its deadline plus the transport's report grace (1.5 s on SQS).
    takeover: { deadline: job.deadline, timeoutMs: job.timeoutMs, graceMs: 2_000, size: job.request.size, queueUrlBase: queues.urlBase },
  }, pulseEntry());
}

/** Create queues: one per rank, before any worker starts. */
function createQueues(job: LambdaJob): Promise<JobQueues> {
  return createJobResources(job.clients, job.config.aws, job.jobId, job.request.size);
}

/** Run rank 0, which starts the workers (its children in the fan-out tree) and collects their reports. */
async function runRankZeroOnLambda(job: LambdaJob, queues: JobQueues, input: InputReference): Promise<RunResult> {
  const { jobId, request, config, clients } = job;
  const workerEvent = (rank: number): WorkerEvent => ({
    kind: 'lambda-mpi/worker',
    jobId,
    rank,
    size: request.size,
    program: request.program,
    timeoutMs: job.timeoutMs,
    deadline: job.deadline,
    queueUrlBase: queues.urlBase,
    fanout: config.fanout,
    ...input,
  });
  const transport = new AwsTransport({ clients, settings: config.aws, jobId, rank: 0, size: request.size, queues });
  try {
    return await runRankZero({
      jobId,
      rank: 0,
      size: request.size,
      program: job.program,
      input: structuredClone(request.input),
      transport,
      deadline: job.deadline,
      timeoutMs: job.timeoutMs,
      processorName: lambdaProcessorName(),
      vectorReduction: config.vectorReduction,
      onOutput: printToLog,
      launchWorkers: () => launchWorkers(job.lambda, config.workerFunction, childrenOf(0, request.size, config.fanout).map(workerEvent)),
      liveness: rankZeroLiveness(config, clients.s3, jobId, config.fanout),
      events: heartbeatPace(config),
    });
  } finally {
    await transport.close().catch(() => undefined);
  }
}

/** Record outcome (success): the JSON-safe RunResult, which is also the function's answer. */
async function recordSucceeded(job: LambdaJob, result: RunResult): Promise<Record<string, unknown>> {
  const safe = { ...(toJsonSafe(result) as Record<string, unknown>), status: 'succeeded' };
  await writeRunStatus(job.clients.s3, job.config.aws.bucket, { ...safe, jobId: job.jobId, status: 'succeeded' });
  return safe;
}

/** Record outcome (failure): the job's error and what the ranks printed; the error is rethrown. */
async function recordFailed(job: LambdaJob, error: unknown): Promise<void> {
  await writeRunStatus(job.clients.s3, job.config.aws.bucket, {
    jobId: job.jobId,
    status: 'failed',
    error: failureInfo(error),
    ...(error instanceof LambdaMpiError && error.output ? { output: error.output } : {}),
  }).catch(() => undefined);
}

/** Clean up: the job's queues and objects, whatever happened, then this invocation's clients. */
async function cleanUp(job: LambdaJob, queues: JobQueues | undefined): Promise<void> {
  const { jobId, clients } = job;
  if (queues) {
    await deleteJobResources(clients, job.config.aws, jobId, queues, job.request.size)
      .catch((e) => console.error(`cleanup of job ${jobId} failed: ${(e as Error).message}`));
  }
  clients.destroy();
  job.lambda.destroy();
}

/** A refused request of a job the HTTP function started: its record says why. */
async function recordRefusal(settings: AwsSettings, jobId: string, error: unknown): Promise<void> {
  const clients = createAwsClients(settings);
  try {
    await writeRunStatus(clients.s3, settings.bucket, { jobId, status: 'failed', error: failureInfo(error) });
  } catch (writeError) {
    console.error(`lambda-mpi run: could not record the failure of job ${jobId}: ${(writeError as Error).message}`);
  } finally {
    clients.destroy();
  }
}

async function loadStoredInput(settings: AwsSettings, inputKey: string): Promise<unknown> {
  const clients = createAwsClients(settings);
  try {
    return await loadInput(clients.s3, settings.bucket, { inputKey });
  } finally {
    clients.destroy();
  }
}
