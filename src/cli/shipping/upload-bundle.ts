import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { TransportError } from '../../mpi/errors.ts';
import type { ProgramBundle } from './bundle-program.ts';
import { programBundleKey } from '../../job-store/keys.ts';

export interface Upload {
  key: string;
  /** False when the stage already had the bundle: nothing was sent. */
  uploaded: boolean;
}

/**
 * Puts the bundle under programs/ in the stage's bucket unless it is there already: its key is
 * its sha256, so an object with that key holds these very bytes (the functions verify it). The PUT
 * is conditional (If-None-Match: *), so two CLIs shipping the same program at once write it once.
 */
export async function uploadBundle(s3: S3Client, bucket: string, bundle: ProgramBundle): Promise<Upload> {
  const key = programBundleKey(bundle.hash);
  if (await objectExists(s3, bucket, key)) return { key, uploaded: false };
  try {
    await s3.send(new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: bundle.bytes,
      ContentType: 'text/javascript',
      IfNoneMatch: '*',
    }));
    return { key, uploaded: true };
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'PreconditionFailed' || e.$metadata?.httpStatusCode === 412 || e.name === 'ConditionalRequestConflict') return { key, uploaded: false };
    throw new TransportError('S3 PutObject', `shipping ${bundle.id} to s3://${bucket}/${key} failed: ${(error as Error).message}`, { cause: error });
  }
}

export async function objectExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return false;
    throw new TransportError('S3 HeadObject', `checking s3://${bucket}/${key} failed: ${(error as Error).message}`, { cause: error });
  }
}
