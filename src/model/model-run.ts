import { defineProgram } from '../mpi/program.ts';
import { assertJobSize } from '../mpi/validation.ts';
import type { OutputLine } from '../runtime/output.ts';
import { resolveProgram, type ProgramSource } from '../runtime/program-source.ts';
import { runLocal } from '../runtime/run-local.ts';
import { addJobStep, type ChromeTrace } from '../runtime/trace/chrome-trace.ts';
import { assertFitsConcurrency } from '../service/concurrency-check.ts';
import { DEFAULT_FANOUT } from '../service/fanout.ts';
import { modelCleanup } from './cleanup.ts';
import { CollectiveTiming, timedComm, type CollectiveFigure, type RankTimeSplit } from './collective-timing.ts';
import { AWS_MODEL_DEFAULTS } from './constants.ts';
import { modelCost, type ModeledCost } from './cost.ts';
import { runWithFileStores, type FileStoreFactory } from '../file/job-file-stores.ts';
import type { ModeledAws } from './modeled-aws.ts';
import { ModeledFiles, modeledObjects, type ModeledFileSource } from './modeled-file-store.ts';
import { ModeledLambdaStart } from './lambda-start.ts';
import { ModeledJob, lambdaCpuScale, modelChannels, type ModelPlacementOptions } from './modeled-job.ts';

/** What to model: the job, and the platform's settings (ModelPlacementOptions' without its hooks). */
export interface ModelOptions<I = unknown> extends Pick<ModelPlacementOptions, 'constants' | 'seed' | 'cpuScale' | 'meter' | 'payloadScale' | 'maxMessageBytes' | 'channel'> {
  size: number;
  input?: I;
  /** The job's timeout, in modeled ms (default: runLocal's). */
  timeoutMs?: number;
  /** Execution environments are reused from an earlier job (default true). */
  warm?: boolean;
  fanout?: number;
  onOutput?: (line: OutputLine) => void;
  /** Record the job's timeline on the model's clock: the report's `trace` (for `model --report`). */
  trace?: boolean;
  /** Ends generations after this many modeled seconds (runLocal's): checkpoints and restores are modeled S3 requests. */
  generationSeconds?: number;
  /**
   * The objects the program's files find in place, by url (`s3://bucket/key` or a local path):
   * generated text of a size, a local file's bytes, or given bytes. Every File the job opens is
   * on the modeled S3 (modeled-file-store.ts): other urls are absent until the job writes them,
   * and nothing reaches S3 or the disk.
   */
  files?: Readonly<Record<string, ModeledFileSource>>;
}

export interface ModelReport {
  size: number;
  /** From the run function's start until every rank's program runs. */
  startupSeconds: number;
  /** From then until rank 0 holds the job's result. */
  runSeconds: number;
  /** Rank 0's work after the result: the job's record, its queues and objects deleted. */
  cleanupSeconds: number;
  totalSeconds: number;
  collectives: Record<string, CollectiveFigure>;
  /** The blocking point-to-point calls together (send, recv, sendrecv, probe), on the slowest rank. */
  pointToPoint: { calls: number; seconds: number };
  /** Each rank's run split into point-to-point, collectives and the rest (compute): they add up to runSeconds. */
  ranks: RankTimeSplit[];
  /** `valkey`: the cache's commands, counted where SQS's requests are on the SQS channel (then 0). */
  requests: { sqs: number; valkey?: number; s3Put: number; s3Get: number; lambdaInvoke: number; files?: FileRequestFigures };
  /** SQS requests as billed (64 KiB chunks); on the Valkey channel, ECPUs (KB moved per command). */
  sqsBilledRequests: number;
  /** What carried the frames. */
  channel: 'sqs' | 'valkey';
  costUsd: number;
  cost: ModeledCost;
  /** Rank 0's return value. */
  result: unknown;
  /** The job's timeline on the model's clock, when asked for (`trace`); the CLI's JSON leaves it out. */
  trace?: ChromeTrace;
  assumptions: {
    constantsAsOf: string;
    warm: boolean;
    memoryMb: number;
    cpuScale: number;
    payloadScale: number;
    fanout: number;
    seed: number;
  };
}

/** The job's File requests by S3 operation (already in s3Put / s3Get), and their bytes. */
export interface FileRequestFigures {
  byOperation: Record<string, number>;
  requests: number;
  bytesRead: number;
  bytesWritten: number;
}

/** A modeled job that failed: the job's error, with what the model saw until then. */
export interface ModeledFailure extends Error {
  modelReport?: ModelReport;
}

/**
 * Runs `program` on N modeled Lambdas: every rank in this process, on the model's clock, over
 * ModelTransports, started as the service starts them; then the bill. Bad input is refused as a
 * real run refuses it; a job that fails (or times out, in modeled time) rejects with the job's
 * error, carrying the report as `modelReport`.
 */
