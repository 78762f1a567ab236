import { AGREEMENT_MS, GenerationCheckpoints } from '../../mpi/comm/checkpoint.ts';
import type { Clock } from '../../transport/clock.ts';
import type { CheckpointObjects } from '../../transport/transport.ts';

/** How a rank's job runs in generations (runLocal's generationSeconds; on Lambda, the function's time). */
export interface GenerationOptions {
  /** How long a generation runs before checkpointIfDue ends it; absent: generations never end. */
  limitMs?: number;
  /** Where checkpoints go when the transport keeps none (S3, the model's): ranks in this process. */
  objects?: CheckpointObjects;
  /** The generation this rank starts in (0 unless the job continues or is retried). */
  generation?: number;
  /** The complete checkpoint it starts from. */
  restoreFrom?: number;
  /**
   * The process ends with its generation (a Lambda): the program's run then resolves to
   * undefined and the next generation starts elsewhere; absent, it starts again in this process.
   */
  endsWithProcess?: boolean;
  /** Told when a due checkpointIfDue ended a generation (`generation` is the next one's number). */
  onEnded?: (generation: number, checkpoint: number) => void;
}

/** Where a generation starts: from a complete checkpoint, or (a retry before any completed) from the beginning. */
export function startingPoint(restoreFrom: number | undefined): string {
  return restoreFrom === undefined ? 'from the beginning' : `from checkpoint ${restoreFrom}`;
}

/** What a generation's run of the program resolves to when it ended at a checkpoint. */
export const GENERATION_ENDED: unique symbol = Symbol('lambda-mpi generation ended');

/** One generation's checkpoints and the promise that says it ended. */
export interface GenerationRun {
  checkpoints: GenerationCheckpoints | undefined;
  /** The world communicator's context: a generation's messages never meet another's. */
  context: string;
  ended: Promise<typeof GENERATION_ENDED>;
}

/**
 * A rank's generations in one process: the program runs once per generation, each time with
 * comm.generation one more and restore() reading the checkpoint that ended the last one.
 */
export class RankGenerations {
  #generation: number;
  #restoreFrom: number | undefined;

  constructor(
    private readonly size: number,
    private readonly clock: Clock,
    private readonly options: GenerationOptions | undefined,
    private readonly objects: CheckpointObjects | undefined,
  ) {
    this.#generation = options?.generation ?? 0;
    this.#restoreFrom = options?.restoreFrom;
  }

  get generation(): number {
    return this.#generation;
  }

  get restoreFrom(): number | undefined {
    return this.#restoreFrom;
  }

  begin(): GenerationRun {
    let end!: () => void;
    const ended = new Promise<typeof GENERATION_ENDED>((resolve) => (end = () => resolve(GENERATION_ENDED)));
    const limitMs = this.options?.limitMs;
    const context = this.#generation === 0 ? 'w' : `w.g${this.#generation}`;
    if (!this.objects && limitMs === undefined) return { checkpoints: undefined, context, ended };
    const checkpoints = new GenerationCheckpoints({
      generation: this.#generation,
      size: this.size,
      restoreFrom: this.#restoreFrom,
      objects: this.objects,
      endsAt: limitMs === undefined ? undefined : this.clock.now() + limitMs,
      agreementMs: limitMs === undefined ? AGREEMENT_MS : Math.min(AGREEMENT_MS, limitMs / 10),
      now: () => this.clock.now(),
      ended: (checkpoint) => {
        this.#generation += 1;
        this.#restoreFrom = checkpoint;
        this.options?.onEnded?.(this.#generation, checkpoint);
        end();
      },
    });
    return { checkpoints, context, ended };
  }
}
