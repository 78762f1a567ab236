import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { TransportError } from '../../mpi/errors.ts';
import type { ByteFrame, Frame, SharedObjects } from '../transport.ts';
import { sameBytes, sha256 } from './job-key.ts';
import { claimCheckKey, sharedObjectKey } from '../../job-store/keys.ts';

/** An object as fetched: its bytes, gone (the job's objects were deleted), or not what was announced. */
export type FetchedObject = { bytes: Uint8Array } | { gone: true } | { mismatch: string };

/**
 * Large bodies travel through S3 and the queue carries only the claim (the frame's header and the
 * body's SHA-256, authenticated with the rest of its message). Uploads send the encoded bytes as
 * they are; downloads stream into one buffer allocated at the announced size, so a 1 GiB message
 * is never held twice, and hash it as it comes: an object that is not the sender's (replaced by
 * anyone who can write the bucket) is refused, not delivered.
 */
export class ClaimCheck {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly jobId: string,
  ) {}

  /** Stores the frame's body; resolves to its SHA-256, which the frame then carries. */
  async put(frame: ByteFrame): Promise<Uint8Array> {
    const digest = sha256(frame.body);
    await this.store(claimCheckKey(this.jobId, frame), frame.body);
    return digest;
  }

  /** The body of a claim-checked frame, checked against its length and digest. */
  fetch(frame: Frame, bodyLength: number, bodyDigest: Uint8Array): Promise<FetchedObject> {
    return this.fetchChecked(claimCheckKey(this.jobId, frame), bodyLength, bodyDigest);
  }

  /** The object at `key`, which must be `bodyLength` bytes of SHA-256 `bodyDigest`. */
  async fetchChecked(key: string, bodyLength: number, bodyDigest: Uint8Array): Promise<FetchedObject> {
    const response = await this.get(key);
    if (!response) return { gone: true };
    const hash = createHash('sha256');
    const body = Buffer.allocUnsafeSlow(bodyLength);
    let filled = 0;
    for await (const chunk of response.Body as Readable) {
      const bytes = chunk as Buffer;
      if (filled + bytes.byteLength > bodyLength) {
        (response.Body as Readable).destroy();
        return { mismatch: `s3://${this.bucket}/${key} is longer than the ${bodyLength} bytes its frame announced` };
      }
      bytes.copy(body, filled);
      hash.update(bytes);
      filled += bytes.byteLength;
    }
    if (filled !== bodyLength) return { mismatch: `s3://${this.bucket}/${key} has ${filled} bytes, its frame announced ${bodyLength}` };
    if (!sameBytes(hash.digest(), bodyDigest)) return { mismatch: `s3://${this.bucket}/${key} is not the object its frame names (its SHA-256 differs)` };
    return { bytes: body };
  }

  private async get(key: string) {
    try {
      return await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw new TransportError('S3 GetObject', `fetching s3://${this.bucket}/${key} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async store(key: string, body: Uint8Array): Promise<void> {
    try {
      await this.s3.send(new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentLength: body.byteLength,
        ContentType: 'application/octet-stream',
      }));
    } catch (error) {
      throw new TransportError('S3 PutObject', `storing a ${body.byteLength}-byte message body at s3://${this.bucket}/${key} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}

/**
 * A rank's shared objects as S3 objects under the job's prefix, named by rank, count and SHA-256.
 * The name travels in an authenticated frame, so its digest vouches for the object's bytes.
 */
export function s3SharedObjects(claims: ClaimCheck, jobId: string, rank: number, threshold: number): SharedObjects {
  let count = 0;
  return {
    threshold,
    put: async (bytes) => {
      const index = count++;
      await claims.store(sharedObjectKey(jobId, rank, index), bytes);
      return `${rank}-${index}-${sha256(bytes).toString('hex')}`;
    },
    get: async (name, length) => {
      const [owner, index, digest] = name.split('-') as [string, string, string];
      const fetched = await claims.fetchChecked(sharedObjectKey(jobId, Number(owner), Number(index)), length, Buffer.from(digest, 'hex'));
      if ('gone' in fetched) throw new TransportError('S3 GetObject', `shared object ${owner}-${index} of job ${jobId} is gone (the job is over)`);
      // The value cannot be had: delivering other bytes would be worse than failing.
      if ('mismatch' in fetched) throw new TransportError('S3 GetObject', `shared object ${owner}-${index} of job ${jobId} was changed after it was stored: ${fetched.mismatch}`);
      return fetched.bytes;
    },
  };
}
