import { DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** DeleteMessageBatch takes at most this many receipt handles. */
export const MAX_DELETE_BATCH = 10;
/** How long a handle waits for company before its batch is sent anyway. */
export const DELETE_LINGER_MS = 20;
const MAX_BATCH = MAX_DELETE_BATCH;
const LINGER_MS = DELETE_LINGER_MS;

/**
 * Deletes handled messages ten at a time: handles wait up to LINGER_MS for company. Deleting is
 * off the delivery path, and a failed delete is harmless (the message comes back later and is
 * dropped as a duplicate), so it is never retried or awaited by the receive loop.
 */
export class BatchDeleter {
  private handles: string[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  add(receiptHandle: string): void {
    this.handles.push(receiptHandle);
    if (this.handles.length >= MAX_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), LINGER_MS);
  }

  /** Stops without deleting what is pending (the queue is about to be deleted or abandoned). */
  discard(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.handles = [];
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.handles.length > 0) {
      const batch = this.handles.splice(0, MAX_BATCH);
      this.sqs
        .send(new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((ReceiptHandle, i) => ({ Id: String(i), ReceiptHandle })),
        }))
        .catch(() => undefined);
    }
  }
}
