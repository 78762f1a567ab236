import { getsFor } from '../file/read-plan.ts';
import { partRange, planWrite } from '../file/write-plan.ts';
import { AWS_MODEL_DEFAULTS, type AwsModelConstants } from './constants.ts';

/**
 * File on S3 at scale, in closed form from the model's figures (constants.ts): each rank's link
 * carries its bytes at the modeled per-function bandwidth, and one object's requests share one
 * prefix's request rate. The figures `lambda-mpi model` and the bench print for a job's files.
 */

export interface ModeledFileRead {
  ranks: number;
  bytes: number;
  /** HEAD at open plus every rank's GETs. */
  gets: number;
  /** The slowest rank's share through its link, after the first byte. */
  transferSeconds: number;
  /** The GETs at the prefix's rate: the bound when there are many ranks and small shares. */
  requestRateSeconds: number;
  seconds: number;
  usd: number;
}

/** readPartition of `bytes` over `ranks` (one object): every rank's share at its link's rate, the GETs at the prefix's. */
export function modelPartitionRead(bytes: number, ranks: number, constants: AwsModelConstants = AWS_MODEL_DEFAULTS): ModeledFileRead {
  const share = Math.ceil(bytes / ranks);
  // Each share's first read reaches 64 KiB past its nominal end, for the next delimiter.
  const gets = 1 + ranks * getsFor(Math.min(bytes, share + 64 * 1024));
  const transferSeconds = Math.min(bytes, share + 64 * 1024) / constants.lambdaBandwidthBytesPerSecond;
  const requestRateSeconds = gets / constants.s3GetsPerSecondPerPrefix;
  // The HEAD at open, then the GETs' first byte, then the share.
  const seconds = Math.max((2 * constants.s3GetMs) / 1000 + transferSeconds, requestRateSeconds);
  return { ranks, bytes, gets, transferSeconds, requestRateSeconds, seconds, usd: gets * constants.prices.s3.getClass };
}

export interface ModeledFileWrite {
  ranks: number;
  bytes: number;
  parts: number;
  aggregators: number;
  /** Bytes that travel from a writer to another rank (its aggregator) before upload. */
  shippedBytes: number;
  /** CreateMultipartUpload, the parts, CompleteMultipartUpload. */
  puts: number;
  seconds: number;
  usd: number;
}

/**
 * writeOrdered of `bytes` in equal shares by `ranks`, then close: the aggregators receive what of
 * their domains other ranks wrote and upload their domains; the start and the completion are one
 * request each on rank 0.
 */
export function modelOrderedWrite(bytes: number, ranks: number, constants: AwsModelConstants = AWS_MODEL_DEFAULTS): ModeledFileWrite {
  const share = bytes / ranks;
  const plan = planWrite(bytes, ranks, undefined, Array.from({ length: ranks }, (_, rank) => ({ rank, offset: rank * share, length: share })));
  let shippedBytes = 0;
  let slowestAggregatorBytes = 0;
  for (const domain of plan.domains) {
    let received = 0;
    let uploaded = 0;
    for (let part = domain.firstPart; part < domain.firstPart + domain.partCount; part++) {
      const { start, end } = partRange(plan, part);
      // The aggregator's own share within the part needs no message.
      const own = Math.max(0, Math.min(end, (domain.aggregator + 1) * share) - Math.max(start, domain.aggregator * share));
      received += end - start - own;
      uploaded += end - start;
    }
    shippedBytes += received;
    // Inbound and outbound are separate directions of the link, but a round receives before it uploads.
    slowestAggregatorBytes = Math.max(slowestAggregatorBytes, received + uploaded);
  }
  const puts = 2 + Math.max(plan.parts, 1);
  const transfer = slowestAggregatorBytes / constants.lambdaBandwidthBytesPerSecond;
  const seconds = Math.max((2 * constants.s3PutMs) / 1000 + transfer, puts / constants.s3PutsPerSecondPerPrefix);
  return { ranks, bytes, parts: Math.max(plan.parts, 1), aggregators: plan.domains.length, shippedBytes, puts, seconds, usd: puts * constants.prices.s3.putClass };
}
