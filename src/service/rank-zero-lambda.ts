import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { AwsSettings } from '../config.ts';
import { InvalidArgumentError, JobCancelledError, LambdaMpiError } from '../mpi/errors.ts';
import type { OutputLine } from '../runtime/output.ts';
import type { Program } from '../mpi/program.ts';
import { isJobId, newJobId } from '../runtime/job-id.ts';
import { RankZeroJob } from '../runtime/rank-zero.ts';
import type { RunResult, StartupSteps } from '../runtime/run-result.ts';
import { addJobStep, type JobStep } from '../runtime/trace/chrome-trace.ts';
import { addCleanup } from '../runtime/job-cleanup.ts';
import { AwsTransport } from '../transport/aws/aws-transport.ts';
import { JobKey } from '../transport/aws/job-key.ts';
import { createAwsClients, type AwsClients } from '../transport/aws/clients.ts';
import { createJobResources, deleteJobObjects, deleteJobQueues, deleteJobResources, waitUntil, type JobQueues } from '../transport/aws/job-resources.ts';
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
import { carryOn, handoverRefusal, invokeNextGeneration, readCarried, withCarried, writeCarried, type CarriedGenerations, type GenerationHandover } from './generation-handover.ts';
import { FunctionTimeUpError, functionTimeUpAt, generationLimitMs } from './generation-limit.ts';
import { billedDurationMs } from '../cost/job-cost.ts';
import type { JobRecord } from '../job-store/job-record.ts';
import { ValkeyStageJob, valkeyQueueUrlBase } from './valkey-stage-job.ts';
import { carryAbandoned, stageRetryOf } from './stage-retry.ts';
import { startingPoint } from '../runtime/generations/rank-generations.ts';
import { latestCheckpoint } from '../transport/aws/checkpoint-objects.ts';
import type { Transport } from '../transport/transport.ts';

/**
 * Rank 0 on Lambda (the `run` function), step by step as docs/architecture.md's "Message flow
 * of a job on Lambda" tells it. Whatever happens after the request is accepted, the job's
 * queues and objects are deleted, then its outcome is recorded under runs/{jobId}.json and the
 * last chunk of its event log says how it ended.
 */
