import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { AwsSettings } from '../config.ts';
import { InvalidArgumentError, JobCancelledError, LambdaMpiError } from '../mpi/errors.ts';
import type { Program } from '../mpi/program.ts';
import { isJobId, newJobId } from '../runtime/job-id.ts';
import { RankZeroJob } from '../runtime/rank-zero.ts';
import type { RunResult, StartupSteps } from '../runtime/run-result.ts';
import { addJobStep, type JobStep } from '../runtime/trace/chrome-trace.ts';
import { AwsTransport } from '../transport/aws/aws-transport.ts';
import { JobKey } from '../transport/aws/job-key.ts';
import { createAwsClients, type AwsClients } from '../transport/aws/clients.ts';
import { createJobResources, deleteJobObjects, deleteJobResources, waitUntil, type JobQueues } from '../transport/aws/job-resources.ts';
import { RequestMeter } from '../transport/aws/request-meter.ts';
import type { JobEndStatus } from '../watch/event-chunk.ts';
import { assertFitsConcurrency } from './concurrency-check.ts';
import { childrenOf } from './fanout.ts';
import { beginInvocation, type InvocationInfo } from './invocation.ts';
import { loadInput, storeInput, type InputReference } from '../job-store/job-input.ts';
import { loadJobProgram } from './job-program.ts';
import { underJobSession } from './program-credentials.ts';
import { parseJobRequest, type CheckedJobRequest } from './job-request.ts';
import { LambdaJobWatch } from './job-watch.ts';
import { toJsonSafe } from '../job-store/result-json.ts';
import { createLambdaClient, freeConcurrency, launchWorkers } from './launcher.ts';
import { CLEANUP_MARGIN_MS, lambdaConfigFromEnv, lambdaProcessorName, logForJob, printToLog, processStartsWithInit, type LambdaConfig } from './lambda-config.ts';
import { Pulse } from './pulse.ts';
import { claimRank } from '../job-store/rank-claim.ts';
import { heartbeatPace, pulseEntry, rankZeroLiveness } from './rank-liveness.ts';
import { claimRequest, releaseRequest, requestFingerprint } from '../job-store/request-claim.ts';
import { writeJobRecord } from '../job-store/job-record.ts';
import { sweepStage } from './sweeper.ts';
import type { WorkerEvent } from './worker-event.ts';
import { eventLogPrefix, jobRecordKey, jobStartClaimKey, storedInputKey } from '../job-store/keys.ts';
import { writeJobTrace } from '../job-store/job-trace.ts';
import { addRequestCounts, type RequestCounts } from '../transport/request-counts.ts';
import { failureInfo } from './failure-info.ts';
import { ValkeyStageJob, valkeyQueueUrlBase } from './valkey-stage-job.ts';
import type { Transport } from '../transport/transport.ts';

/**
 * Rank 0 on Lambda (the `run` function), step by step as docs/architecture.md's "Message flow
 * of a job on Lambda" tells it. Whatever happens after the request is accepted, the job's
 * queues and objects are deleted, then its outcome is recorded under runs/{jobId}.json and the
 * last chunk of its event log says how it ended.
 */
export async function runRankZeroLambda(event: unknown, remainingMs: number, invocation: InvocationInfo = beginInvocation(false)): Promise<Record<string, unknown>> {
  const config = lambdaConfigFromEnv();
  const job = openJob(await parseRequest(event, remainingMs, config), config, invocation);
  try {
    let start: StartClaim;
    try {
      start = await claimStart(job);
    } catch (error) {
      await recordFailed(job, error);
      throw error;
    }
    if (start.kind === 'duplicate') return start.answer;
    return await runClaimedJob(job, start.fingerprint);
  } finally {
    job.clients.destroy();
    job.lambda.destroy();
  }
}

