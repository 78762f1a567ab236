import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { heartbeatMsFor } from '../runtime/job-events.ts';
import type { LivenessOptions } from '../runtime/liveness.ts';
import { readBusy } from './job-liveness.ts';
import type { LambdaConfig } from './lambda-config.ts';
import { rankClaimKey } from '../job-store/keys.ts';

/**
 * How the ranks of a job on Lambda keep each other informed of their lives: the pace of their
 * heartbeats on the watcher channel, rank 0's limits, and where the pulse thread comes from.
 */

/**
 * A rank with nothing else to say sends a heartbeat this often: a fourth of the silence limit,
 * since a heartbeat goes out only after a full interval without any other batch (so two may be up
 * to two intervals apart) and then travels through SQS; in a job too large for rank 0 to hear
 * them all that often, more slowly (heartbeatMsFor).
 */
export function heartbeatPace(config: Pick<LambdaConfig, 'silenceMs'>, size: number): { heartbeatMs: number } {
  return { heartbeatMs: heartbeatMsFor(size, Math.max(500, Math.floor(config.silenceMs / 4))) };
}

/**
 * A worker's pulse vouches for its rank once no event of the rank was stored for this long: an
 * alive rank whose events get through stores one at least every two heartbeats, so the pulse
 * writes only when the rank is busy or its sends are held up, and its marker is fresh when rank 0
 * (whose limit is four heartbeats) would judge it.
 */
export function quietAfterMs(heartbeatMs: number): number {
  return 2 * heartbeatMs + 1_000;
}

/** How long a rank of a job of `size` ranks may go unheard: the stage's limit, or four of its slower heartbeats. */
export function silenceLimitMs(config: Pick<LambdaConfig, 'silenceMs'>, size: number): number {
  return Math.max(config.silenceMs, 4 * heartbeatPace(config, size).heartbeatMs);
}

/** Rank 0's limits and what it reads to judge the others (the start-up tree, busy markers in S3). */
export function rankZeroLiveness(config: LambdaConfig, s3: S3Client, jobId: string, fanout: number, size: number, generation = 0): LivenessOptions {
  return {
    startDeadlineMs: config.startDeadlineMs,
    silenceMs: silenceLimitMs(config, size),
    parentOf: (rank) => Math.floor((rank - 1) / fanout),
    busyAt: (rank) => readBusy(s3, config.aws.bucket, jobId, rank),
    claimedAt: async (rank) => {
      const head = await s3.send(new HeadObjectCommand({ Bucket: config.aws.bucket, Key: rankClaimKey(jobId, rank, generation) })).catch(() => undefined);
      return head?.LastModified?.getTime();
    },
  };
}

/**
 * The module a pulse thread loads: the function's own bundle (whose handler runs the pulse when
 * loaded in one). Unbundled sources (.ts, under a test runner) cannot be loaded in a thread.
 */
export function pulseEntry(): URL | undefined {
  const url = new URL(import.meta.url);
  return /\.m?js$/.test(url.pathname) ? url : undefined;
}
