import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { readObjectText } from '../job-store/object-text.ts';
import { generationsCarriedKey } from '../job-store/keys.ts';
import type { OutputLine } from '../runtime/output.ts';
import type { RunResult } from '../runtime/run-result.ts';
import type { ChromeTraceEvent } from '../runtime/trace/chrome-trace.ts';
import { isJobId } from '../runtime/job-id.ts';
import type { JobRetry } from '../runtime/generations/retries.ts';
import { addRequestCounts, type RequestCounts } from '../transport/request-counts.ts';

/**
 * A job longer than one Lambda on a stage (docs/architecture.md, "Generations"): when rank 0's
 * checkpointIfDue ends a generation, rank 0 invokes the run function again under the same job id
 * with this handover, and its own invocation ends. The job's record, event log, cancel request,
 * pulse, input and checkpoints stay where they are. Its queues and key are renewed: a worker of
 * the ended generation may still have a long-poll receive in flight when it ends, and SQS gives
 * that receive whatever arrives, so the next generation's first messages would vanish for a
 * visibility timeout (seen on the local stack: 30 s, then a deadlock verdict); a key of its own
 * means no frame of one generation can ever be opened in another.
 */
export interface GenerationHandover {
  /** The generation the invoked run function serves: 1, 2, … */
  number: number;
  /** The complete checkpoint it restores; absent: a retry from the beginning (no checkpoint completed). */
  restoreFrom?: number;
  /** The job's start (epoch ms): its clock, timeline and progress go on from it. */
  startedAt: number;
  /** The job's deadline (epoch ms), as its first generation set it. */
  deadline: number;
  /** The event log's next chunk. */
  eventSeq: number;
  /** A job started by `sls invoke` (no job id): its request's claim, released when the job ends. */
  requestFingerprint?: string;
  /** The retries after lost ranks so far (absent: none), for the record while the job runs. */
  retries?: number;
}

/** Why a handover in a run function's event must be refused (it is only ever written by rank 0), or undefined. */
export function handoverRefusal(value: unknown, jobId: unknown): string | undefined {
  if (!isJobId(jobId)) return 'a generation is continued under its job\'s id, and the request has none';
  const h = value as Partial<GenerationHandover> | null;
  if (typeof h !== 'object' || h === null) return 'it is not an object';
  const whole = (n: unknown, min: number) => Number.isInteger(n) && (n as number) >= min;
  if (!whole(h.number, 1) || (h.restoreFrom !== undefined && !whole(h.restoreFrom, 1)) || !whole(h.eventSeq, 0)) return 'its number and restoreFrom must be integers ≥ 1 (restoreFrom absent: a retry from the beginning) and its eventSeq ≥ 0';
  if (!Number.isFinite(h.startedAt) || !Number.isFinite(h.deadline)) return 'it has no start or deadline';
  if (h.retries !== undefined && !whole(h.retries, 1)) return 'its retries must be an integer ≥ 1';
  if (h.requestFingerprint !== undefined && !/^[0-9a-f]{64}$/.test(h.requestFingerprint)) return 'its requestFingerprint is not a sha256';
  return undefined;
}

/** What the generations that ended handed on, for the job's one result: summed, concatenated, on one timeline. */
export interface CarriedGenerations {
  /** How many generations ended. */
  ended: number;
  output: OutputLine[];
  requests: RequestCounts;
  /** Per rank: the Lambda time of its ended generations (what cost sums). */
  billedMs: number[];
  /** Per rank: its program's time in the ended generations. */
  programMs: number[];
  traceEvents: ChromeTraceEvent[];
  droppedCalls: number;
  /** The restarts after lost ranks so far (`retries`: stage-retry.ts). */
  retries?: JobRetry[];
}

export async function readCarried(s3: S3Client, bucket: string, jobId: string): Promise<CarriedGenerations | undefined> {
  const text = await readObjectText(s3, bucket, generationsCarriedKey(jobId));
  return text === undefined ? undefined : (JSON.parse(text) as CarriedGenerations);
}

export async function writeCarried(s3: S3Client, bucket: string, jobId: string, carried: CarriedGenerations): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: generationsCarriedKey(jobId), Body: JSON.stringify(carried), ContentType: 'application/json' }));
}

/**
 * The ended generation's part added to what came before: `result` is its RunResult (its own
 * requests counted in), `billedMs` each rank's function time in it.
 */
export function carryOn(before: CarriedGenerations | undefined, result: RunResult, billedMs: number[]): CarriedGenerations {
  const size = result.size;
  const at = (list: number[] | undefined, rank: number) => list?.[rank] ?? 0;
  return {
    ended: (before?.ended ?? 0) + 1,
    output: [...(before?.output ?? []), ...result.output],
    requests: addRequestCounts(addRequestCounts({}, before?.requests), result.requests),
    billedMs: Array.from({ length: size }, (_, rank) => at(before?.billedMs, rank) + (billedMs[rank] ?? 0)),
    programMs: Array.from({ length: size }, (_, rank) => at(before?.programMs, rank) + (result.timings.ranks[rank]?.durationMs ?? 0)),
    // A trace's track names (metadata) are the same in every generation: the last one's are kept.
    traceEvents: [...(before?.traceEvents ?? []), ...(result.trace?.traceEvents.filter((e) => e.ph !== 'M') ?? [])],
    droppedCalls: (before?.droppedCalls ?? 0) + (result.trace?.otherData.droppedCalls ?? 0),
    ...(before?.retries ? { retries: before.retries } : {}),
  };
}

/** The job's one result: the last generation's with the ended ones' output, requests, ranks' time and timeline in it. */
export function withCarried(result: RunResult, carried: CarriedGenerations | undefined): RunResult {
  if (!carried) return result;
  const ranks = result.timings.ranks.map((timing) => ({ ...timing, durationMs: timing.durationMs + (carried.programMs[timing.rank] ?? 0) }));
  // The timings' origin is the job's start: the ended generations are run time, and the start-up
  // is the last generation's own (from its rank 0's handler).
  const { phases } = result.timings;
  const earlierMs = Math.min(phases?.startupMs ?? 0, result.timings.ranks[0]?.handlerMs ?? 0);
  return {
    ...result,
    output: [...carried.output, ...result.output],
    requests: addRequestCounts(addRequestCounts({}, carried.requests), result.requests),
    timings: { ...result.timings, ranks, ...(phases ? { phases: { ...phases, startupMs: phases.startupMs - earlierMs, runMs: phases.runMs + earlierMs } } : {}) },
    generations: { count: carried.ended + 1, earlierBilledMs: carried.billedMs },
    ...(carried.retries?.length ? { retries: carried.retries } : {}),
    ...(result.trace ? {
      trace: {
        ...result.trace,
        traceEvents: [...result.trace.traceEvents.filter((e) => e.ph === 'M'), ...carried.traceEvents, ...result.trace.traceEvents.filter((e) => e.ph !== 'M')],
        otherData: { ...result.trace.otherData, droppedCalls: result.trace.otherData.droppedCalls + carried.droppedCalls },
      },
    } : {}),
  };
}

/** Starts the run function for the job's next generation (asynchronously: this invocation ends now). */
export async function invokeNextGeneration(lambda: LambdaClient, runFunction: string, payload: Record<string, unknown>): Promise<void> {
  const response = await lambda.send(new InvokeCommand({ FunctionName: runFunction, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }));
  if (response.StatusCode !== undefined && response.StatusCode >= 300) throw new Error(`the run function did not take the next generation's invocation (status ${response.StatusCode})`);
}