/** A request rank 0 accepted. */
interface AcceptedRequest {
  request: CheckedJobRequest;
  /** The program it names: bundled, or shipped to the stage and loaded from its bucket. */
  program: Program;
  /** Given when the HTTP function or the CLI started the job: its start claim is keyed by it. */
  givenJobId?: string;
  /** The request as it came (less the job id), for its fingerprint. */
  body: Record<string, unknown>;
  /** Where the HTTP function put a large input (asynchronous invocations carry at most 1 MB). */
  inputKey?: string;
}

/** A job rank 0 serves: what was asked, its deadline, and the clients it runs with. */
interface LambdaJob {
  jobId: string;
  givenJobId: boolean;
  /** The input is already in S3 (put there by the HTTP function). */
  inputKey?: string;
  request: CheckedJobRequest;
  body: Record<string, unknown>;
  program: Program;
  timeoutMs: number;
  /** The job's clock starts with the handler. */
  startedAt: number;
  invocation: InvocationInfo;
  /** Epoch milliseconds at which the job times out. */
  deadline: number;
  config: LambdaConfig;
  clients: AwsClients;
  lambda: LambdaClient;
  /** Rank 0's Invoke calls, counted apart from the S3/SQS clients' requests. */
  lambdaMeter: RequestMeter;
  startup: { steps: StartupSteps; timeline: JobStep[] };
  /** The job's side of the stage's Valkey cache, on a stage over Valkey (once opened). */
  valkey?: ValkeyStageJob;
  /** Rank 0's transport's own S3 requests (claim checks over Valkey), counted apart from `clients`. */
  extraRequests?: () => RequestCounts;
}

/**
 * Parse request: the event is the job request itself, plus `jobId` when the HTTP function or the
 * CLI started the job, and `mode` for the HTTP function's asynchronous start. The timeout is
 * checked against this function's remaining time, and the program is loaded (a shipped id the
 * bucket does not hold is refused here, before anything is recorded or started).
 */
async function parseRequest(event: unknown, remainingMs: number, config: LambdaConfig): Promise<AcceptedRequest> {
  const maxTimeoutSeconds = Math.min(config.maxJobSeconds, Math.floor((remainingMs - CLEANUP_MARGIN_MS) / 1000));
  const { jobId: givenJobId, mode: _mode, inputKey, ...body } = (typeof event === 'object' && event !== null ? event : { body: event }) as Record<string, unknown>;
  if (givenJobId !== undefined && !isJobId(givenJobId)) {
    throw new InvalidArgumentError('jobId', givenJobId, 'a job id made by lambda-mpi (26 letters a-z and digits 2-7)');
  }
  try {
    // Only the job's own input object may be named: never another object of the bucket.
    if (inputKey !== undefined && (givenJobId === undefined || inputKey !== storedInputKey(givenJobId as string) || body.input !== undefined)) {
      throw new InvalidArgumentError('inputKey', inputKey, 'the key the HTTP function gave the job\'s input (with its jobId, and no input)');
    }
    const input = inputKey === undefined ? {} : { input: await loadStoredInput(config.aws, inputKey as string) };
    const request = parseJobRequest({ ...body, ...input }, { maxTimeoutSeconds, maxRanks: config.maxRanks, diagnostics: config.diagnostics });
    await checkConcurrency(request.size, config);
    return {
      request,
      body,
      program: await loadJobProgram(request.program, config),
      ...(givenJobId !== undefined ? { givenJobId } : {}),
      ...(inputKey !== undefined ? { inputKey: inputKey as string } : {}),
    };
  } catch (error) {
    // Started by the HTTP function, the job already has a record: it must not stay "running".
    if (givenJobId !== undefined) await recordRefusal(config.aws, givenJobId, error);
    throw error;
  }
}

/** Check concurrency: every rank is one concurrent execution, all at once, or the job never completes. */
async function checkConcurrency(size: number, config: LambdaConfig): Promise<void> {
  const lambda = createLambdaClient(config.aws);
  try {
    const free = await freeConcurrency(lambda);
    if (free !== undefined) assertFitsConcurrency(size, free);
  } finally {
    lambda.destroy();
  }
}

