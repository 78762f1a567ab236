import { RequestCounts } from './aws-counts.ts';
import { SharedLink } from './bandwidth.ts';
import type { AwsModelConstants } from './constants.ts';
import { SeededRandom } from './random.ts';
import { RequestRate } from './request-rate.ts';
import type { Scheduler } from './scheduler.ts';

/** S3 partitions request rates by key prefix: everything up to the last '/'. */
export function s3Prefix(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

/**
 * The AWS services one job uses, as the model sees them: request latencies drawn from the
 * constants' distributions, each Lambda's network as two shared links (out and in), S3's
 * per-prefix request rates, Lambda's scaling rate, and every request counted for the bill.
 * Request completions are handed to callbacks with their virtual times; callers turn them into
 * events.
 */
export class ModeledAws {
  readonly counts: RequestCounts;
  /** Keys of the objects the job stored: cleanup lists and deletes them. */
  readonly objectKeys = new Set<string>();
  /** Messages visible in a queue whose rank still reads it: they will make progress by themselves. */
  backlog = 0;
  private readonly random: SeededRandom;
  private readonly outbound: SharedLink[];
  private readonly inbound: SharedLink[];
  private readonly prefixRates = new Map<string, { put: RequestRate; get: RequestRate }>();
  private readonly newEnvironments: RequestRate;

  constructor(
    readonly scheduler: Scheduler,
    readonly constants: AwsModelConstants,
    seed: number,
  ) {
    this.counts = new RequestCounts(constants.sqsBilledChunkBytes);
    this.random = new SeededRandom(seed);
    const bytesPerMs = constants.lambdaBandwidthBytesPerSecond / 1000;
    this.outbound = Array.from({ length: scheduler.size }, () => new SharedLink(scheduler, bytesPerMs));
    this.inbound = Array.from({ length: scheduler.size }, () => new SharedLink(scheduler, bytesPerMs));
    this.newEnvironments = new RequestRate(constants.lambdaNewEnvironmentsPer10s / 10);
    scheduler.quiet = () => this.backlog === 0;
  }

  /** One request's latency around `median`, with the constants' tail. */
  latency(median: number): number {
    return this.random.latency(median, this.constants.latencyTailSigma);
  }

  // ---- S3 ----

  /**
   * PUT of `bytes` by `rank`: uploaded through its outbound link, then S3's answer. `jobObject`:
   * the job's own object, which cleanup deletes (a data file's part is not).
   */
  s3Put(rank: number, key: string, bytes: number, time: number, done: (time: number) => void, jobObject = true): void {
    this.counts.s3Put++;
    if (jobObject) this.objectKeys.add(key);
    const admitted = this.rateOf(key).put.admit(time);
    const latency = this.latency(this.constants.s3PutMs);
    this.send(this.outbound[rank]!, bytes, admitted, (uploaded) => done(uploaded + latency));
  }

  /** GET of `bytes` by `rank`: S3's first byte, then the body through its inbound link. */
  s3Get(rank: number, key: string, bytes: number, time: number, done: (time: number) => void): void {
    this.counts.s3Get++;
    const admitted = this.rateOf(key).get.admit(time);
    this.send(this.inbound[rank]!, bytes, admitted + this.latency(this.constants.s3GetMs), done);
  }

  /** A HEAD, or a LIST (billed as a PUT), answered like a GET: its answer's time. */
  s3Small(tier: 'put' | 'get', time: number): number {
    if (tier === 'put') this.counts.s3Put++;
    else this.counts.s3Get++;
    return time + this.latency(this.constants.s3GetMs);
  }

  /** DeleteObjects (free): its answer's time. */
  s3Delete(time: number): number {
    this.counts.s3Delete++;
    return time + this.latency(this.constants.s3PutMs);
  }

  // ---- SQS ----

  /**
   * An SQS request by `rank` carrying `payloadBytes`: it reaches SQS half a latency after its
   * payload is out (`reached`), and its answer is back one latency after (`answered`).
   */
  sqsRequest(rank: number, payloadBytes: number, time: number, reached: (time: number) => void, answered: (time: number) => void): void {
    this.counts.sqsCall('SendMessageBatch', payloadBytes);
    const latency = this.latency(this.constants.sqsRequestMs);
    this.send(this.outbound[rank]!, payloadBytes, time, (sent) => {
      this.scheduler.atService(sent + latency / 2, reached);
      answered(sent + latency);
    });
  }

  /** The answer of a receive leaving SQS at `time` with `payloadBytes` reaches `rank` then. */
  sqsAnswer(rank: number, payloadBytes: number, time: number, latency: number, arrived: (time: number) => void): void {
    this.counts.sqsBilled += Math.max(0, Math.ceil(payloadBytes / this.constants.sqsBilledChunkBytes) - 1);
    this.send(this.inbound[rank]!, payloadBytes, time + latency / 2, arrived);
  }

  /** A latency for one long poll: half of it on the way in, half on the way out. */
  pollLatency(): number {
    return this.latency(this.constants.sqsRequestMs);
  }

  /** A small SQS call (GetQueueAttributes, DeleteMessageBatch): its answer's time. */
  sqsSmall(action: string, time: number): number {
    this.counts.sqsCall(action);
    return time + this.latency(this.constants.sqsRequestMs);
  }

  /** CreateQueue or DeleteQueue: its answer's time. */
  sqsQueueControl(action: 'CreateQueue' | 'DeleteQueue', time: number): number {
    this.counts.sqsCall(action);
    return time + this.latency(this.constants.sqsQueueControlMs);
  }

  // ---- Lambda ----

  /**
   * An asynchronous Invoke at `time`: when the call answers, and when the invoked handler runs
   * (a cold environment first waits for Lambda's scaling rate, then initializes).
   */
  invoke(time: number, warm: boolean): { answeredAt: number; handlerAt: number } {
    this.counts.lambdaInvoke++;
    const answeredAt = time + this.latency(this.constants.lambdaInvokeApiMs);
    const queuedAt = time + this.latency(this.constants.lambdaAsyncStartMs);
    if (warm) return { answeredAt, handlerAt: queuedAt };
    return { answeredAt, handlerAt: this.newEnvironments.admit(queuedAt) + this.latency(this.constants.lambdaColdStartMs) };
  }

  /**
   * Starts a transfer on a link at `time`. Links advance in time order, so a transfer that
   * starts later than now waits for its moment in the event queue.
   */
  private send(link: SharedLink, bytes: number, time: number, done: (time: number) => void): void {
    if (bytes <= 0) {
      done(time);
      return;
    }
    this.scheduler.atService(time, (at) => link.transfer(bytes, at, done));
  }

  private rateOf(key: string): { put: RequestRate; get: RequestRate } {
    const prefix = s3Prefix(key);
    let rates = this.prefixRates.get(prefix);
    if (!rates) {
      rates = { put: new RequestRate(this.constants.s3PutsPerSecondPerPrefix), get: new RequestRate(this.constants.s3GetsPerSecondPerPrefix) };
      this.prefixRates.set(prefix, rates);
    }
    return rates;
  }
}
