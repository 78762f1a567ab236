/** Every request the modeled job makes, as AWS would count and bill it. */
export class RequestCounts {
  /** SQS API calls. */
  sqs = 0;
  /** SQS requests as billed: each started 64 KiB of a call's payload counts once. */
  sqsBilled = 0;
  /** S3 PUT, POST and LIST (the PUT price tier). */
  s3Put = 0;
  /** S3 GET and HEAD. */
  s3Get = 0;
  /** S3 deletes (free). */
  s3Delete = 0;
  lambdaInvoke = 0;
  /** SQS calls by action (SendMessageBatch, ReceiveMessage, …). */
  readonly sqsByAction = new Map<string, number>();
  /**
   * The job's file requests (File on S3) by S3 operation (HeadObject, GetObject, UploadPart, …):
   * already counted in s3Put / s3Get / s3Delete, shown apart.
   */
  readonly files = new Map<string, number>();
  /** Bytes the job's files read and wrote. */
  fileBytesRead = 0;
  fileBytesWritten = 0;

  constructor(private readonly sqsChunkBytes: number) {}

  fileRequest(operation: string): void {
    this.files.set(operation, (this.files.get(operation) ?? 0) + 1);
  }

  sqsCall(action: string, payloadBytes = 0): void {
    this.sqs++;
    this.sqsByAction.set(action, (this.sqsByAction.get(action) ?? 0) + 1);
    this.sqsBilled += Math.max(1, Math.ceil(payloadBytes / this.sqsChunkBytes));
  }
}
