import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { TransportError } from '../../mpi/errors.ts';
import { checkpointManifestKey, checkpointManifestPrefix, checkpointPartKey } from '../../job-store/keys.ts';
import type { CheckpointManifest, CheckpointObjects } from '../transport.ts';
import type { ClaimCheck } from './claim-check.ts';
import { sha256 } from './job-key.ts';

/**
 * A job's checkpoints as plain S3 objects under its prefix: one per rank and checkpoint, and a
 * manifest per complete checkpoint holding each part's length and SHA-256, so a part replaced or
 * cut short is refused at restore instead of restored.
 */
export class S3CheckpointObjects implements CheckpointObjects {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly jobId: string,
    private readonly claims: ClaimCheck,
  ) {}

  async write(checkpoint: number, rank: number, bytes: Uint8Array): Promise<string> {
    await this.claims.store(checkpointPartKey(this.jobId, checkpoint, rank), bytes);
    return `${bytes.byteLength}-${sha256(bytes).toString('hex')}`;
  }

  async read(checkpoint: number, rank: number): Promise<Uint8Array> {
    const manifest = await this.#manifest(checkpoint);
    if (!manifest) throw new TransportError('S3 GetObject', `checkpoint ${checkpoint} of job ${this.jobId} has no manifest (it never completed)`);
    const [length, digest] = (manifest.parts[rank] ?? '').split('-') as [string, string];
    const key = checkpointPartKey(this.jobId, checkpoint, rank);
    const fetched = await this.claims.fetchChecked(key, Number(length), Buffer.from(digest ?? '', 'hex'));
    if ('gone' in fetched) throw new TransportError('S3 GetObject', `s3://${this.bucket}/${key} is gone`);
    if ('mismatch' in fetched) throw new TransportError('S3 GetObject', fetched.mismatch);
    return fetched.bytes;
  }

  async complete(manifest: CheckpointManifest): Promise<void> {
    const body = Buffer.from(JSON.stringify(manifest));
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: checkpointManifestKey(this.jobId, manifest.checkpoint), Body: body, ContentType: 'application/json' }));
    } catch (error) {
      throw new TransportError('S3 PutObject', `writing checkpoint ${manifest.checkpoint}'s manifest failed: ${(error as Error).message}`, { cause: error });
    }
  }

  latest(): Promise<CheckpointManifest | undefined> {
    return latestCheckpoint(this.s3, this.bucket, this.jobId);
  }

  #manifest(checkpoint: number): Promise<CheckpointManifest | undefined> {
    return readManifest(this.s3, this.bucket, this.jobId, checkpoint);
  }
}

/** The job's latest complete checkpoint (the highest manifest), or undefined when none completed: what a retry restarts from. */
export async function latestCheckpoint(s3: S3Client, bucket: string, jobId: string): Promise<CheckpointManifest | undefined> {
  const prefix = checkpointManifestPrefix(jobId);
  let newest = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    for (const object of page.Contents ?? []) {
      const checkpoint = Number(/(\d+)\.json$/.exec(object.Key ?? '')?.[1] ?? 0);
      newest = Math.max(newest, checkpoint);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return newest === 0 ? undefined : readManifest(s3, bucket, jobId, newest);
}

async function readManifest(s3: S3Client, bucket: string, jobId: string, checkpoint: number): Promise<CheckpointManifest | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: checkpointManifestKey(jobId, checkpoint) }));
    return JSON.parse(await response.Body!.transformToString()) as CheckpointManifest;
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw new TransportError('S3 GetObject', `reading checkpoint ${checkpoint}'s manifest failed: ${(error as Error).message}`, { cause: error });
  }
}
