import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand,
  HeadObjectCommand, S3Client, S3ServiceException, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { fileS3SettingsFromEnv } from '../config.ts';
import { bodyBytes } from './body-bytes.ts';
import { FileError } from './file-errors.ts';
import { countFileRequest } from './file-requests.ts';
import type { FileStore, UploadedPart } from './file-store.ts';
import type { FileLocation } from './file-url.ts';
import { pendingUploadNotesOf } from './job-file-stores.ts';

/**
 * One client per job in this process (or thread), from the SDK's standard configuration, made
 * while the job's program runs: on a stage that is when the environment holds the job's narrowed
 * credentials, which the client then keeps. The few most recent jobs' clients are kept; an older
 * one is closed.
 */
const clients = new Map<string, S3Client>();
const KEPT_CLIENTS = 8;

function clientFor(jobId: string | undefined): S3Client {
  const key = jobId ?? '';
  let client = clients.get(key);
  if (!client) {
    client = new S3Client({
      ...fileS3SettingsFromEnv(),
      // Checksums only where S3 requires them (see src/transport/aws/clients.ts: local servers).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 4,
    });
    clients.set(key, client);
    if (clients.size > KEPT_CLIENTS) {
      const [oldest, old] = clients.entries().next().value!;
      clients.delete(oldest);
      old.destroy();
    }
  }
  return client;
}

/** A file that is an S3 object: HEAD, ranged GET, one multipart upload. */
export class S3Store implements FileStore {
  jobId?: string;
  readonly location: FileLocation & { kind: 's3' };
  readonly #given: S3Client | undefined;

  constructor(location: FileLocation & { kind: 's3' }, s3?: S3Client) {
    this.location = location;
    this.#given = s3;
  }

  get #s3(): S3Client {
    return this.#given ?? clientFor(this.jobId);
  }

  async size(): Promise<number | undefined> {
    const { bucket, key } = this.location;
    countFileRequest(this.jobId, 'HeadObject');
    try {
      const head = await this.#s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.#failure('HEAD', error);
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (length === 0) return new Uint8Array(0);
    const { bucket, key } = this.location;
    try {
      const got = await this.#s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${offset}-${offset + length - 1}` }));
      const bytes = await bodyBytes(got.Body!, length);
      countFileRequest(this.jobId, 'GetObject', 0, bytes.length);
      if (bytes.length !== length) {
        throw new FileError(this.location.url, 'failed', `a ranged GET of bytes ${offset}..${offset + length - 1} returned ${bytes.length} bytes (the object changed while open?)`);
      }
      return bytes;
    } catch (error) {
      if (error instanceof FileError) throw error;
      throw this.#failure('GET', error);
    }
  }

  async startUpload(): Promise<string> {
    const { bucket, key } = this.location;
    countFileRequest(this.jobId, 'CreateMultipartUpload');
    try {
      const started = await this.#s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const uploadId = started.UploadId!;
      await this.#noteForCleanup(uploadId);
      return uploadId;
    } catch (error) {
      if (error instanceof FileError) throw error;
      throw this.#failure('CreateMultipartUpload', error);
    }
  }

  /** Notes the upload for the job's cleanup, before any part is sent; an upload that cannot be noted is aborted. */
  async #noteForCleanup(uploadId: string): Promise<void> {
    const notes = pendingUploadNotesOf();
    if (!notes) return;
    const { bucket, key } = this.location;
    try {
      await notes.note({ bucket, key, uploadId });
    } catch (error) {
      await this.abortUpload(uploadId).catch(() => undefined);
      throw new FileError(this.location.url, 'failed', `the upload could not be noted for the job's cleanup (nothing was written): ${(error as Error).message}`, { cause: error });
    }
  }

  async uploadPart(uploadId: string, partNumber: number, bytes: Uint8Array): Promise<UploadedPart> {
    const { bucket, key } = this.location;
    countFileRequest(this.jobId, 'UploadPart', bytes.length);
    try {
      const uploaded = await this.#s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: bytes, ContentLength: bytes.length }));
      return { partNumber, etag: uploaded.ETag! };
    } catch (error) {
      throw this.#failure(`UploadPart ${partNumber}`, error);
    }
  }

  async completeUpload(uploadId: string, parts: readonly UploadedPart[], exclusive: boolean): Promise<void> {
    const { bucket, key } = this.location;
    countFileRequest(this.jobId, 'CompleteMultipartUpload');
    try {
      await this.#s3.send(new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })) },
        // 'wx': S3's conditional write refuses the completion if the key appeared since open.
        ...(exclusive ? { IfNoneMatch: '*' } : {}),
      }));
    } catch (error) {
      if (exclusive && statusOf(error) === 412) throw new FileError(this.location.url, 'exists', "the object appeared while the file was open for 'wx'; nothing was written");
      throw this.#failure('CompleteMultipartUpload', error);
    }
  }

  async abortUpload(uploadId: string): Promise<void> {
    const { bucket, key } = this.location;
    countFileRequest(this.jobId, 'AbortMultipartUpload');
    try {
      await this.#s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    } catch (error) {
      if (statusOf(error) === 404) return;
      throw this.#failure('AbortMultipartUpload', error);
    }
  }

  async delete(): Promise<void> {
    const { bucket, key } = this.location;
    countFileRequest(this.jobId, 'DeleteObject');
    try {
      await this.#s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      throw this.#failure('DeleteObject', error);
    }
  }

  #failure(request: string, error: unknown): FileError {
    const { url, bucket } = this.location;
    const status = statusOf(error);
    const name = error instanceof Error ? error.name : 'Error';
    if (status === 403 || name === 'AccessDenied') {
      return new FileError(url, 'access-denied', `${request} was refused (AccessDenied) on bucket ${bucket}: a stage's functions may touch only the buckets it was deployed with; grant this one with lambda-mpi deploy --stage S --data-bucket ${bucket}`, { cause: error });
    }
    if (name === 'NoSuchBucket') return new FileError(url, 'not-found', `${request}: there is no bucket ${bucket}`, { cause: error });
    if (status === 404 || name === 'NoSuchKey') return new FileError(url, 'not-found', `${request}: there is no such object`, { cause: error });
    return new FileError(url, 'failed', `${request} failed: ${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function statusOf(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}
