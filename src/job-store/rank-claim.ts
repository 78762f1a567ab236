import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AwsSettings } from '../config.ts';
import { ConfigurationError, TransportError } from '../mpi/errors.ts';
import { explainAwsError } from '../transport/aws/aws-errors.ts';
import { rankClaimKey } from './keys.ts';

/**
 * Lambda may deliver an asynchronous invocation more than once. Each rank claims its start with
 * a conditional write (If-None-Match: *): only the first start of a rank of a job succeeds, a
 * second one is refused by S3 itself, so no two processes ever serve one rank.
 */
export async function claimRank(s3: S3Client, bucket: string, jobId: string, rank: number, key = rankClaimKey(jobId, rank)): Promise<boolean> {
  try {
    await s3.send(new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: new Date().toISOString(),
      IfNoneMatch: '*',
    }));
    return true;
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'PreconditionFailed' || e.$metadata?.httpStatusCode === 412 || e.name === 'ConditionalRequestConflict') return false;
    // An unreachable S3 or a missing bucket is a ConfigurationError naming it; anything else a TransportError.
    const explained = explainAwsError(error, { service: 's3', settings: { bucket } as AwsSettings, operation: 'S3 PutObject' });
    if (explained instanceof ConfigurationError) throw explained;
    throw new TransportError('S3 PutObject', `claiming rank ${rank} of job ${jobId} failed: ${(error as Error).message}`, { cause: error });
  }
}