export async function modelProgram<I = unknown>(source: ProgramSource, options: ModelOptions<I>): Promise<ModelReport> {
  const constants = options.constants ?? AWS_MODEL_DEFAULTS;
  const { program } = await resolveProgram(source);
  assertJobSize(options.size);
  assertFitsConcurrency(options.size, constants.accountConcurrency);
  const size = options.size;
  const warm = options.warm ?? true;
  const fanout = options.fanout ?? DEFAULT_FANOUT;
  const cpuScale = options.cpuScale ?? lambdaCpuScale(constants);
  const seed = options.seed ?? 1;
  const objects = await modeledObjects(options.files);
  let job: ModeledJob | undefined;
  let fileStores: FileStoreFactory | undefined;
  let start: ModeledLambdaStart | undefined;
  const timing = new CollectiveTiming(size, () => {
    const programAt = Array.from(start?.programAt ?? []);
    return programAt.length === 0 || programAt.some(Number.isNaN) ? undefined : Math.max(0, ...programAt);
  });

  const modeled = defineProgram(async (comm, input) => {
    const rank = comm.rank;
    start!.programStarted(rank, job!.scheduler.virtualNow());
    const calls = {
      begin: (name: string, at: number) => timing.begin(rank, name, at),
      end: (name: string, start: number, end: number) => timing.end(rank, name, start, end),
    };
    const main = () => program.main(timedComm(comm, calls, () => job!.scheduler.virtualNow()), input);
    // Its File calls find the modeled S3 through the program's async context.
    return runWithFileStores(fileStores!, main);
  });
  const channels = modelChannels({
    constants,
    seed,
    cpuScale,
    ...(options.meter ? { meter: options.meter } : {}),
    ...(options.payloadScale ? { payloadScale: options.payloadScale } : {}),
    ...(options.maxMessageBytes ? { maxMessageBytes: options.maxMessageBytes } : {}),
    ...(options.channel ? { channel: options.channel } : {}),
    ranksUpAtOnce: false,
    onJob: (made) => {
      job = made;
      const files = new ModeledFiles(made.aws, objects, options.payloadScale ?? 1);
      fileStores = (location) => files.store(location);
      start = new ModeledLambdaStart(made, { fanout, warm, inputBytes: jsonBytes(options.input) });
      start.begin();
    },
  });

  let result: unknown;
  let trace: ChromeTrace | undefined;
  let failure: unknown;
  try {
    const run = runLocal(modeled, {
      size,
      input: options.input,
      transport: channels,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.onOutput ? { onOutput: options.onOutput } : {}),
      ...(options.trace ? { trace: true } : {}),
      ...(options.generationSeconds !== undefined ? { generationSeconds: options.generationSeconds } : {}),
    });
    // Wait for the scheduler too: if the simulation itself broke, the job would never end.
    const ran = await Promise.race([run, ...(job ? [job.scheduler.failure] : [])]);
    result = ran.result;
    trace = ran.trace;
  } catch (error) {
    failure = error;
  }
  if (!job || !start) throw failure; // refused before any rank started

  const endedAt = Number.isNaN(job.closedAt[0]!) ? job.scheduler.virtualNow() : job.closedAt[0]!;
  const cleanedAt = modelCleanup(job.aws, job.jobId, size, endedAt, job.channel);
  const startedAt = Math.max(0, ...Array.from(start.programAt).filter((t) => !Number.isNaN(t)));
  const initMs = warm ? 0 : constants.lambdaColdStartMs;
  const billedMs = Array.from({ length: size }, (_, rank) => {
    if (rank === 0) return cleanedAt + initMs;
    const from = start!.handlerAt[rank]!;
    if (Number.isNaN(from)) return 0;
    const until = Number.isNaN(job!.closedAt[rank]!) ? endedAt : job!.closedAt[rank]!;
    return until - from + initMs;
  });
  const cost = modelCost(constants, job.aws.counts, billedMs, job.channel);
  if (trace) modeledCleanupStep(trace, job, endedAt, cleanedAt);
  const { counts } = job.aws;
  const files = fileFigures(counts);
  const report: ModelReport = {
    size,
    startupSeconds: startedAt / 1000,
    runSeconds: (endedAt - startedAt) / 1000,
    cleanupSeconds: (cleanedAt - endedAt) / 1000,
    totalSeconds: cleanedAt / 1000,
    collectives: timing.summary(),
    pointToPoint: timing.pointToPoint(),
    ranks: timing.ranks((endedAt - startedAt) / 1000),
    requests: job.channel === 'valkey'
      ? { sqs: 0, valkey: counts.sqs, s3Put: counts.s3Put, s3Get: counts.s3Get, lambdaInvoke: counts.lambdaInvoke, ...(files ? { files } : {}) }
      : { sqs: counts.sqs, s3Put: counts.s3Put, s3Get: counts.s3Get, lambdaInvoke: counts.lambdaInvoke, ...(files ? { files } : {}) },
    sqsBilledRequests: counts.sqsBilled,
    channel: job.channel,
    costUsd: cost.total,
    cost,
    result,
    ...(trace ? { trace } : {}),
    assumptions: {
      constantsAsOf: constants.asOf,
      warm,
      memoryMb: constants.lambdaMemoryMb,
      cpuScale,
      payloadScale: options.payloadScale ?? 1,
      fanout,
      seed,
    },
  };
  if (failure !== undefined) {
    if (failure instanceof Error) (failure as ModeledFailure).modelReport = report;
    throw failure;
  }
  return report;
}

/**
 * runLocal stamps the clean-up that follows the result on the real clock; the model's trace shows
 * the modeled clean-up (deleting the job's queues and objects on AWS) in its place.
 */
function modeledCleanupStep(trace: ChromeTrace, job: ModeledJob, endedAt: number, cleanedAt: number): void {
  trace.traceEvents = trace.traceEvents.filter((event) => event.cat !== 'cleanup');
  const epochMs = job.scheduler.now() - job.scheduler.virtualNow();
  addJobStep(trace, { name: 'clean-up', category: 'cleanup', start: epochMs + endedAt, end: epochMs + cleanedAt });
}

function fileFigures(counts: ModeledAws['counts']): FileRequestFigures | undefined {
  if (counts.files.size === 0) return undefined;
  const byOperation = Object.fromEntries(counts.files);
  const requests = Object.values(byOperation).reduce((sum, n) => sum + n, 0);
  return { byOperation, requests, bytesRead: counts.fileBytesRead, bytesWritten: counts.fileBytesWritten };
}

function jsonBytes(input: unknown): number {
  try {
    return input === undefined ? 0 : Buffer.byteLength(JSON.stringify(input));
  } catch {
    return 0;
  }
}
