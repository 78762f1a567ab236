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
import { storeInput, type InputReference } from './job-input.ts';
import { loadJobProgram } from './job-program.ts';
import { parseJobRequest, type CheckedJobRequest } from './job-request.ts';
import { toJsonSafe } from './json-safe.ts';
import { createLambdaClient, launchWorkers } from './launcher.ts';
import { CLEANUP_MARGIN_MS, lambdaConfigFromEnv, lambdaProcessorName, printToLog, type LambdaConfig } from './lambda-config.ts';
import { claimRank } from './rank-claim.ts';
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
  try {
    if (!(await claimStart(job))) return { jobId: job.jobId, status: 'duplicate-start-ignored' };
    await recordRunning(job);
    queues = await createQueues(job);
    const input = await storeInput(job.clients.s3, config.aws.bucket, job.jobId, job.request.input);
    const result = await runRankZeroOnLambda(job, queues, input);
    return await recordSucceeded(job, result);
  } catch (error) {
    await recordFailed(job, error);
    throw error;
  } finally {
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
}

/** A job rank 0 serves: what was asked, its deadline, and the clients it runs with. */
interface LambdaJob {
  jobId: string;
  startedByHttp: boolean;
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
  const maxTimeoutSeconds = Math.floor((remainingMs - CLEANUP_MARGIN_MS) / 1000);
  const { jobId: givenJobId, mode: _mode, ...body } = (typeof event === 'object' && event !== null ? event : { body: event }) as Record<string, unknown>;
  if (givenJobId !== undefined && !isJobId(givenJobId)) {
    throw new InvalidArgumentError('jobId', givenJobId, 'a job id made by lambda-mpi (26 letters a-z and digits 2-7)');
  }
  try {
    const request = parseJobRequest(body, { maxTimeoutSeconds });
    return { request, program: await loadJobProgram(request.program, config), ...(givenJobId !== undefined ? { givenJobId } : {}) };
  } catch (error) {
    // Started by the HTTP function, the job already has a record: it must not stay "running".
    if (givenJobId !== undefined) await recordRefusal(config.aws, givenJobId, error);
    throw error;
  }
}

/** The job's id, deadline and clients; its clock starts here. */
function openJob({ request, program, givenJobId }: AcceptedRequest, config: LambdaConfig): LambdaJob {
  const jobId = givenJobId ?? newJobId();
  const timeoutMs = request.timeoutSeconds * 1000;
  const startedAt = Date.now();
  return {
    jobId,
    startedByHttp: givenJobId !== undefined,
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

/** Record running: runs/{jobId}.json says the job runs, for GET /runs/{jobId}. */
async function recordRunning(job: LambdaJob): Promise<void> {
  const { jobId, request, startedAt } = job;
  await writeRunStatus(job.clients.s3, job.config.aws.bucket, {
    jobId, status: 'running', program: request.program, size: request.size, startedAt: new Date(startedAt).toISOString(),
  });
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
