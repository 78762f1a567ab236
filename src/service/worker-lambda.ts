import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { defineProgram } from '../mpi/program.ts';
import { runWorkerRank } from '../runtime/worker-rank.ts';
import { AwsTransport } from '../transport/aws/aws-transport.ts';
import { createAwsClients, type AwsClients } from '../transport/aws/clients.ts';
import { JobKey } from '../transport/aws/job-key.ts';
import { deleteJobObjects, queueUrl, waitUntil } from '../transport/aws/job-resources.ts';
import { childrenOf } from './fanout.ts';
import { loadInput } from '../job-store/job-input.ts';
import { loadJobProgram } from './job-program.ts';
import { underJobSession } from './program-credentials.ts';
import { createLambdaClient, launchWorkers } from './launcher.ts';
import { beginInvocation, type InvocationInfo } from './invocation.ts';
import { lambdaConfigFromEnv, lambdaProcessorName, logForJob, printToLog, processStartsWithInit, type LambdaConfig } from './lambda-config.ts';
import { RequestMeter } from '../transport/aws/request-meter.ts';
import { Pulse } from './pulse.ts';
import { busyMarkerUrl } from './job-liveness.ts';
import { claimRank } from '../job-store/rank-claim.ts';
import { heartbeatPace, pulseEntry, quietAfterMs } from './rank-liveness.ts';
import { isWorkerEvent, refusalOf, type WorkerEvent, type WorkerGeneration } from './worker-event.ts';
import type { GenerationOptions } from '../runtime/generations/rank-generations.ts';
import { rankClaimKey } from '../job-store/keys.ts';
import { readJobRecord, type JobRecord } from '../job-store/job-record.ts';
import { addRequestCounts } from '../transport/request-counts.ts';
import type { Transport } from '../transport/transport.ts';
import { openWorkerValkeyTransport, valkeyJobIsOn } from './valkey-stage-job.ts';

/** Time a worker keeps back from its function's timeout to report before Lambda stops it. */
const REPORT_MARGIN_MS = 3_000;

/**
 * A worker rank on Lambda (the `worker` function): refuse an event that is not a worker rank of a
 * job of this stage → claim the rank → check the job is still on → run it (it starts its children
 * in the fan-out tree first, and reports to rank 0 once). It never throws: whatever goes wrong is
 * reported to rank 0 through the job's queues when possible, and logged otherwise (rank 0 then
 * names the rank as lost). Nothing it wrote outlives its job: a claim made as the job ended is
 * taken back, and a rank that finds its job gone when it ends deletes what the job left.
 */
