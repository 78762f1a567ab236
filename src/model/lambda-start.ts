import { childrenOf } from '../service/fanout.ts';
import { INLINE_INPUT_BYTES } from '../job-store/job-input.ts';
import type { ModeledJob } from './modeled-job.ts';
import { queueCalls } from './queue-calls.ts';
import { jobRecordKey, rankClaimKey, storedInputKey } from '../job-store/keys.ts';

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
 * rank 0 (the run function, at time 0): records the job (S3 PUT), checks the bucket (HEAD) and
 * creates the queues (QUEUE_CALLS_IN_FLIGHT at once), and stores a large input, side by side;
 * then invokes its children, waits until the queues may be used (a second after the last was
 * created) and starts its program.
 * a worker: its handler runs an Invoke latency after its parent's call (plus a cold start); it
 * invokes its children first, waits until the queues may be used, checks its queue
 * (GetQueueAttributes), claims its rank (conditional PUT), waits for its Invoke calls' answers,
 * fetches a large input and starts its program.
 *
 * A rank's process is then up (ModelTransport.processUp): its receive loop starts, it checks in
 * with rank 0 and runs its program.
 */
export class ModeledLambdaStart {
  /** Virtual ms at which each rank's handler began (its billing starts; cold start excluded). */
  readonly handlerAt: Float64Array;
  /** Virtual ms at which each rank's program started (the program that the model runs says). */
  readonly programAt: Float64Array;
  /** When the queues may be used. */
  private queuesReadyAt = 0;

  constructor(
    private readonly job: ModeledJob,
    private readonly plan: StartPlan,
  ) {
    this.handlerAt = new Float64Array(job.size).fill(Number.NaN);
    this.programAt = new Float64Array(job.size).fill(Number.NaN);
  }

  /** The run function's handler starts now (virtual 0). */
  begin(): void {
    const { aws, jobId, size, constants } = this.job;
    this.handlerAt[0] = 0;
    // The Valkey channel creates nothing per job: its lists appear with their first push.
    const bucketChecked = aws.s3Small('get', 0); // HeadBucket first
    const created = this.job.channel === 'valkey' ? bucketChecked : queueCalls(aws, 'CreateQueue', size, bucketChecked);
    this.queuesReadyAt = created + constants.sqsQueueReadyDelayMs;
    const steps = [created];
    let pending = 2;
    const stepDone = (time: number) => {
      steps.push(time);
      if (--pending > 0) return;
      const stepsDone = Math.max(...steps);
      this.invokeChildren(0, stepsDone);
      this.ready(0, Math.max(stepsDone, this.queuesReadyAt));
    };
    this.smallPut(0, jobRecordKey(jobId), 0, stepDone);
    if (this.plan.inputBytes > INLINE_INPUT_BYTES) aws.s3Put(0, storedInputKey(jobId), this.plan.inputBytes, 0, stepDone);
    else stepDone(0);
  }

  /** Rank `rank`'s program starts now (`time`). */
  programStarted(rank: number, time: number): void {
    this.programAt[rank] = time;
  }

  private ready(rank: number, time: number): void {
    this.job.scheduler.atService(time, (at) => this.job.rankUp(rank, at));
  }

  /** Invokes `rank`'s children at `time`; returns when the last Invoke call has answered. */
  private invokeChildren(rank: number, time: number): number {
    let answered = time;
    for (const child of childrenOf(rank, this.job.size, this.plan.fanout)) {
      const { answeredAt, handlerAt } = this.job.aws.invoke(time, this.plan.warm);
      answered = Math.max(answered, answeredAt);
      this.job.scheduler.atService(handlerAt, (at) => this.workerHandler(child, at));
    }
    return answered;
  }

  private workerHandler(rank: number, time: number): void {
    const { aws, jobId } = this.job;
    this.handlerAt[rank] = time;
    const invoked = this.invokeChildren(rank, time);
    const queueChecked = aws.sqsSmall('GetQueueAttributes', Math.max(time, this.queuesReadyAt));
    this.smallPut(rank, rankClaimKey(jobId, rank), queueChecked, (claimed) => {
      const started = Math.max(claimed, invoked);
      if (this.plan.inputBytes > INLINE_INPUT_BYTES) {
        aws.s3Get(rank, storedInputKey(jobId), this.plan.inputBytes, started, (loaded) => this.ready(rank, loaded));
      } else {
        this.ready(rank, started);
      }
    });
  }

  private smallPut(rank: number, key: string, time: number, done: (time: number) => void): void {
    this.job.aws.s3Put(rank, key, 0, time, done);
  }
}