function openJob({ request, program, givenJobId, body, inputKey }: AcceptedRequest, config: LambdaConfig, invocation: InvocationInfo): LambdaJob {
  const jobId = givenJobId ?? newJobId();
  const timeoutMs = request.timeoutSeconds * 1000;
  const startedAt = invocation.handlerAt;
  const clients = createAwsClients(config.aws);
  const lambdaMeter = new RequestMeter();
  return {
    jobId,
    givenJobId: givenJobId !== undefined,
    ...(inputKey !== undefined ? { inputKey } : {}),
    request,
    body,
    program,
    timeoutMs,
    startedAt,
    invocation,
    deadline: Date.now() + timeoutMs,
    config,
    clients,
    lambda: createLambdaClient(config.aws, lambdaMeter),
    lambdaMeter,
    startup: { steps: {}, timeline: [] },
  };
}

type StartClaim = { kind: 'claimed'; fingerprint?: string } | { kind: 'duplicate'; answer: Record<string, unknown> };

/**
 * Claim start: a job runs once however often its request arrives. A job with a given id (from
 * the HTTP function or the CLI) claims `runs/<jobId>.started`, so a second delivery does nothing,
 * even after the job ended. A request without one (`sls invoke -f run`) claims its fingerprint
 * while its job runs (request-claim.ts): the Serverless CLI's retries of a long invocation are
 * answered with the running job's id.
 */
async function claimStart(job: LambdaJob): Promise<StartClaim> {
  const { jobId, clients, config } = job;
  if (job.givenJobId) {
    if (await claimRank(clients.s3, config.aws.bucket, jobId, 0, jobStartClaimKey(jobId))) return { kind: 'claimed' };
    logForJob(jobId, 'a repeated start of this job was ignored');
    return { kind: 'duplicate', answer: { jobId, status: 'duplicate-start-ignored' } };
  }
  const fingerprint = requestFingerprint(job.body);
  const claim = await claimRequest(clients.s3, config.aws.bucket, fingerprint, {
    jobId, startedAt: new Date(job.startedAt).toISOString(), staleAfter: job.deadline + CLEANUP_MARGIN_MS,
  });
  if (claim.claimed) return { kind: 'claimed', fingerprint };
  const { holder } = claim;
  logForJob(holder.jobId, `an identical request arrived while this job runs (a client's retry); it was not started again`);
  return {
    kind: 'duplicate',
    answer: {
      jobId: holder.jobId,
      status: 'running',
      duplicateRequest: true,
      message: `an identical request started job ${holder.jobId} at ${holder.startedAt} and it is still running: this request ` +
        `(the Serverless CLI repeats an invocation that outlasts its socket timeout, AWS_CLIENT_TIMEOUT) did not start it again. ` +
        `Its result will be at GET /runs/${holder.jobId}; \`lambda-mpi cancel ${holder.jobId} --stage <stage>\` stops it.`,
    },
  };
}

