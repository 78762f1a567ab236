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

  constructor(private readonly sqsChunkBytes: number) {}

  sqsCall(action: string, payloadBytes = 0): void {
    this.sqs++;
    this.sqsByAction.set(action, (this.sqsByAction.get(action) ?? 0) + 1);
    this.sqsBilled += Math.max(1, Math.ceil(payloadBytes / this.sqsChunkBytes));
  }
}