export async function runRankZeroLambda(event: unknown, remainingMs: number, invocation: InvocationInfo = beginInvocation(false)): Promise<Record<string, unknown>> {
  const functionEndsAt = Date.now() + remainingMs;
  const config = lambdaConfigFromEnv();
  const job = openJob(await parseRequest(event, remainingMs, config), config, invocation, functionEndsAt);
  try {
    let start: StartClaim;
    try {
      start = await claimStart(job);
    } catch (error) {
      await recordFailed(job, error);
      throw error;
    }
    if (start.kind === 'duplicate') return start.answer;
    // A later generation of a job `sls invoke` started releases that request's claim at the job's end.
    return await runClaimedJob(job, start.fingerprint ?? job.handover?.requestFingerprint);
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
  /** A later generation of a job longer than one Lambda: what the last one's rank 0 handed over. */
  handover?: GenerationHandover;
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
  /** When this run function's own time ends (epoch ms): a longer job goes on in a next generation. */
  functionEndsAt: number;
  handover?: GenerationHandover;
  /** What the ended generations handed on (read when this is a later one). */
  carried?: CarriedGenerations;
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
  // A job may outlast its run function (it goes on in generations): the stage's guard bounds the
  // whole job; a request without a timeout gets what one function leaves.
  const maxTimeoutSeconds = config.maxJobSeconds;
  const defaultTimeoutSeconds = Math.floor((remainingMs - CLEANUP_MARGIN_MS) / 1000);
  const { jobId: givenJobId, mode: _mode, inputKey, generation: handover, ...body } = (typeof event === 'object' && event !== null ? event : { body: event }) as Record<string, unknown>;
  if (givenJobId !== undefined && !isJobId(givenJobId)) {
    throw new InvalidArgumentError('jobId', givenJobId, 'a job id made by lambda-mpi (26 letters a-z and digits 2-7)');
  }
  const handoverRefused = handover === undefined ? undefined : handoverRefusal(handover, givenJobId);
  if (handoverRefused) throw new InvalidArgumentError('generation', '(a handover)', 'the handover rank 0 writes when a generation ends', `is refused: ${handoverRefused}`);
  try {
    // Only the job's own input object may be named: never another object of the bucket.
    if (inputKey !== undefined && (givenJobId === undefined || inputKey !== storedInputKey(givenJobId as string) || body.input !== undefined)) {
      throw new InvalidArgumentError('inputKey', inputKey, 'the key the HTTP function gave the job\'s input (with its jobId, and no input)');
    }
    const input = inputKey === undefined ? {} : { input: await loadStoredInput(config.aws, inputKey as string) };
    const request = parseJobRequest({ ...body, ...input }, { maxTimeoutSeconds, defaultTimeoutSeconds, maxRanks: config.maxRanks, diagnostics: config.diagnostics });
    await checkConcurrency(request.size, config);
    return {
      request,
      body,
      program: await loadJobProgram(request.program, config),
      ...(givenJobId !== undefined ? { givenJobId } : {}),
      ...(inputKey !== undefined ? { inputKey: inputKey as string } : {}),
      ...(handover !== undefined ? { handover: handover as GenerationHandover } : {}),
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

function openJob({ request, program, givenJobId, body, inputKey, handover }: AcceptedRequest, config: LambdaConfig, invocation: InvocationInfo, functionEndsAt: number): LambdaJob {
  const jobId = givenJobId ?? newJobId();
  // A later generation keeps the job's clock: its start and deadline are the first generation's.
  const timeoutMs = handover ? handover.deadline - handover.startedAt : request.timeoutSeconds * 1000;
  const startedAt = handover?.startedAt ?? invocation.handlerAt;
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
    deadline: handover?.deadline ?? Date.now() + timeoutMs,
    config,
    clients,
    lambda: createLambdaClient(config.aws, lambdaMeter),
    lambdaMeter,
    startup: { steps: {}, timeline: [] },
    functionEndsAt,
    ...(handover ? { handover } : {}),
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
    if (await claimRank(clients.s3, config.aws.bucket, jobId, 0, jobStartClaimKey(jobId, job.handover?.number))) return { kind: 'claimed' };
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

/** Runs a job whose start this invocation claimed, to its recorded outcome (or to its next generation). */
async function runClaimedJob(job: LambdaJob, fingerprint: string | undefined): Promise<Record<string, unknown>> {
  const { jobId, request, config, clients, handover } = job;
  logForJob(jobId, handover
    ? `job continues: generation ${handover.number} of ${request.program} on ${request.size} rank${request.size === 1 ? '' : 's'}, ${startingPoint(handover.restoreFrom)}`
    : `job started: ${request.program} on ${request.size} rank${request.size === 1 ? '' : 's'}`);
  let queues: JobQueues | undefined;
  let watch: LambdaJobWatch | undefined;
  let pulse: Pulse | undefined;
  let input: InputReference | undefined;
  let outcome: { ok: true; ran: RankZeroRun } | { ok: false; error: unknown };
  // Where no schedule runs the sweeper (the local stack), each job start runs it, beside the job.
  const sweeping = config.sweepAtJobStart ? sweepStage(config, [jobId]).catch((e: unknown) => logForJob(jobId, `sweep: ${(e as Error).message}`, 'stderr')) : undefined;
  try {
    // Independent steps side by side: the queues are the long one. A later generation finds the
    // job's queues, stored input and event log where the last one left them (generation-handover.ts).
    const [watched, created, stored, carried] = await Promise.allSettled([
      step(job, 'recordMs', 'record running', () => recordRunning(job)).then(() => {
        const started = new LambdaJobWatch(clients.s3, config.aws.bucket, jobId, request.size, config.watchFlushMs, handover?.eventSeq, { startedAt: job.startedAt, generation: handover?.number ?? 0 });
        started.start();
        return started;
      }),
      step(job, 'queuesMs', config.channel.kind === 'sqs' ? 'create queues' : 'open the Valkey channel', () => createQueues(job)),
      job.inputKey
        ? Promise.resolve<InputReference>({ inputKey: job.inputKey })
        : handover ? Promise.resolve<InputReference>({ input: request.input })
          : step(job, 'inputMs', 'store input', () => storeInput(clients.s3, config.aws.bucket, jobId, request.input)),
      handover ? readCarried(clients.s3, config.aws.bucket, jobId) : Promise.resolve(undefined),
    ]);
    if (watched.status === 'fulfilled') watch = watched.value;
    if (created.status === 'fulfilled') queues = created.value;
    if (carried.status === 'fulfilled' && carried.value) job.carried = carried.value;
    for (const settled of [watched, created, stored, carried]) if (settled.status === 'rejected') throw settled.reason;
    pulse = startPulse(job, queues!);
    input = (stored as PromiseFulfilledResult<InputReference>).value;
    if (watch!.cancelledBy !== undefined) throw new JobCancelledError(jobId, watch!.cancelledBy);
    outcome = { ok: true, ran: await runRankZeroOnLambda(job, queues!, input, watch!) };
  } catch (error) {
    outcome = { ok: false, error };
  }
  if (outcome.ok && outcome.ran.next) {
    try {
      return await handOver(job, { queues: queues!, input: input!, watch: watch!, pulse: pulse!, sweeping, fingerprint }, outcome.ran.next, carryEnded(job, outcome.ran.result));
    } catch (error) {
      logForJob(jobId, `could not hand the job over to generation ${outcome.ran.next.number}: ${(error as Error).message}`, 'stderr');
      outcome = { ok: false, error };
    }
  }
  if (!outcome.ok && queues && input && watch && pulse) {
    // A worker lost (not a program's throw) with retries left: the job goes on from its last checkpoint.
    const retried = await retryLostRank(job, outcome.error, { queues, input, watch, pulse, sweeping, fingerprint })
      .catch((error: unknown) => logForJob(jobId, `could not retry the job: ${(error as Error).message}`, 'stderr'));
    if (retried) return retried;
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
    if (outcome.ok) return await recordSucceeded(job, withCarried(outcome.ran.result, job.carried), cleanup);
    // The ended generations' output comes first: the job's output is one stream.
    if (job.carried && outcome.error instanceof LambdaMpiError) outcome.error.output = [...job.carried.output, ...(outcome.error.output ?? [])];
    const retriesDone = job.carried?.retries?.length ?? 0;
    if (retriesDone > 0 && outcome.error instanceof Error) outcome.error.message += ` (after ${retriesDone} ${retriesDone === 1 ? 'retry' : 'retries'})`;
    if (ending) await recordFailed(job, outcome.error);
    throw outcome.error;
  } finally {
    await watch?.close(status);
    if (fingerprint) await releaseRequest(clients.s3, config.aws.bucket, fingerprint).catch((e) => logForJob(jobId, `could not release the request's claim: ${(e as Error).message}`, 'stderr'));
  }
}

/** What rank 0 hands from one generation to the next: the job's channel, input, watch and pulse. */
interface HandoverParts {
  queues: JobQueues;
  input: InputReference;
  watch: LambdaJobWatch;
  pulse: Pulse;
  sweeping: Promise<unknown> | undefined;
  fingerprint: string | undefined;
}

/** Rank 0's own requests so far: its clients', its invocations', and its channel's (Valkey's S3). */
function rankZeroRequests(job: LambdaJob): RequestCounts {
  return addRequestCounts(addRequestCounts(addRequestCounts({}, job.clients.meter.snapshot()), job.lambdaMeter.snapshot()), job.extraRequests?.() ?? {});
}

/** This generation's part of the job, once its checkpoint ended it and every rank reported: carried on to the next. */
function carryEnded(job: LambdaJob, result: RunResult): CarriedGenerations {
  result.requests = addRequestCounts(addRequestCounts({}, result.requests), rankZeroRequests(job));
  result.timings.durationMs = Date.now() - job.startedAt;
  if (result.trace) addJobStep(result.trace, { name: `generation ${job.handover?.number ?? 0} ended`, category: 'cleanup', start: Date.now(), end: Date.now() });
  const billedMs = result.timings.ranks.map((rank) => billedDurationMs(rank, result.timings.durationMs));
  return carryOn(job.carried, result, billedMs);
}

/**
 * Retry: a worker of this generation was lost and the job has retries left (stage-retry.ts). The
 * generation's other workers were told to abort as the job failed; it is abandoned, and the job
 * handed over to a generation that restores the last complete checkpoint (or starts afresh),
 * with the retry's line in the output, its entry in the record and its time in the cost.
 */
async function retryLostRank(job: LambdaJob, error: unknown, parts: HandoverParts): Promise<Record<string, unknown> | undefined> {
  const { jobId, clients, config, request } = job;
  const generation = job.handover?.number ?? 0;
  const retry = await stageRetryOf(error, {
    retries: request.retries ?? 0, done: job.carried?.retries?.length ?? 0, generation, deadline: job.deadline,
    latest: () => latestCheckpoint(clients.s3, config.aws.bucket, jobId),
  });
  if (!retry) return undefined;
  logForJob(jobId, retry.line.line.replace(/^lambda-mpi: /, ''), 'stderr');
  parts.watch.say(retry.line);
  const requests = rankZeroRequests(job);
  const output: OutputLine[] = [...((error as LambdaMpiError).output ?? []), retry.line];
  const carried = carryAbandoned(job.carried, { size: request.size, output, requests, elapsedMs: Date.now() - job.invocation.handlerAt, retry: retry.retry });
  return handOver(job, parts, retry.next, carried);
}

/**
 * Hand over: this generation ended (its checkpoint is complete and every rank reported), or was
 * abandoned for a retry. Its part of the job is carried on (output, requests, ranks' time,
 * timeline, retries), the event log written up to here, the record says the job switches, and
 * the run function is invoked for the next generation; the job's objects and record stay, the
 * generation's queues (or lists) go. This invocation then ends: its answer says so.
 */
async function handOver(job: LambdaJob, parts: HandoverParts, next: { number: number; restoreFrom?: number }, carried: CarriedGenerations): Promise<Record<string, unknown>> {
  const { jobId, clients, config } = job;
  const runFunction = config.runFunction;
  if (!runFunction) throw new Error('LAMBDA_MPI_RUN_FUNCTION is not set: rank 0 cannot start the job\'s next generation');
  const generation = job.handover?.number ?? 0;
  const retries = carried.retries?.length ?? 0;
  const [eventSeq] = await Promise.all([
    parts.watch.handOver(),
    writeCarried(clients.s3, config.aws.bucket, jobId, carried),
    parts.pulse.stop(),
    parts.sweeping,
  ]);
  const handover: GenerationHandover = {
    number: next.number, ...(next.restoreFrom !== undefined ? { restoreFrom: next.restoreFrom } : {}), startedAt: job.startedAt, deadline: job.deadline,
    eventSeq,
    ...(parts.fingerprint ? { requestFingerprint: parts.fingerprint } : {}),
    ...(retries ? { retries } : {}),
  };
  // Written before this generation's queues go: a worker of it that then finds its queue gone
  // reads here that the job goes on, and leaves the job's objects alone (worker-lambda.ts).
  await writeJobRecord(clients.s3, config.aws.bucket, {
    ...runningRecord(job), generation, nextGenerationAt: new Date().toISOString(), ...(retries ? { retries } : {}),
  });
  const { input: _input, ...body } = job.body;
  await invokeNextGeneration(job.lambda, runFunction, {
    ...body, ...('inputKey' in parts.input ? { inputKey: parts.input.inputKey } : { input: job.request.input }),
    jobId, mode: 'async', generation: handover,
  });
  // The generation's ranks reported or were told to abort: its queues (lists) go (a late duplicate
  // start of one of its workers then finds them gone and does nothing).
  const ending = job.valkey ? job.valkey.endGeneration(generation, job.request.size) : deleteJobQueues(clients, parts.queues, job.request.size);
  await ending.catch((e) => logForJob(jobId, `could not delete generation ${generation}'s ${job.valkey ? 'lists' : 'queues'}: ${(e as Error).message}`, 'stderr'));
  logForJob(jobId, `generation ${generation} ${retries && carried.retries!.at(-1)!.generation === next.number ? 'abandoned' : 'ended'}, ${startingPoint(next.restoreFrom)} after ${Date.now() - job.invocation.handlerAt} ms; generation ${next.number} invoked`);
  return {
    jobId, status: 'running', generation: next.number,
    message: `job ${jobId} goes on in generation ${next.number} (${startingPoint(next.restoreFrom)}); its result will be at GET /runs/${jobId}`,
  };
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
  const { handover } = job;
  await writeJobRecord(job.clients.s3, job.config.aws.bucket, {
    ...runningRecord(job), ...(handover ? { generation: handover.number } : {}), ...(handover?.retries ? { retries: handover.retries } : {}),
  });
}

function runningRecord(job: LambdaJob): Extract<JobRecord, { status: 'running' }> {
  const { jobId, request, startedAt } = job;
  return {
    jobId, status: 'running', program: request.program, size: request.size, startedAt: new Date(startedAt).toISOString(),
    rankZeroStartedAt: new Date().toISOString(), deadline: new Date(job.deadline).toISOString(),
  };
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
 * Create queues: one per rank, before any worker starts (named per generation: an old
 * generation's receive never takes a new one's messages). On a stage over Valkey none is created:
 * the job's "on" key is set in the cache instead (its lists appear with their first push).
 */
async function createQueues(job: LambdaJob): Promise<JobQueues> {
  const { channel, aws } = job.config;
  if (channel.kind === 'sqs') return createJobResources(job.clients, aws, job.jobId, job.request.size, { generation: job.handover?.number ?? 0 });
  job.valkey = await ValkeyStageJob.open(channel.valkey, aws, job.jobId);
  return { urlBase: valkeyQueueUrlBase(aws.queuePrefix, job.jobId, job.handover?.number ?? 0) };
}

/**
 * Run rank 0: it starts the workers (its children in the fan-out tree) at once, waits until the
 * new queues may be used, then runs its part and collects the reports.
 */
async function runRankZeroOnLambda(job: LambdaJob, queues: JobQueues, input: InputReference, watch: LambdaJobWatch): Promise<RankZeroRun> {
  const { jobId, request, config, clients, invocation, handover } = job;
  // The job's secret: in this function's memory and in its workers' invocation payloads only (a
  // key per generation: generation-handover.ts).
  const jobKey = JobKey.generate();
  const generation = handover?.number ?? 0;
  const limitMs = generationLimitMs(Date.now(), job.functionEndsAt, job.deadline, request.generationSeconds);
  const generations = limitMs === undefined && !handover ? undefined : {
    generation,
    ...(limitMs !== undefined ? { limitMs } : {}),
    ...(handover?.restoreFrom !== undefined ? { restoreFrom: handover.restoreFrom } : {}),
  };
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
    ...(generations ? { generation: { number: generation, ...(generations.limitMs !== undefined ? { limitMs: generations.limitMs } : {}), ...(generations.restoreFrom !== undefined ? { restoreFrom: generations.restoreFrom } : {}) } } : {}),
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
    const opened = await job.valkey.rankZeroTransport(request.size, jobKey, generation);
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
    liveness: { ...rankZeroLiveness(config, clients.s3, jobId, config.fanout, request.size, generation), caughtUpAt },
    events: heartbeatPace(config, request.size),
    ...(generations ? { generations: { ...generations, endsWithProcess: true } } : {}),
  });
  // A job longer than this function whose program never ends its generation is stopped while
  // there is time to clean up, saying why (not as a rank lost when the function is killed).
  const timeUpAt = functionTimeUpAt(job.functionEndsAt);
  const timeUp = job.deadline > timeUpAt ? setTimeout(() => {
    if (rankZero.generation.number !== generation) return; // its generation ended: the hand-over is under way
    rankZero.fail(new FunctionTimeUpError(jobId, generation, Math.round((job.functionEndsAt - invocation.handlerAt) / 1000), Math.round((job.deadline - Date.now()) / 1000)), 0);
  }, Math.max(0, timeUpAt - Date.now())) : undefined;
  try {
    const ending = rankZero.run();
    watch.attach(rankZero);
    const result = await ending;
    const reached = rankZero.generation;
    return {
      result,
      ...(reached.number !== generation ? { next: { number: reached.number, restoreFrom: reached.restoreFrom! } } : {}),
    };
  } finally {
    clearTimeout(timeUp);
    await transport.close().catch(() => undefined);
  }
}

/** What rank 0's part of one generation came to: the job's result, or (with `next`) the generation's, the job going on. */
interface RankZeroRun {
  result: RunResult;
  /** The generation a due checkpointIfDue started, and the checkpoint it restores. */
  next?: { number: number; restoreFrom: number };
}

/**
 * Record outcome (success): the JSON-safe RunResult with the clean-up's time and rank 0's own
 * requests added, which is also the function's answer. A timeline is stored beside the record
 * (it may be larger than a synchronous answer may be) and the answer says where.
 */
async function recordSucceeded(job: LambdaJob, result: RunResult, cleanup: { start: number; end: number }): Promise<Record<string, unknown>> {
  addCleanup(result, cleanup.start, cleanup.end);
  result.requests = addRequestCounts(addRequestCounts({}, result.requests), rankZeroRequests(job));
  const { trace, ...rest } = result;
  let traceKey: string | undefined;
  if (trace) traceKey = await writeJobTrace(job.clients.s3, job.config.aws.bucket, job.jobId, trace);
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
