import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { TransportError } from '../../mpi/errors.ts';
import type { ByteFrame, Frame } from '../transport.ts';

/** Every object of a job lives under this prefix, so cleanup is one listing. */
export function jobPrefix(jobId: string): string {
  return `jobs/${jobId}/`;
}

/** A frame's body object: named by its link position, so a retried put overwrites itself. */
export function claimCheckKey(jobId: string, frame: Pick<Frame, 'source' | 'dest' | 'seq'>): string {
  return `${jobPrefix(jobId)}frames/${frame.source}-${frame.dest}-${frame.seq}`;
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

  async put(frame: ByteFrame): Promise<void> {
    const key = claimCheckKey(this.jobId, frame);
    try {
      await this.s3.send(new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: frame.body,
        ContentLength: frame.body.byteLength,
        ContentType: 'application/octet-stream',
      }));
    } catch (error) {
      throw new TransportError('S3 PutObject', `storing a ${frame.body.byteLength}-byte message body at s3://${this.bucket}/${key} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  /** The body of a claim-checked frame, or undefined when its object is gone (already consumed). */
  async fetch(frame: Frame, bodyLength: number): Promise<Uint8Array | undefined> {
    const key = claimCheckKey(this.jobId, frame);
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
