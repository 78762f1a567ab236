import type { S3Client } from '@aws-sdk/client-s3';
import type { JobProgress } from '../../runtime/job-events.ts';
import type { OutputLine } from '../../runtime/output.ts';
import { linesOfChunks } from '../../watch/event-chunk.ts';
import { EventLogReader } from '../../watch/event-log-reader.ts';

/** After the job's answer came, the log's last chunk (written before it) is waited for at most this long. */
const DRAIN_MS = 5_000;

/**
 * The CLI's watcher of a job on a stage: follows the job's event log while the job runs, and
 * hands each line to `onOutput` (in order per rank) and each progress to `onProgress`. It counts
 * the lines it printed per rank, so the job's final output (from its answer or its record) adds
 * exactly the lines the log did not bring.
 */
export class JobFollower {
  private readonly reader: EventLogReader;
  private readonly stopped = new AbortController();
  private readonly printed = new Map<number, number>();
  private readonly following: Promise<void>;
  /** Why live output stopped, if it failed (the output then comes with the job's answer). */
  failure: Error | undefined;

  constructor(
    s3: S3Client,
    bucket: string,
    jobId: string,
    private readonly hooks: { onOutput(line: OutputLine): void; onProgress?(progress: JobProgress): void },
  ) {
    this.reader = new EventLogReader(s3, bucket, jobId);
    this.following = this.reader
      .follow((chunk) => {
        for (const line of linesOfChunks([chunk])) this.print(line);
        hooks.onProgress?.(chunk.progress);
      }, { signal: this.stopped.signal })
      .catch((error: unknown) => {
        this.failure = error as Error;
      });
  }

  /** Reads on until the log's last chunk (or DRAIN_MS), then stops. */
  async finish(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.following, new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_MS)))]);
    clearTimeout(timer);
    this.stop();
    await this.following;
  }

  stop(): void {
    this.stopped.abort();
  }

  /** Prints the lines of `output` (a job's whole output, in order per rank) that the log did not bring. */
  printRest(output: OutputLine[]): void {
    const seen = new Map<number, number>();
    for (const line of output) {
      const index = seen.get(line.rank) ?? 0;
      seen.set(line.rank, index + 1);
      if (index >= (this.printed.get(line.rank) ?? 0)) this.print(line);
    }
  }

  private print(line: OutputLine): void {
    this.printed.set(line.rank, (this.printed.get(line.rank) ?? 0) + 1);
    this.hooks.onOutput(line);
  }
}
