import type { RequestCounts } from './aws-counts.ts';
import type { AwsModelConstants } from './constants.ts';

export interface ModeledCost {
  lambda: number;
  sqs: number;
  /** The Valkey channel's ECPUs (the cache's stored-data floor is the stage's, not a job's: docs/deploying.md). */
  valkey?: number;
  s3: number;
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
  if (channel === 'valkey') {
    const valkey = counts.sqsBilled * constants.valkey.ecpuUsd;
    return { lambda, sqs: 0, valkey, s3, total: lambda + valkey + s3 };
  }
  const sqs = counts.sqsBilled * prices.sqs.request;
  return { lambda, sqs, s3, total: lambda + sqs + s3 };
}
