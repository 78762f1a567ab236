import type { AwsSettings } from '../config.ts';
import { InvalidArgumentError, LambdaMpiError, RankFailedError, JobTimeoutError, toRemoteErrorInfo } from '../mpi/errors.ts';
import { runOrchestratorRank } from '../runtime/orchestrator-rank.ts';
import { newJobId } from '../runtime/job-id.ts';
import { AwsTransport } from '../transport/aws/aws-transport.ts';
import { createAwsClients } from '../transport/aws/clients.ts';
import { createJobResources, deleteJobResources, type JobQueues } from '../transport/aws/job-resources.ts';
import { childrenOf } from './fanout.ts';
import { storeInput, type InputReference } from './job-input.ts';
import { loadJobProgram } from './job-program.ts';
import { parseJobRequest } from './job-request.ts';
import { toJsonSafe } from './json-safe.ts';
import { createLambdaClient, launchWorkers } from './launcher.ts';
import { CLEANUP_MARGIN_MS, lambdaConfigFromEnv, lambdaProcessorName, printToLog } from './lambda-config.ts';
import { claimRank } from './rank-claim.ts';
import { writeRunStatus, type FailureInfo } from './run-status.ts';
import type { WorkerEvent } from './worker-event.ts';

const JOB_ID = /^[a-z2-7]{26}$/;

/**
 * Rank 0 on Lambda: validates the request, creates the job's queues, starts the workers as a
 * tree of asynchronous invocations, runs its own part as the orchestrator, records the outcome
 * under runs/{jobId}.json, and deletes the job's queues and objects whatever happened.
 * `jobId` is given when the HTTP function started the job (it already answered with it).
 */
export async function runJobAsRankZero(event: unknown, remainingMs: number): Promise<Record<string, unknown>> {
  const config = lambdaConfigFromEnv();
  const maxTimeoutSeconds = Math.floor((remainingMs - CLEANUP_MARGIN_MS) / 1000);
  const { jobId: givenJobId, mode: _mode, ...body } = (typeof event === 'object' && event !== null ? event : { body: event }) as Record<string, unknown>;
  if (givenJobId !== undefined && (typeof givenJobId !== 'string' || !JOB_ID.test(givenJobId))) {
    throw new InvalidArgumentError('jobId', givenJobId, 'a job id made by lambda-mpi (26 letters a-z and digits 2-7)');
  }
  let request: ReturnType<typeof parseJobRequest>;
  let program: Awaited<ReturnType<typeof loadJobProgram>>;
  try {
    request = parseJobRequest(body, { maxTimeoutSeconds });
    program = await loadJobProgram(request.program, config);
  } catch (error) {
    // Started by the HTTP function, the job already has a record: it must not stay "running".
    if (givenJobId !== undefined) await recordFailure(config.aws, givenJobId as string, error);
    throw error;
  }
  const jobId = (givenJobId as string | undefined) ?? newJobId();
  const timeoutMs = request.timeoutSeconds * 1000;
  const startedAt = Date.now();
  const deadline = startedAt + timeoutMs;
  const clients = createAwsClients(config.aws);
  const lambda = createLambdaClient(config.aws);
  const { bucket } = config.aws;

  let queues: JobQueues | undefined;
  let transport: AwsTransport | undefined;
  try {
    // A duplicated asynchronous start of this job (from the HTTP function) must do nothing, even
    // after the job ended: rank 0's claim lives beside the job's record, not among its objects.
    if (givenJobId !== undefined && !(await claimRank(clients.s3, bucket, jobId, 0, `runs/${jobId}.started`))) {
      return { jobId, status: 'duplicate-start-ignored' };
    }
    await writeRunStatus(clients.s3, bucket, { jobId, status: 'running', program: request.program, size: request.size, startedAt: new Date(startedAt).toISOString() });
    queues = await createJobResources(clients, config.aws, jobId, request.size);
    transport = new AwsTransport({ clients, settings: config.aws, jobId, rank: 0, size: request.size, queues });
    const inputReference = await storeInput(clients.s3, bucket, jobId, request.input);
    const workerEvent = (rank: number): WorkerEvent => ({
      kind: 'lambda-mpi/worker',
      jobId,
      rank,
      size: request.size,
      program: request.program,
      timeoutMs,
      deadline,
      queueUrlBase: queues!.urlBase,
      fanout: config.fanout,
      ...(inputReference as InputReference),
    });
    const result = await runOrchestratorRank({
      jobId,
      rank: 0,
      size: request.size,
      program,
      input: structuredClone(request.input),
      transport,
      deadline,
      timeoutMs,
      processorName: lambdaProcessorName(),
      vectorReduction: config.vectorReduction,
      onOutput: printToLog,
      launchWorkers: () => launchWorkers(lambda, config.workerFunction, childrenOf(0, request.size, config.fanout).map(workerEvent)),
    });
    const safe = { ...(toJsonSafe(result) as Record<string, unknown>), status: 'succeeded' };
    await writeRunStatus(clients.s3, bucket, { ...safe, jobId, status: 'succeeded' });
    return safe;
  } catch (error) {
    await writeRunStatus(clients.s3, bucket, {
      jobId,
      status: 'failed',
      error: failureInfo(error),
      ...(error instanceof LambdaMpiError && error.output ? { output: error.output } : {}),
    }).catch(() => undefined);
    throw error;
  } finally {
    await transport?.close().catch(() => undefined);
    if (queues) await deleteJobResources(clients, config.aws, jobId, queues, request.size).catch((e) => console.error(`cleanup of job ${jobId} failed: ${(e as Error).message}`));
    clients.destroy();
    lambda.destroy();
  }
}

async function recordFailure(settings: AwsSettings, jobId: string, error: unknown): Promise<void> {
  const clients = createAwsClients(settings);
  try {
    await writeRunStatus(clients.s3, settings.bucket, { jobId, status: 'failed', error: failureInfo(error) });
  } catch (writeError) {
    console.error(`lambda-mpi run: could not record the failure of job ${jobId}: ${(writeError as Error).message}`);
  } finally {
    clients.destroy();
  }
}

/** What a failed job's record and HTTP answer say about the failure. */
export function failureInfo(error: unknown): FailureInfo {
  const info: FailureInfo = { ...toRemoteErrorInfo(error) };
  if (error instanceof RankFailedError) {
    info.rank = error.rank;
    if (error.remote.stack) info.stack = error.remote.stack;
  } else if (error instanceof LambdaMpiError && 'rank' in error) {
    info.rank = (error as unknown as { rank: number }).rank;
  }
  if (error instanceof JobTimeoutError) info.running = error.running;
  return info;
}
