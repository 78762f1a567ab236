/**
 * What a job's AWS requests were (RunResult.requests), by service and operation, with the bytes
 * each way: counted by the AWS backend's meter (aws/request-meter.ts), summed over ranks by rank 0
 * and priced by the cost estimate. A transport's figures, not its internals: the runtime, the
 * model and the cost estimate read them without knowing the backend.
 */
/**
 * `files`: the requests of a program's File calls on its data objects (S3 operation names, priced
 * as S3's). `valkey`: the commands of a job on the Valkey channel (ElastiCache Serverless), by
 * command name.
 */
export type AwsService = 'sqs' | 's3' | 'lambda' | 'files' | 'valkey';

export interface RequestCount {
  requests: number;
  /** HTTP request bodies, bytes. */
  bytesSent: number;
  /** HTTP response bodies, bytes (as their Content-Length says). */
  bytesReceived: number;
  /**
   * SQS bills a request per 64 KiB chunk of its payload: the chunks of these requests, counted on
   * the larger of the request and response bodies (the JSON around the payload included: an
   * estimate that errs high by a few bytes a message). Absent for other services.
   */
  billedChunks?: number;
  /**
   * ElastiCache Serverless bills ECPUs: one per KiB a command moves, at least one a command (the
   * larger of what it sent and what it answered; Valkey's bytes are its commands' arguments and
   * the replies that carry data, valkey-connection.ts). Absent for other services.
   */
  ecpus?: number;
}

/** Counts by service, then by operation name (SendMessageBatch, PutObject, …). */
export type RequestCounts = Partial<Record<AwsService, Record<string, RequestCount>>>;

/** Adds `more` into `into` (and returns it). */
export function addRequestCounts(into: RequestCounts, more: RequestCounts | undefined): RequestCounts {
  for (const [service, operations] of Object.entries(more ?? {}) as Array<[AwsService, Record<string, RequestCount>]>) {
    const target = (into[service] ??= {});
    for (const [operation, count] of Object.entries(operations)) {
      const sum = (target[operation] ??= { requests: 0, bytesSent: 0, bytesReceived: 0 });
      sum.requests += count.requests;
      sum.bytesSent += count.bytesSent;
      sum.bytesReceived += count.bytesReceived;
      if (count.billedChunks !== undefined) sum.billedChunks = (sum.billedChunks ?? 0) + count.billedChunks;
      if (count.ecpus !== undefined) sum.ecpus = (sum.ecpus ?? 0) + count.ecpus;
    }
  }
  return into;
}