export async function runWorkerLambda(event: unknown, remainingMs: number, invocation: InvocationInfo = beginInvocation(false)): Promise<{ rank?: number; outcome: string }> {
  if (!isWorkerEvent(event)) {
    // Not a job's event: there is no job id to name, so the event's own fields are.
    console.error(`lambda-mpi worker: ignored an event that is not a worker event (fields: ${Object.keys(Object(event)).join(', ') || 'none'})`);
    return { outcome: 'ignored: not a worker event' };
  }
  const { jobId, rank } = event;
  let clients: AwsClients | undefined;
  let lambda: LambdaClient | undefined;
  try {
    const config = lambdaConfigFromEnv();
    const refusal = refusalOf(event, { queuePrefix: config.aws.queuePrefix, maxRanks: config.maxRanks });
    if (refusal) {
      console.error(`lambda-mpi worker: refused an event for rank ${String(rank)} of job ${String(jobId)}: ${refusal}`);
      return { outcome: `refused: ${refusal}` };
    }
    clients = createAwsClients(config.aws);
    const lambdaMeter = new RequestMeter();
    lambda = createLambdaClient(config.aws, lambdaMeter);
    // Children first: the tree's start never waits for this rank's own checks or its program (a
    // duplicate start of this rank starts its subtree again; each of those finds itself claimed).
    const children = childrenOf(rank, event.size, event.fanout).map((child): WorkerEvent => ({ ...event, rank: child }));
    const launched = launchWorkers(lambda, config.workerFunction, children);
    launched.catch(() => undefined); // heard through runWorkerRank
    // Claim first, then look: a claim written after rank 0 deleted the job's objects is then
    // always seen as late (rank 0 deletes the queues before the objects) and taken back.
    if (!(await claimRank(clients.s3, config.aws.bucket, jobId, rank, rankClaimKey(jobId, rank, event.generation?.number)))) {
      logForJob(jobId, `rank ${rank} was already started; this duplicate start does nothing`);
      return { rank, outcome: 'ignored: duplicate start' };
    }
    // AWS asks for a second after CreateQueue before a queue is used.
    await waitUntil(event.queuesReadyAt);
    if (await jobIsOver(clients, event, config)) {
      await clients.s3.send(new DeleteObjectCommand({ Bucket: config.aws.bucket, Key: rankClaimKey(jobId, rank, event.generation?.number) }));
      logForJob(jobId, `rank ${rank}: the job is over (its queues are gone); this late start does nothing`);
      return { rank, outcome: 'ignored: the job is over (its queues are gone)' };
    }
    // Its generation ended (the job goes on in the next): its queues go, but the job's objects stay.
    let generationEnded = false;
    try {
      const ended = await runWorkerOnLambda(event, { config, clients, lambdaMeter, invocation }, Date.now() + remainingMs - REPORT_MARGIN_MS, launched, () => (generationEnded = true));
      logForJob(jobId, `rank ${rank} ended after ${Date.now() - invocation.handlerAt} ms: ${generationEnded ? `generation ${event.generation!.number} ended` : ended}`);
    } finally {
      // The job ended while this rank ran (rank 0 failed fast, or died): what it wrote goes too.
      // Not when only its generation was abandoned (a retry): the job's objects and checkpoints are the next one's.
      if (!generationEnded && await jobIsOver(clients, event, config).catch(() => false) && !(await jobGoesOn(clients, config, jobId, event.generation?.number ?? 0).catch(() => true))) {
        await deleteJobObjects(clients, config.aws.bucket, jobId).catch(() => undefined);
      }
    }
    return { rank, outcome: 'ran' };
  } catch (error) {
    logForJob(jobId, `rank ${rank} could not run: ${(error as Error).stack ?? error}`, 'stderr');
    return { rank, outcome: `failed to start: ${(error as Error).message}` };
  } finally {
    clients?.destroy();
    lambda?.destroy();
  }
}

/** A late duplicate start finds the job over: rank 0 deletes the queues (over Valkey: the job's "on" key) when the job ends. */
async function jobIsOver(clients: AwsClients, event: WorkerEvent, config: LambdaConfig): Promise<boolean> {
  if (config.channel.kind === 'valkey') return !(await valkeyJobIsOn(config.channel.valkey, event.jobId));
  try {
    await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl({ urlBase: event.queueUrlBase }, event.rank), AttributeNames: ['QueueArn'] }));
    return false;
  } catch (error) {
    if ((error as { name?: string }).name === 'QueueDoesNotExist') return true;
    throw error;
  }
}

/**
 * Whether the job goes on in a later generation than `generation`: its record says a next
 * generation was invoked or runs. Rank 0 writes that before it deletes the generation's queues,
 * so a rank that finds its queue gone and reads this knows whether the job or only its generation ended.
 */
async function jobGoesOn(clients: AwsClients, config: LambdaConfig, jobId: string, generation: number): Promise<boolean> {
  return goesOnAfter(await readJobRecord(clients.s3, config.aws.bucket, jobId), generation);
}

/** Whether a job's record says the job goes on after `generation` (a later one runs or was invoked), rather than ended. */
export function goesOnAfter(record: JobRecord | undefined, generation: number): boolean {
  return record?.status === 'running' && ((record.generation ?? 0) > generation || record.nextGenerationAt !== undefined);
}

