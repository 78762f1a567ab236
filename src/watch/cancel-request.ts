import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { cancelRequestKey } from '../job-store/keys.ts';
import { readObjectText } from '../job-store/object-text.ts';

/**
 * The channel's way back: a cancel request is one object, `runs/<jobId>.cancel`, that anyone who
 * may cancel writes (the CLI on Ctrl-C or `lambda-mpi cancel`, the HTTP function on DELETE) and
 * rank 0 looks for once a second (`CancelWatch`). Rank 0 then ends the job as cancelled: it tells
 * every rank to stop over their queues, as for a failure, and cleans up. The object stays beside
 * the job's record, so a request that comes while rank 0 starts up is not missed.
 */
export interface CancelRequest {
  jobId: string;
  /** Who asked: "Ctrl-C of lambda-mpi run", "lambda-mpi cancel", "DELETE /runs/{jobId}". */
  by: string;
  /** ISO time of the request. */
  at: string;
}

export async function requestCancel(s3: S3Client, bucket: string, jobId: string, by: string): Promise<CancelRequest> {
  const request: CancelRequest = { jobId, by, at: new Date().toISOString() };
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: cancelRequestKey(jobId), Body: JSON.stringify(request), ContentType: 'application/json' }));
  return request;
}

export async function readCancelRequest(s3: S3Client, bucket: string, jobId: string): Promise<CancelRequest | undefined> {
  const text = await readObjectText(s3, bucket, cancelRequestKey(jobId));
  return text === undefined ? undefined : (JSON.parse(text) as CancelRequest);
}

/** Rank 0 looks for a cancel request this often: one GET a second while a job runs. */
export const DEFAULT_CANCEL_POLL_MS = 1_000;

/**
 * Rank 0's watch for a cancel request: polls until it finds one (then calls `onCancel` once and
 * stops) or until stopped. A failed look is tried again at the next tick.
 */
export class CancelWatch {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private looking = false;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly jobId: string,
    private readonly intervalMs = DEFAULT_CANCEL_POLL_MS,
  ) {}

  start(onCancel: (request: CancelRequest) => void): void {
    this.timer = setInterval(async () => {
      if (this.looking || this.stopped) return;
      this.looking = true;
      try {
        const request = await readCancelRequest(this.s3, this.bucket, this.jobId).catch(() => undefined);
        if (request && !this.stopped) {
          this.stop();
          onCancel(request);
        }
      } finally {
        this.looking = false;
      }
    }, this.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}
