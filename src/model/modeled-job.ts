import { DEFAULT_MAX_MESSAGE_BYTES } from '../config.ts';
import { wireLimits, type WireLimits } from '../transport/aws/wire.ts';
import type { JobTransportsFactory } from '../transport/job-transports.ts';
import type { ByteFrame, CheckpointManifest } from '../transport/transport.ts';
import { AWS_MODEL_DEFAULTS, type AwsModelConstants } from './constants.ts';
import { ModeledAws } from './modeled-aws.ts';
import { ModeledQueue } from './modeled-queue.ts';
import { ModelTransport, scaledBodyBytes, scaledPayloadBytes, type ModelTransportHost } from './model-transport.ts';
import { Scheduler, type CpuMeter } from './scheduler.ts';

export interface ModelPlacementOptions {
  constants?: AwsModelConstants;
  /** Seeds every latency draw (default 1). */
  seed?: number;
  /** Modeled ms per ms of CPU used here; default: the Lambda's share of a vCPU (full-vCPU memory / memory). */
  cpuScale?: number;
  /** How CPU is measured (tests pass their own). */
  meter?: CpuMeter;
  /** TypedArray payloads count as this many times their size (default 1). */
  payloadScale?: number;
  /** The queues' maximum message size (default: the AWS transport's). */
  maxMessageBytes?: number;
  /** The receive loop's long-poll wait, seconds (default 20, as the AWS transport's). */
  receiveWaitSeconds?: number;
  /**
   * When true (default), every rank's process is up at time 0. The start-up model sets it to
   * false and says when each rank is up.
   */
  ranksUpAtOnce?: boolean;
  /** Hears each job the placement makes, before any rank runs. */
  onJob?: (job: ModeledJob) => void;
  /**
   * What carries the frames: 'sqs' (default: one queue per rank) or 'valkey' (one list per rank
   * in ElastiCache Serverless: its commands take the place of SQS's requests, at its latency and
   * ECPU prices, in raw bytes; bodies above its claim-check threshold through S3).
   */
  channel?: ModelChannel;
}

export type ModelChannel = 'sqs' | 'valkey';

/** Modeled ms per ms of local CPU for a function of `memoryMb`: CPU is allocated in proportion to memory. */
export function lambdaCpuScale(constants: AwsModelConstants): number {
  return constants.lambdaFullVcpuMemoryMb / constants.lambdaMemoryMb;
}

/**
 * One job on the modeled platform: its scheduler (the ranks' clock), its services, one queue
 * and one transport per rank, and when each rank closed.
 */
export class ModeledJob implements ModelTransportHost {
  readonly scheduler: Scheduler;
  readonly aws: ModeledAws;
  readonly queues: ModeledQueue[];
  readonly limits: WireLimits;
  readonly maxMessageBytes: number;
  readonly constants: AwsModelConstants;
  /** Virtual ms at which each rank's transport closed (its process could end), or NaN. */
  readonly closedAt: Float64Array;
  readonly sharedBytes = new Map<string, Uint8Array>();
  readonly channel: ModelChannel;
  /** Whether messages travel as base64 text (SQS) or raw bytes (Valkey). */
  readonly base64: boolean;
  readonly checkpointManifests = new Map<number, CheckpointManifest>();
  private readonly transports: ModelTransport[] = [];
  private readonly payloadScale: number;
  private readonly upAtOnce: boolean;
  private readonly upAt: Array<number | undefined> = [];

  constructor(
    readonly jobId: string,
    readonly size: number,
    options: ModelPlacementOptions,
  ) {
    this.constants = options.constants ?? AWS_MODEL_DEFAULTS;
    this.scheduler = new Scheduler({
      size,
      epochMs: Math.floor(Date.now()),
      cpuScale: options.cpuScale ?? lambdaCpuScale(this.constants),
      ...(options.meter ? { meter: options.meter } : {}),
    });
    this.channel = options.channel ?? 'sqs';
    this.base64 = this.channel === 'sqs';
    this.aws = new ModeledAws(this.scheduler, this.channel === 'valkey' ? valkeyAsQueues(this.constants) : this.constants, options.seed ?? 1);
    const waitMs = (options.receiveWaitSeconds ?? 20) * 1000;
    this.queues = Array.from({ length: size }, () => new ModeledQueue(this.aws, waitMs));
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.limits = this.channel === 'valkey'
      ? { maxRawBytes: this.maxMessageBytes, claimCheckThreshold: this.constants.valkey.claimCheckBytes }
      : wireLimits(this.maxMessageBytes);
    this.payloadScale = options.payloadScale ?? 1;
    this.closedAt = new Float64Array(size).fill(Number.NaN);
    this.upAtOnce = options.ranksUpAtOnce ?? true;
  }

  transport(rank: number): ModelTransport {
    const transport = new ModelTransport(this, rank);
    this.transports[rank] = transport;
    const upAt = this.upAtOnce ? 0 : this.upAt[rank];
    if (upAt !== undefined) transport.beginReceiving(upAt);
    return transport;
  }

  /** Rank `rank`'s process is up at `time`: its receive loop starts. */
  rankUp(rank: number, time: number): void {
    this.upAt[rank] = time;
    this.transports[rank]?.beginReceiving(time);
  }

  rankClosed(rank: number, time: number): void {
    if (Number.isNaN(this.closedAt[rank]!)) this.closedAt[rank] = time;
  }

  modeledBodyBytes(frame: ByteFrame): number {
    return scaledBodyBytes(frame, this.payloadScale);
  }

  modeledObjectBytes(bytes: Uint8Array): number {
    return scaledPayloadBytes(bytes, this.payloadScale);
  }
}

/**
 * The Valkey channel on the modeled services: its commands are modeled as the queue requests
 * they replace (a push as a send, a blocking pop as a long poll that the first push wakes), at
 * the cache's latency; each bills per KB moved (ECPUs, counted where SQS counts billed
 * requests). The SQS receive loop's shape (a poll for one, then drains of ten, up to four
 * pollers) stands in for BLMPOP's up to 256 at once: a little slow under bursts, never fast.
 */
function valkeyAsQueues(constants: AwsModelConstants): AwsModelConstants {
  return { ...constants, sqsRequestMs: constants.valkey.requestMs, sqsBilledChunkBytes: constants.valkey.ecpuBytes, sqsQueueReadyDelayMs: 0 };
}

/**
 * The model as a placement: runLocal runs the job's ranks in this process over ModelTransports,
 * on the model's clock. The MPI core, the collectives and the runtime run unchanged.
 */
export function modelChannels(options: ModelPlacementOptions = {}): JobTransportsFactory {
  return async (jobId, size) => {
    const job = new ModeledJob(jobId, size, options);
    options.onJob?.(job);
    void job.scheduler.start();
    return {
      transport: (rank) => job.transport(rank),
      dispose: async () => job.scheduler.stop(),
      clock: job.scheduler,
    };
  };
}