/** Runs a job whose start this invocation claimed, to its recorded outcome. */
async function runClaimedJob(job: LambdaJob, fingerprint: string | undefined): Promise<Record<string, unknown>> {
  const { jobId, request, config, clients } = job;
  logForJob(jobId, `job started: ${request.program} on ${request.size} rank${request.size === 1 ? '' : 's'}`);
  let queues: JobQueues | undefined;
  let watch: LambdaJobWatch | undefined;
  let pulse: Pulse | undefined;
  let outcome: { ok: true; result: RunResult } | { ok: false; error: unknown };
  // Where no schedule runs the sweeper (the local stack), each job start runs it, beside the job.
  const sweeping = config.sweepAtJobStart ? sweepStage(config, [jobId]).catch((e: unknown) => logForJob(jobId, `sweep: ${(e as Error).message}`, 'stderr')) : undefined;
  try {
    // Independent steps side by side: the queues are the long one.
    const [watched, created, stored] = await Promise.allSettled([
      step(job, 'recordMs', 'record running', () => recordRunning(job)).then(() => {
        const started = new LambdaJobWatch(clients.s3, config.aws.bucket, jobId, request.size, config.watchFlushMs);
        started.start();
        return started;
      }),
      step(job, 'queuesMs', 'create queues', () => createQueues(job)),
      job.inputKey
        ? Promise.resolve<InputReference>({ inputKey: job.inputKey })
        : step(job, 'inputMs', 'store input', () => storeInput(clients.s3, config.aws.bucket, jobId, request.input)),
    ]);
    if (watched.status === 'fulfilled') watch = watched.value;
    if (created.status === 'fulfilled') queues = created.value;
    for (const settled of [watched, created, stored]) if (settled.status === 'rejected') throw settled.reason;
    pulse = startPulse(job, queues!);
    const input = (stored as PromiseFulfilledResult<InputReference>).value;
    if (watch!.cancelledBy !== undefined) throw new JobCancelledError(jobId, watch!.cancelledBy);
    outcome = { ok: true, result: await runRankZeroOnLambda(job, queues!, input, watch!) };
  } catch (error) {
    outcome = { ok: false, error };
  }
  watch?.stopCancelWatch();
  // Stopped before the clean-up, so nothing of it is written after the job's objects are deleted.
  await pulse?.stop();
  await sweeping;
  // A rank 0 that ran synchronous code past the deadline finds the job already ended by its pulse.
  const ending = pulse?.claimEnding() !== false;
  const cleanup = await cleanUp(job, queues);
  const status: JobEndStatus = outcome.ok ? 'succeeded' : outcome.error instanceof JobCancelledError ? 'cancelled' : 'failed';
  logForJob(jobId, `job ${status} after ${Date.now() - job.startedAt} ms`);
  try {
    if (outcome.ok) return await recordSucceeded(job, outcome.result, cleanup);
    if (ending) await recordFailed(job, outcome.error);
    throw outcome.error;
  } finally {
    await watch?.close(status);
    if (fingerprint) await releaseRequest(clients.s3, config.aws.bucket, fingerprint).catch((e) => logForJob(jobId, `could not release the request's claim: ${(e as Error).message}`, 'stderr'));
  }
}

/** Times one of rank 0's start-up steps, for the timings and the timeline. */
async function step<T>(job: LambdaJob, key: keyof StartupSteps, name: string, work: () => Promise<T>): Promise<T> {
  const start = Date.now();
  try {
    return await work();
  } finally {
    const end = Date.now();
    job.startup.steps[key] = end - start;
    job.startup.timeline.push({ name, category: 'startup', start, end });
  }
}

/**
 * Record running: runs/{jobId}.json says the job runs, for GET /runs/{jobId}, with rank 0's start
 * and the deadline: whoever watches judges rank 0's life from them and its pulse (job-liveness.ts).
 */
async function recordRunning(job: LambdaJob): Promise<void> {
  const { jobId, request, startedAt } = job;
  await writeJobRecord(job.clients.s3, job.config.aws.bucket, {
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
    endProcess: processStartsWithInit(),
    // Rank 0 ends a job at its deadline plus the transport's report grace (1.5 s on SQS).
    takeover: { deadline: job.deadline, timeoutMs: job.timeoutMs, graceMs: 2_000, size: job.request.size, queueUrlBase: queues.urlBase },
  }, pulseEntry());
}

/**
 * Create queues: one per rank, before any worker starts. On a stage over Valkey none is created:
 * the job's "on" key is set in the cache instead (its lists appear with their first push).
 */
async function createQueues(job: LambdaJob): Promise<JobQueues> {
  const { channel, aws } = job.config;
  if (channel.kind === 'sqs') return createJobResources(job.clients, aws, job.jobId, job.request.size);
  job.valkey = await ValkeyStageJob.open(channel.valkey, aws, job.jobId);
  return { urlBase: valkeyQueueUrlBase(aws.queuePrefix, job.jobId) };
}

/**
 * Run rank 0: it starts the workers (its children in the fan-out tree) at once, waits until the
 * new queues may be used, then runs its part and collects the reports.
 */
