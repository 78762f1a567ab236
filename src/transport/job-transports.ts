import type { Clock } from './clock.ts';
import type { AwsRankTransportSpec } from './aws/aws-rank-transport.ts';
import type { ValkeyRankTransportSpec } from './valkey/valkey-rank-transport.ts';
import type { Transport } from './transport.ts';
import type { RequestCounts } from './request-counts.ts';

/** The transports of one job's ranks in this process, and the cleanup of what they created. */
export interface JobTransports {
  transport(rank: number): Transport;
  /** Deletes the job's resources; runs also when the job failed. */
  dispose(): Promise<void>;
  /** The time the ranks live in; real time when absent (a simulated placement brings its own). */
  readonly clock?: Clock;
  /**
   * For ranks in worker threads: plain data from which each thread opens its own rank's
   * transport. Absent when the transports work only in this thread.
   */
  readonly forThreads?: RemoteRankTransportSpec;
  /** The requests the transports sent so far (transports over AWS). */
  requests?(): RequestCounts;
}

/** What a rank's thread opens its transport between processes from (SQS/S3 or Valkey). */
export type RemoteRankTransportSpec = AwsRankTransportSpec | ValkeyRankTransportSpec;

/** Makes the transports of one job: its queues or in-memory links, for ranks 0..size-1. */
export type JobTransportsFactory = (jobId: string, size: number) => Promise<JobTransports>;
