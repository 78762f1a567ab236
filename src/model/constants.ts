import { priceTableFor, VALKEY_ECPU_BYTES, type PriceTable } from '../cost/price-table.ts';

/**
 * The AWS figures the model runs on: one table, dated, each figure with where it comes from.
 * "published" = AWS documentation or a public measurement; "assumed" = no published figure was
 * found, the value is a stated guess to be replaced by a measurement on AWS.
 * Latencies are medians; every request's latency is drawn from a log-normal distribution with
 * that median and the tail given by `latencyTailSigma`.
 */
export interface AwsModelConstants {
  /** The day these figures were collected. */
  readonly asOf: string;
  /** Median latency of one SQS data-plane request (SendMessageBatch, ReceiveMessage returning, DeleteMessageBatch, GetQueueAttributes), ms. */
  readonly sqsRequestMs: number;
  /** Median latency of CreateQueue and DeleteQueue (control plane), ms. */
  readonly sqsQueueControlMs: number;
  /** How long a new queue is left alone before use, ms (AWS asks for one second after CreateQueue). */
  readonly sqsQueueReadyDelayMs: number;
  /** Median S3 PUT latency once the body is uploaded, ms. */
  readonly s3PutMs: number;
  /** Median S3 GET (and HEAD, LIST) latency to the first byte, ms. */
  readonly s3GetMs: number;
  /** S3 request rates one key prefix sustains, per second. */
  readonly s3PutsPerSecondPerPrefix: number;
  readonly s3GetsPerSecondPerPrefix: number;
  /** Network bandwidth of one Lambda execution environment, each direction, shared by its concurrent transfers, bytes/s. */
  readonly lambdaBandwidthBytesPerSecond: number;
  /** Median latency of an asynchronous Invoke call (the API's answer), ms. */
  readonly lambdaInvokeApiMs: number;
  /** Median time from an asynchronous Invoke call until the invoked handler runs, warm, ms. */
  readonly lambdaAsyncStartMs: number;
  /** Extra time before the handler of a new (cold) execution environment runs, ms; billed. */
  readonly lambdaColdStartMs: number;
  /** New execution environments per function per 10 s (refilled continuously). */
  readonly lambdaNewEnvironmentsPer10s: number;
  /** Concurrent executions the account allows (Lambda's default quota). */
  readonly accountConcurrency: number;
  /** Memory of the run and worker functions, MB (serverless.yml's default stage). */
  readonly lambdaMemoryMb: number;
  /** Memory at which a function gets one full vCPU, MB: CPU is allocated in proportion to memory. */
  readonly lambdaFullVcpuMemoryMb: number;
  /** Shape of every latency's tail: the log-normal's σ (p99 = median · e^(2.326σ)). */
  readonly latencyTailSigma: number;
  /** SQS bills each started 64 KiB of a request's payload as one request. */
  readonly sqsBilledChunkBytes: number;
  /** What AWS charges: the CLI's dated price table (us-east-1, Lambda on arm64). */
  readonly prices: PriceTable;
  /** The Valkey channel (`--channel valkey`): ElastiCache Serverless for Valkey. */
  readonly valkey: ValkeyModelConstants;
}

/** The figures of the Valkey channel; its requests take the place of SQS's, S3 and Lambda stay. */
export interface ValkeyModelConstants {
  /** Median latency of one command from a Lambda in the cache's VPC (a push answered, a waiting pop woken), ms. */
  readonly requestMs: number;
  /** Bytes one ECPU covers: a command moving b bytes bills max(1, ⌈b / this⌉) ECPUs (its price is in `prices`). */
  readonly ecpuBytes: number;
  /** Frame bodies above this go through S3 (the Valkey transport's default claim-check threshold). */
  readonly claimCheckBytes: number;
}

export const AWS_MODEL_DEFAULTS: AwsModelConstants = Object.freeze({
  asOf: '2026-11-25',
  // published: softwaremill, "Amazon SQS performance and latency" (2017); AWS's own 2012
  // re-measurement of SQS (16 ms to send 1 KB); issue 12's paper model.
  sqsRequestMs: 15,
  // assumed: no published figure; 50 ms with the tail below gives issue 12's paper model
  // (1,000 queues created in waves of 16 ≈ 7-10 s).
  sqsQueueControlMs: 50,
  // published: SQS CreateQueue documentation ("wait at least one second after the queue is created").
  sqsQueueReadyDelayMs: 1_000,
  // issue 12's figures (PUT ~30 ms, GET ~20 ms to first byte); FMI (ICS'23) models ~40 ms per
  // S3 message, put and get together.
  s3PutMs: 30,
  s3GetMs: 20,
  // published: S3 performance guidelines, per partitioned prefix.
  s3PutsPerSecondPerPrefix: 3_500,
  s3GetsPerSecondPerPrefix: 5_500,
  // published: FMI (ICS'23) "tens of MB/s per function"; issue 12 takes ~75 MB/s.
  lambdaBandwidthBytesPerSecond: 75e6,
  // assumed: the Invoke API answers an Event invocation once queued.
  lambdaInvokeApiMs: 25,
  // issue 12: asynchronous Invoke ~100 ms to start, cold start ~400 ms (Node.js, small bundle).
  lambdaAsyncStartMs: 100,
  lambdaColdStartMs: 400,
  // published: Lambda scaling behavior (1,000 environments every 10 s per function); quotas (1,000).
  lambdaNewEnvironmentsPer10s: 1_000,
  accountConcurrency: 1_000,
  // serverless.yml (default stage: 1,024 MB); Lambda docs: 1,769 MB = 1 vCPU.
  lambdaMemoryMb: 1_024,
  lambdaFullVcpuMemoryMb: 1_769,
  // assumed: p99 ≈ 3.2 × median, p99.9 ≈ 4.7 × median (hfernandes.com, "SQS's slow tail
  // latency", reports tails of that order); replace with a measured tail.
  latencyTailSigma: 0.5,
  // published: SQS pricing.
  sqsBilledChunkBytes: 64 * 1024,
  // The one table of prices, which the cost of a real run uses too.
  prices: priceTableFor('us-east-1').table,
  valkey: Object.freeze({
    // assumed: ElastiCache documents "sub-millisecond" typical latency; a Lambda in the same VPC
    // adds its network hop. 0.5 ms until measured on AWS (FMI models Redis at ~5 ms a message,
    // an upper bound from a Redis on EC2).
    requestMs: 0.5,
    // published: ElastiCache pricing, Serverless (1 ECPU per KB transferred by a simple command).
    ecpuBytes: VALKEY_ECPU_BYTES,
    // src/transport/valkey/valkey-settings.ts (where a push and pop cost what an S3 PUT and GET cost).
    claimCheckBytes: 1024 * 1024,
  }),
});
