import { CREATE_CONCURRENCY } from '../transport/aws/job-resources.ts';
import { jobPrefix } from '../transport/aws/claim-check.ts';
import { childrenOf } from '../service/fanout.ts';
import { INLINE_INPUT_BYTES } from '../service/job-input.ts';
import type { ModeledJob } from './modeled-job.ts';

export interface StartPlan {
  /** Ranks each rank starts (LAMBDA_MPI_FANOUT). */
  fanout: number;
  /** Execution environments are reused (no cold start, no scaling limit). */
  warm: boolean;
  /** The job input's JSON size: above INLINE_INPUT_BYTES it travels through S3. */
  inputBytes: number;
}

/**
 * How a job starts on Lambda, step by step as src/service/rank-zero-lambda.ts (rank 0) and
 * src/service/worker-lambda.ts (workers) take them, on the modeled services:
 *
 * rank 0 (the run function, at time 0): records the job (S3 PUT), checks the bucket (HEAD),
 * creates the queues in waves of CREATE_CONCURRENCY, stores a large input, then starts its
 * program; the Invoke calls for its children leave when the program first waits (the SDK's
 * request goes out once the event loop is free).
 * a worker: its handler runs an Invoke latency after its parent's call (plus a cold start),
 * checks its queue (GetQueueAttributes), claims its rank (conditional PUT), fetches a large
 * input, starts its program; its children's Invokes leave when the program first waits.
 *
 * Each rank's receive loop starts with its program.
 */
export class ModeledLambdaStart {
  /** Virtual ms at which each rank's handler began (its billing starts; cold start excluded). */
  readonly handlerAt: Float64Array;
  /** Virtual ms at which each rank's program started. */
  readonly programAt: Float64Array;
  private readonly readyAt: Float64Array;
  private readonly release: Array<(() => void) | undefined>;

  constructor(
    private readonly job: ModeledJob,
    private readonly plan: StartPlan,
  ) {
    this.handlerAt = new Float64Array(job.size).fill(Number.NaN);
    this.programAt = new Float64Array(job.size).fill(Number.NaN);
    this.readyAt = new Float64Array(job.size).fill(Number.NaN);
    this.release = new Array(job.size).fill(undefined);
  }

  /** The run function's handler starts now (virtual 0). */
  begin(): void {
    const { aws } = this.job;
    this.handlerAt[0] = 0;
    this.smallPut(0, `runs/${this.job.jobId}.json`, 0, (recorded) => {
      let time = aws.s3Small('get', recorded); // HeadBucket
      for (let start = 0; start < this.job.size; start += CREATE_CONCURRENCY) {
        const wave = Math.min(CREATE_CONCURRENCY, this.job.size - start);
        let waveEnd = time;
        for (let i = 0; i < wave; i++) waveEnd = Math.max(waveEnd, aws.sqsQueueControl('CreateQueue', time));
        time = waveEnd;
      }
      if (this.plan.inputBytes > INLINE_INPUT_BYTES) {
        aws.s3Put(0, `${jobPrefix(this.job.jobId)}input.json`, this.plan.inputBytes, time, (stored) => this.ready(0, stored));
      } else {
        this.ready(0, time);
      }
    });
  }

  /**
   * Resolves, in the rank's own turn, when its program starts: the program that the model runs
   * awaits this first.
   */
  programStart(rank: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.release[rank] = resolve;
      if (!Number.isNaN(this.readyAt[rank]!)) this.startProgram(rank);
    });
  }

  private ready(rank: number, time: number): void {
    this.readyAt[rank] = time;
    this.job.scheduler.atService(time, (at) => this.job.rankUp(rank, at));
    if (this.release[rank]) this.startProgram(rank);
  }

  private startProgram(rank: number): void {
    const { scheduler } = this.job;
    scheduler.atTurn(rank, this.readyAt[rank]!, (time) => {
      this.programAt[rank] = time;
      scheduler.afterTurn(rank, (end) => this.invokeChildren(rank, end));
      this.release[rank]!();
    });
  }

  private invokeChildren(rank: number, time: number): void {
    for (const child of childrenOf(rank, this.job.size, this.plan.fanout)) {
      const { handlerAt } = this.job.aws.invoke(time, this.plan.warm);
      this.job.scheduler.atService(handlerAt, (at) => this.workerHandler(child, at));
    }
  }

  private workerHandler(rank: number, time: number): void {
    const { aws, jobId } = this.job;
    this.handlerAt[rank] = time;
    const queueChecked = aws.sqsSmall('GetQueueAttributes', time);
    this.smallPut(rank, `${jobPrefix(jobId)}claims/${rank}`, queueChecked, (claimed) => {
      if (this.plan.inputBytes > INLINE_INPUT_BYTES) {
        aws.s3Get(rank, `${jobPrefix(jobId)}input.json`, this.plan.inputBytes, claimed, (loaded) => this.ready(rank, loaded));
      } else {
        this.ready(rank, claimed);
      }
    });
  }

  private smallPut(rank: number, key: string, time: number, done: (time: number) => void): void {
    this.job.aws.s3Put(rank, key, 0, time, done);
  }
}