async function runRankZeroOnLambda(job: LambdaJob, queues: JobQueues, input: InputReference, watch: LambdaJobWatch): Promise<RunResult> {
  const { jobId, request, config, clients, invocation } = job;
  // The job's secret: in this function's memory and in its workers' invocation payloads only.
  const jobKey = JobKey.generate();
  const workerEvent = (rank: number): WorkerEvent => ({
    kind: 'lambda-mpi/worker',
    jobId,
    rank,
    size: request.size,
    program: request.program,
    timeoutMs: job.timeoutMs,
    deadline: job.deadline,
    queueUrlBase: queues.urlBase,
    jobKey: jobKey.toText(),
    ...(queues.readyAt !== undefined ? { queuesReadyAt: queues.readyAt } : {}),
    fanout: config.fanout,
    ...(request.trace ? { trace: true } : {}),
    ...input,
  });
  const launchStart = Date.now();
  const launched = launchWorkers(job.lambda, config.workerFunction, childrenOf(0, request.size, config.fanout).map(workerEvent))
    .finally(() => (job.startup.steps.launchMs = Date.now() - launchStart));
  launched.catch(() => undefined); // heard through the rank-zero job
  await waitUntil(queues.readyAt);
  let transport: Transport;
  let caughtUpAt: () => number | undefined;
  if (job.valkey) {
    const opened = await job.valkey.rankZeroTransport(request.size, jobKey);
    transport = opened.transport;
    // A list hands over what it holds as soon as it is popped: rank 0 is caught up at every moment it waits.
    caughtUpAt = () => Date.now();
    job.extraRequests = opened.requestCounts;
  } else {
    const sqsTransport = new AwsTransport({ clients, settings: config.aws, jobId, rank: 0, size: request.size, queues, jobKey });
    transport = sqsTransport;
    caughtUpAt = () => sqsTransport.caughtUpAt();
  }
  const rankZero = new RankZeroJob({
    jobId,
    rank: 0,
    size: request.size,
    program: underJobSession(job.program, config, jobId, 0),
    input: structuredClone(request.input),
    transport,
    deadline: job.deadline,
    timeoutMs: job.timeoutMs,
    processorName: lambdaProcessorName(),
    vectorReduction: config.vectorReduction,
    onOutput: printToLog(jobId),
    jobStartedAt: job.startedAt,
    startTiming: {
      handlerAt: invocation.handlerAt,
      coldStart: invocation.coldStart,
      ...(invocation.initMs !== undefined ? { initMs: invocation.initMs } : {}),
      ...(config.memoryMb !== undefined ? { memoryMb: config.memoryMb } : {}),
    },
    startup: job.startup,
    sink: watch.log,
    ...(request.trace ? { trace: true } : {}),
    launchWorkers: () => launched,
    // Silence is judged only as of a moment rank 0 had read all its queue held.
    liveness: { ...rankZeroLiveness(config, clients.s3, jobId, config.fanout, request.size), caughtUpAt },
    events: heartbeatPace(config, request.size),
  });
  try {
    const ending = rankZero.run();
    watch.attach(rankZero);
    return await ending;
  } finally {
    await transport.close().catch(() => undefined);
  }
}

/**
 * Record outcome (success): the JSON-safe RunResult with the clean-up's time and rank 0's own
 * requests added, which is also the function's answer. A timeline is stored beside the record
 * (it may be larger than a synchronous answer may be) and the answer says where.
 */
