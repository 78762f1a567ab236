import { decode, encode } from '../codec/codec.ts';
import { InvalidArgumentError, LambdaMpiError } from '../errors.ts';
import type { CheckpointObjects } from '../../transport/transport.ts';

/** What checkpoints need of a communicator (comm.ts passes itself). */
export interface CheckpointComm {
  readonly rank: number;
  readonly size: number;
  gather<T>(value: T, root?: number): Promise<T[] | undefined>;
  bcast<T>(value: T, root?: number): Promise<T>;
  /** The traced form of this rank's checkpoint (comm.checkpoint). */
  checkpoint(state: unknown): Promise<void>;
}

/** Agreements on whether a checkpoint is due come about this often, however fast the program's loop. */
export const AGREEMENT_MS = 10_000;

/**
 * How far the interval between agreements (in calls of checkpointIfDue) may grow from one
 * agreement to the next: a loop whose first calls were fast and whose later ones are slow still
 * reaches an agreement before its generation ends.
 */
export const AGREEMENT_GROWTH = 16;

/** One generation of a rank, as the runtime runs it. */
export interface GenerationPlan {
  /** 0, 1, 2, … */
  readonly generation: number;
  /** The job's size: a checkpoint is taken by every rank. */
  readonly size: number;
  /** The complete checkpoint this generation starts from (what restore() reads), if any. */
  readonly restoreFrom: number | undefined;
  /** Where the checkpoints go; absent where this placement keeps none. */
  readonly objects: CheckpointObjects | undefined;
  /**
   * On rank 0's clock: when this generation's last checkpoint must be complete. Absent: the
   * generation never ends (no generations), and checkpointIfDue costs nothing.
   */
  readonly endsAt: number | undefined;
  /** The spacing of agreements (AGREEMENT_MS, or less for generations shorter than ten of them). */
  readonly agreementMs: number;
  now(): number;
  /** Told on every rank once the generation's last checkpoint is complete: the runtime starts the next generation. */
  ended(checkpoint: number): void;
}

/** What rank 0 decides at an agreement, and every rank learns. */
interface Agreement {
  due: boolean;
  /** The number of the checkpointIfDue call that agrees next. */
  next: number;
}

/** checkpoint() where the job keeps no checkpoints, or restore() whose checkpoint cannot be read. */
export class CheckpointError extends LambdaMpiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CHECKPOINT', message, options);
  }
}

/**
 * A rank's checkpoints within one generation: comm.checkpoint, comm.checkpointIfDue and
 * comm.restore. Every rank counts its checkpointIfDue calls; they agree (a bcast from rank 0)
 * only at calls whose numbers all ranks know in advance: each agreement carries the number of
 * the next one, sized from rank 0's measured time per call so that agreements come every
 * `agreementMs`. So every rank checkpoints at the same call, and a call that does not agree sends
 * nothing.
 */
export class GenerationCheckpoints {
  readonly plan: GenerationPlan;
  #calls = 0;
  #nextAgreement = 1;
  /** Rank 0: the previous agreement's call and time, for the time per call. */
  #previousAgreement: { call: number; at: number } | undefined;
  #interval = 1;
  #latest: number | undefined;
  /** Rank 0: how long the last checkpoint took (the next is assumed to take twice as long). */
  #checkpointMs = 0;

  constructor(plan: GenerationPlan) {
    this.plan = plan;
    this.#latest = plan.restoreFrom;
  }

  get generation(): number {
    return this.plan.generation;
  }

  async restore<T>(comm: CheckpointComm): Promise<T | undefined> {
    const { restoreFrom, objects } = this.plan;
    if (restoreFrom === undefined || !objects) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = await objects.read(restoreFrom, comm.rank);
    } catch (error) {
      throw new CheckpointError(`restore: rank ${comm.rank}'s part of checkpoint ${restoreFrom} cannot be read: ${(error as Error).message}`, { cause: error });
    }
    return decode(bytes) as T;
  }

  /** Every rank's state durable, then the checkpoint's manifest written by rank 0. Resolves to its number. */
  async checkpoint(comm: CheckpointComm, state: unknown): Promise<number> {
    this.#assertWholeJob(comm, 'checkpoint');
    const { objects } = this.plan;
    if (!objects) {
      throw new CheckpointError('checkpoint: this job keeps no checkpoints (the model has no store for them; runLocal keeps them in memory or a temporary folder, or in S3 with transport "aws")');
    }
    const started = this.plan.now();
    const checkpoint = (this.#latest ?? 0) + 1;
    const receipt = await objects.write(checkpoint, comm.rank, encode(state));
    const parts = await comm.gather(receipt, 0);
    if (comm.rank === 0) await objects.complete({ checkpoint, generation: this.plan.generation, size: comm.size, parts: parts! });
    await comm.bcast(checkpoint, 0);
    this.#latest = checkpoint;
    this.#checkpointMs = this.plan.now() - started;
    return checkpoint;
  }

  /** Never resolves once due: the generation ends with the checkpoint, and the program starts again in the next. */
  async checkpointIfDue(comm: CheckpointComm, state: unknown): Promise<void> {
    this.#assertWholeJob(comm, 'checkpointIfDue');
    this.#calls += 1;
    if (this.plan.endsAt === undefined || this.#calls < this.#nextAgreement) return;
    const agreement = await comm.bcast<Agreement | undefined>(comm.rank === 0 ? this.#decide() : undefined, 0);
    this.#nextAgreement = agreement!.next;
    if (!agreement!.due) return;
    await comm.checkpoint(state);
    this.plan.ended(this.#latest!);
    return new Promise<never>(() => undefined);
  }

  /** Rank 0: due when the next agreement would come too late to checkpoint before the generation's end. */
  #decide(): Agreement {
    const now = this.plan.now();
    const call = this.#calls;
    const lastStart = this.plan.endsAt! - 2 * this.#checkpointMs;
    const previous = this.#previousAgreement;
    this.#previousAgreement = { call, at: now };
    if (!previous) return { due: now >= lastStart, next: call + 1 };
    const perCall = Math.max((now - previous.at) / (call - previous.call), 1e-6);
    this.#interval = Math.max(1, Math.min(Math.floor(this.plan.agreementMs / perCall), this.#interval * AGREEMENT_GROWTH));
    return { due: now + this.#interval * perCall >= lastStart, next: call + this.#interval };
  }

  #assertWholeJob(comm: CheckpointComm, operation: string): void {
    if (comm.size !== this.plan.size) {
      throw new InvalidArgumentError('comm', `a communicator of ${comm.size} ranks`, `the job's world (all ${this.plan.size} ranks) or a dup of it`, `of ${operation} must hold every rank of the job (${this.plan.size})`);
    }
  }
}
