import { MAX_SIZE } from '../mpi/constants.ts';
import { isJobId } from '../runtime/job-id.ts';
import { JobKey } from '../transport/aws/job-key.ts';
import { storedInputKey } from '../job-store/keys.ts';

/** What a worker Lambda is invoked with: everything a rank needs to join its job. */
export interface WorkerEvent {
  kind: 'lambda-mpi/worker';
  jobId: string;
  rank: number;
  size: number;
  program: string;
  timeoutMs: number;
  /** Epoch milliseconds. */
  deadline: number;
  /** Rank r's queue URL is this followed by r. */
  queueUrlBase: string;
  /**
   * The job's key (job-key.ts, base64url), drawn by rank 0: it seals and opens every message of
   * the job. It travels only in invocation payloads (rank 0 → its children → theirs), never in
   * S3 or a queue, and is never logged.
   */
  jobKey: string;
  /** Epoch ms from which the queues may be used (a second after their creation, on AWS). */
  queuesReadyAt?: number;
  fanout: number;
  /** When its parent invoked it (epoch ms): where its start-up began. */
  invokedAt?: number;
  /** Record its MPI calls for the job's timeline. */
  trace?: boolean;
  /** The job's input, inline when small … */
  input?: unknown;
  /** … or the key of the S3 object that holds it as JSON. */
  inputKey?: string;
  /** A job that may outlast one Lambda: which generation this start serves (docs/long-jobs.md). */
  generation?: WorkerGeneration;
}

/** A worker's part in a job of generations: rank 0 decides when one ends; every rank must agree at its calls. */
export interface WorkerGeneration {
  /** 0, 1, 2, … */
  number: number;
  /** The checkpoint the generation restores from (absent in generation 0). */
  restoreFrom?: number;
  /** The generation's length as rank 0 sized it (workers need one so that checkpointIfDue agrees at all); absent: it never ends early. */
  limitMs?: number;
}

export function isWorkerEvent(event: unknown): event is WorkerEvent {
  return typeof event === 'object' && event !== null && (event as WorkerEvent).kind === 'lambda-mpi/worker';
}

/**
 * Why a worker event must be refused, or undefined when it may run: a worker serves only ranks
 * 1..size-1 (rank 0 is the run function: a forged event for it would take rank 0's queue), on this
 * stage's own queues of that very job, reading only that job's input object.
 */
export function refusalOf(event: WorkerEvent, stage: { queuePrefix: string; maxRanks: number }): string | undefined {
  const { jobId, rank, size } = event;
  if (!isJobId(jobId)) return 'its jobId is not a job id';
  if (!Number.isInteger(size) || size < 2 || size > Math.min(MAX_SIZE, stage.maxRanks)) return `its size must be an integer in 2..${Math.min(MAX_SIZE, stage.maxRanks)}`;
  if (!Number.isInteger(rank) || rank < 1 || rank >= size) return `a worker runs ranks 1..size-1 only (rank 0 is the run function); rank ${String(rank)} was asked for`;
  const generationPart = event.generation?.number ? `g${event.generation.number}-` : '';
  if (typeof event.queueUrlBase !== 'string' || !event.queueUrlBase.endsWith(`/${stage.queuePrefix}-${jobId}-${generationPart}`)) return 'its queues are not this stage\'s queues of its job';
  // Said without the value: a key, even a wrong one, is not for the log.
  if (!JobKey.fromText(event.jobKey)) return 'its jobKey is not a job key (32 bytes as 43 characters of base64url)';
  if (typeof event.program !== 'string') return 'it names no program';
  if (!Number.isFinite(event.deadline) || !(event.timeoutMs > 0)) return 'it has no deadline';
  if (!Number.isInteger(event.fanout) || event.fanout < 1 || event.fanout > 64) return 'its fanout must be an integer in 1..64';
  if (event.inputKey !== undefined && event.inputKey !== storedInputKey(jobId)) return 'its inputKey is not its job\'s input';
  const generation = event.generation;
  if (generation !== undefined && !(Number.isInteger(generation.number) && generation.number >= 0 && (generation.limitMs === undefined || generation.limitMs > 0) &&
    (generation.restoreFrom === undefined || (Number.isInteger(generation.restoreFrom) && generation.restoreFrom > 0)))) {
    return 'its generation must be { number: an integer ≥ 0, limitMs?: > 0, restoreFrom?: a checkpoint number ≥ 1 }';
  }
  return undefined;
}