async function recordSucceeded(job: LambdaJob, result: RunResult, cleanup: { start: number; end: number }): Promise<Record<string, unknown>> {
  const { timings } = result;
  timings.durationMs = cleanup.end - job.startedAt;
  if (timings.phases) timings.phases.cleanupMs = cleanup.end - cleanup.start;
  result.requests = addRequestCounts(addRequestCounts(addRequestCounts(addRequestCounts({}, result.requests), job.clients.meter.snapshot()), job.lambdaMeter.snapshot()), job.extraRequests?.() ?? {});
  const { trace, ...rest } = result;
  let traceKey: string | undefined;
  if (trace) {
    addJobStep(trace, { name: 'clean-up', category: 'cleanup', ...cleanup });
    traceKey = await writeJobTrace(job.clients.s3, job.config.aws.bucket, job.jobId, trace);
  }
  const platform = { architecture: job.config.architecture, ...(job.config.region ? { region: job.config.region } : {}) };
  const safe = { ...(toJsonSafe(rest) as Record<string, unknown>), status: 'succeeded', platform, ...(traceKey ? { traceKey } : {}) };
  await writeJobRecord(job.clients.s3, job.config.aws.bucket, { ...safe, jobId: job.jobId, status: 'succeeded' });
  return fitAnswer(job.jobId, safe);
}

/** Lambda refuses a synchronous answer above 6 MB; this leaves room for the envelope. */
const MAX_ANSWER_BYTES = 5_500_000;

/**
 * The function's answer: the result as recorded, unless its output makes it too large for a
 * synchronous answer; then without the output, which the record and the event log keep.
 */
function fitAnswer(jobId: string, safe: Record<string, unknown>): Record<string, unknown> {
  const bytes = Buffer.byteLength(JSON.stringify(safe));
  if (bytes <= MAX_ANSWER_BYTES) return safe;
  const lines = Array.isArray(safe.output) ? safe.output.length : 0;
  return {
    ...safe,
    output: [],
    outputOmitted: {
      lines,
      reason: `with its ${lines} output lines the answer would be ${(bytes / 1e6).toFixed(1)} MB, over the 6 MB Lambda allows: ` +
        `the output is in the job's record (GET /runs/${jobId}, ${jobRecordKey(jobId)}) and its event log (${eventLogPrefix(jobId)})`,
    },
  };
}

/** Record outcome (failure or cancel): the job's error and what the ranks printed; the caller rethrows it. */
async function recordFailed(job: LambdaJob, error: unknown): Promise<void> {
  const common = {
    jobId: job.jobId,
    error: failureInfo(error),
    ...(error instanceof LambdaMpiError && error.output ? { output: error.output } : {}),
  };
  await writeJobRecord(job.clients.s3, job.config.aws.bucket, error instanceof JobCancelledError
    ? { ...common, status: 'cancelled', cancelledBy: error.by }
    : { ...common, status: 'failed' }).catch((e) => logForJob(job.jobId, `could not record the job's outcome: ${(e as Error).message}`, 'stderr'));
}

/** Clean up: the job's queues and objects, whatever happened. */
async function cleanUp(job: LambdaJob, queues: JobQueues | undefined): Promise<{ start: number; end: number }> {
  const { jobId, clients } = job;
  const start = Date.now();
  if (job.valkey) {
    // The keys first, the "on" key with them: a worker starting late then finds its job over.
    await job.valkey.end().catch((e) => logForJob(jobId, `cleanup of the job's Valkey keys failed: ${(e as Error).message}`, 'stderr'));
    await deleteJobObjects(clients, job.config.aws.bucket, jobId).catch((e) => logForJob(jobId, `cleanup failed: ${(e as Error).message}`, 'stderr'));
  } else if (queues) {
    await deleteJobResources(clients, job.config.aws, jobId, queues, job.request.size)
      .catch((e) => logForJob(jobId, `cleanup failed: ${(e as Error).message}`, 'stderr'));
  }
  return { start, end: Date.now() };
}

/** A refused request of a job the HTTP function started: its record says why. */
async function recordRefusal(settings: AwsSettings, jobId: string, error: unknown): Promise<void> {
  const clients = createAwsClients(settings);
  try {
    await writeJobRecord(clients.s3, settings.bucket, { jobId, status: 'failed', error: failureInfo(error) });
  } catch (writeError) {
    logForJob(jobId, `could not record the failure: ${(writeError as Error).message}`, 'stderr');
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
