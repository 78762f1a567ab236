import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { TransportError } from '../../mpi/errors.ts';
import type { ByteFrame, Frame } from '../transport.ts';

/** Every object of a job lives under this prefix, so cleanup is one listing. */
export function jobPrefix(jobId: string): string {
  return `jobs/${jobId}/`;
}

/**
 * S3 sustains its request rates per key prefix; a job's bodies are spread over this many
 * (by sender), so thousands of ranks storing at once do not queue behind one prefix's rate.
 */
export const CLAIM_CHECK_PREFIXES = 16;

/**
 * A frame's body object: named by its link position, so a retried put overwrites itself, under
 * one of CLAIM_CHECK_PREFIXES prefixes.
 */
export function claimCheckKey(jobId: string, frame: Pick<Frame, 'source' | 'dest' | 'seq'>): string {
  const shard = (frame.source % CLAIM_CHECK_PREFIXES).toString(16);
  return `${jobPrefix(jobId)}frames/${shard}/${frame.source}-${frame.dest}-${frame.seq}`;
}

/** A shared object (SharedObjects) stored by `rank` as its `index`-th, spread like claim checks. */
export function sharedObjectKey(jobId: string, rank: number, index: number): string {
  return `${jobPrefix(jobId)}shared/${(rank % CLAIM_CHECK_PREFIXES).toString(16)}/${rank}-${index}`;
}

/**
 * Large bodies travel through S3 and the queue carries only the claim (the frame's header).
 * Uploads send the encoded bytes as they are; downloads stream into one buffer allocated at the
 * announced size, so a 1 GiB message is never held twice.
 */
export class ClaimCheck {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly jobId: string,
  ) {}

  put(frame: ByteFrame): Promise<void> {
    return this.store(claimCheckKey(this.jobId, frame), frame.body);
  }

  /** The body of a claim-checked frame, or undefined when its object is gone (already consumed). */
  fetch(frame: Frame, bodyLength: number): Promise<Uint8Array | undefined> {
    return this.load(claimCheckKey(this.jobId, frame), bodyLength);
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

  /** The object at `key` (announced as `bodyLength` bytes), or undefined when it is gone. */
  async load(key: string, bodyLength: number): Promise<Uint8Array | undefined> {
    let response;
    try {
      response = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw new TransportError('S3 GetObject', `fetching s3://${this.bucket}/${key} failed: ${(error as Error).message}`, { cause: error });
    }
    // Unpooled and offset 0: the codec's raw payload at offset 8 is then aligned for any element type.
    const body = Buffer.allocUnsafeSlow(bodyLength);
    let filled = 0;
    for await (const chunk of response.Body as Readable) {
      const bytes = chunk as Buffer;
      if (filled + bytes.byteLength > bodyLength) {
        throw new TransportError('S3 GetObject', `s3://${this.bucket}/${key} is longer than the ${bodyLength} bytes announced`);
      }
      bytes.copy(body, filled);
      filled += bytes.byteLength;
    }
    if (filled !== bodyLength) {
      throw new TransportError('S3 GetObject', `s3://${this.bucket}/${key} has ${filled} bytes, ${bodyLength} announced`);
    }
    return body;
  }
}
