import type { S3Client } from '@aws-sdk/client-s3';
import type { JobProgress } from '../runtime/job-events.ts';
import type { OutputLine } from '../runtime/output.ts';
import type { RankZeroJob } from '../runtime/rank-zero.ts';
import { CancelWatch } from '../watch/cancel-request.ts';
import type { JobEndStatus } from '../watch/event-chunk.ts';
import { EventLogWriter } from '../watch/event-log-writer.ts';
import { logForJob } from './lambda-config.ts';

/**
 * Rank 0's end of the watcher channel on Lambda (docs/architecture.md, "The watcher channel"):
 * the job's event log, which it writes from the moment the job is recorded, and the watch for a
 * cancel request, which may come before rank 0's program even started (then the job is ended as
 * cancelled as soon as it is attached, or before its workers are started).
 */
export class LambdaJobWatch {
  readonly log: EventLogWriter;
  private readonly cancelWatch: CancelWatch;
  private job: RankZeroJob | undefined;
  private progress: JobProgress;
  /** Who asked to cancel the job, once someone did. */
  cancelledBy: string | undefined;

  constructor(s3: S3Client, bucket: string, private readonly jobId: string, size: number, flushMs?: number, firstSeq?: number, job?: { startedAt: number; generation: number }) {
    // A later generation's progress goes on from the job's: its elapsed time and its generation.
    this.progress = { size, started: 0, finished: 0, elapsedMs: job ? Date.now() - job.startedAt : 0, ...(job?.generation ? { generation: job.generation } : {}) };
    this.log = new EventLogWriter({
      s3, bucket, jobId,
      ...(flushMs !== undefined ? { flushMs } : {}),
      ...(firstSeq !== undefined ? { firstSeq } : {}),
      onWriteError: (error) => logForJob(jobId, `could not write the job's event log (tried again): ${error.message}`, 'stderr'),
    }, this.progress);
    this.cancelWatch = new CancelWatch(s3, bucket, jobId);
  }

  start(): void {
    this.log.start();
    this.cancelWatch.start((request) => {
      this.cancelledBy = request.by;
      logForJob(this.jobId, `cancel requested by ${request.by} at ${request.at}: stopping every rank`);
      this.job?.cancel(request.by);
    });
  }

  /** The running job that a cancel request ends; a request that came already ends it now. */
  attach(job: RankZeroJob): void {
    this.job = job;
    if (this.cancelledBy !== undefined) job.cancel(this.cancelledBy);
  }

  /** A line of rank 0's own about the job (a retry began) into the job's output stream. */
  say(line: OutputLine): void {
    this.log.onEvents([{ kind: 'output', rank: line.rank, lines: [{ ...line, at: Date.now() }] }], this.job?.progress() ?? this.progress);
  }

  /** Stops looking for cancel requests: the job is ending anyway. */
  stopCancelWatch(): void {
    this.cancelWatch.stop();
  }

  /** The job goes on in its next generation: the log is written up to here, and the next one's watch carries it on. */
  async handOver(): Promise<number> {
    this.cancelWatch.stop();
    return this.log.handOver();
  }

  /** Writes the log's last chunk, saying how the job ended. */
  async close(status: JobEndStatus): Promise<void> {
    this.cancelWatch.stop();
    const progress = this.job?.progress() ?? this.progress;
    await this.log.close(status, status === 'succeeded' ? { ...progress, finished: progress.size } : progress);
  }
}