/**
 * Runs the rank; fetching the program (a shipped one from the bucket, unless this environment
 * has it) and the input is part of its run, so a failure is reported like any other.
 */
async function runWorkerOnLambda(
  event: WorkerEvent,
  { config, clients, lambdaMeter, invocation }: { config: LambdaConfig; clients: AwsClients; lambdaMeter: RequestMeter; invocation: InvocationInfo },
  hardStopAt: number,
  launched: Promise<void>,
  onGenerationEnded: () => void,
): Promise<string> {
  const { jobId, rank, size } = event;
  const program = defineProgram(async (comm) => {
    const [userProgram, input] = await Promise.all([loadJobProgram(event.program, config), loadInput(clients.s3, config.aws.bucket, event)]);
    return underJobSession(userProgram, config, jobId, rank).main(comm, input);
  });
  // refusalOf checked the key already.
  const jobKey = JobKey.fromText(event.jobKey)!;
  let transport: Transport;
  let transportRequests: () => ReturnType<typeof clients.meter.snapshot> = () => ({});
  if (config.channel.kind === 'valkey') {
    const opened = await openWorkerValkeyTransport(config.channel.valkey, config.aws, jobId, rank, size, event.jobKey, event.generation?.number ?? 0);
    transport = opened.transport;
    transportRequests = opened.requestCounts;
  } else {
    transport = new AwsTransport({ clients, settings: config.aws, jobId, rank, size, queues: { urlBase: event.queueUrlBase }, jobKey });
  }
  // While this rank's program runs synchronous code, or its events do not get through, its pulse
  // tells rank 0 it lives; once the job is over, it ends a rank stuck in its code.
  const pace = heartbeatPace(config, size);
  const pulse = Pulse.start({
    jobId, rank, aws: config.aws, endProcess: processStartsWithInit(), quietAfterMs: quietAfterMs(pace.heartbeatMs),
    busyUrl: busyMarkerUrl(clients.s3, config.aws.bucket, jobId, rank),
    // Over Valkey the pulse has no queue to look at: it takes the job as on (what it vouches for ends with the job's reports).
    ...(config.channel.kind === 'sqs' ? { queueUrl: queueUrl({ urlBase: event.queueUrlBase }, rank) } : {}),
  }, pulseEntry());
  try {
    return await runRank();
  } finally {
    await pulse.stop();
  }

  function runRank(): Promise<string> {
    return runWorkerRank({
    jobId,
    rank,
    size,
    program,
    input: undefined,
    transport,
    deadline: event.deadline,
    timeoutMs: event.timeoutMs,
    processorName: lambdaProcessorName(),
    vectorReduction: config.vectorReduction,
    onOutput: printToLog(jobId),
    startTiming: {
      handlerAt: invocation.handlerAt,
      coldStart: invocation.coldStart,
      ...(invocation.initMs !== undefined ? { initMs: invocation.initMs } : {}),
      ...(event.invokedAt !== undefined ? { invokedAt: event.invokedAt } : {}),
      ...(config.memoryMb !== undefined ? { memoryMb: config.memoryMb } : {}),
    },
    ...(event.trace ? { trace: true } : {}),
    requestCounts: () => addRequestCounts(addRequestCounts(clients.meter.snapshot(), lambdaMeter.snapshot()), transportRequests()),
    launchChildren: () => launched,
    hardStopAt,
    ...(event.generation ? { generations: { ...workerGenerations(event.generation), onEnded: onGenerationEnded } } : {}),
    events: { ...pace, onSent: (at) => pulse.sent(at) },
  });
  }
}

/** A worker's generation as its session runs it: one per process, its checkpoints in S3 through the transport. */
function workerGenerations(generation: WorkerGeneration): GenerationOptions {
  return {
    ...(generation.limitMs !== undefined ? { limitMs: generation.limitMs } : {}),
    generation: generation.number,
    endsWithProcess: true,
    ...(generation.restoreFrom !== undefined ? { restoreFrom: generation.restoreFrom } : {}),
  };
}
