import type { RequestCounts } from './aws-counts.ts';
import type { AwsModelConstants } from './constants.ts';
import { FILE_REQUEST_TIERS } from './modeled-file-store.ts';

export interface ModeledCost {
  lambda: number;
  sqs: number;
  /** The Valkey channel's ECPUs (the cache's stored-data floor is the stage's, not a job's: docs/deploying.md). */
  valkey?: number;
  s3: number;
  /** Of `s3`: the job's file requests (File on S3). */
  files?: number;
  total: number;
}

/**
 * What the job costs at the constants' prices: Lambda by GB-second (each invocation's billed
 * milliseconds, rounded up) and by invocation, SQS by billed request, S3 by request tier.
 * Data transfer inside a region and seconds of storage are free or negligible.
 */
export function modelCost(constants: AwsModelConstants, counts: RequestCounts, billedMs: ArrayLike<number>, channel: 'sqs' | 'valkey' = 'sqs'): ModeledCost {
  const { prices } = constants;
  let gbSeconds = 0;
  for (let rank = 0; rank < billedMs.length; rank++) gbSeconds += (Math.ceil(billedMs[rank]!) / 1000) * (constants.lambdaMemoryMb / 1024);
  const lambda = gbSeconds * prices.lambda.gbSecond.arm64 + billedMs.length * prices.lambda.request;
  const s3 = counts.s3Put * prices.s3.putClass + counts.s3Get * prices.s3.getClass;
  let filesUsd = 0;
  for (const [operation, requests] of counts.files) {
    const tier = FILE_REQUEST_TIERS[operation];
    filesUsd += tier === 'get' ? requests * prices.s3.getClass : tier === 'put' ? requests * prices.s3.putClass : 0;
  }
  const files = counts.files.size > 0 ? { files: filesUsd } : {};
  if (channel === 'valkey') {
    const valkey = counts.sqsBilled * constants.prices.valkey.ecpu;
    return { lambda, sqs: 0, valkey, s3, ...files, total: lambda + valkey + s3 };
  }
  const sqs = counts.sqsBilled * prices.sqs.request;
  return { lambda, sqs, s3, ...files, total: lambda + sqs + s3 };
}
