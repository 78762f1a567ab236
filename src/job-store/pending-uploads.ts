import { AbortMultipartUploadCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { pendingUploadKey, pendingUploadsPrefix } from './keys.ts';
import { readObjectText } from './object-text.ts';

/**
 * A file's multipart upload, noted among the job's working objects before any part is sent. A
 * job that dies inside `close` (its function's timeout, out of memory) cannot abort its upload,
 * and S3 keeps the parts, billed, until someone does: whoever deletes the job's objects (rank
 * 0's cleanup, the sweeper) aborts every noted upload first. An upload completed meanwhile is no
 * longer there to abort (S3 answers NoSuchUpload), so a note outlives its upload harmlessly.
 */
export interface PendingUpload {
  bucket: string;
  key: string;
  uploadId: string;
}

export async function notePendingUpload(s3: S3Client, jobBucket: string, jobId: string, upload: PendingUpload): Promise<void> {
  await s3.send(new PutObjectCommand({
    Bucket: jobBucket,
    Key: pendingUploadKey(jobId, upload.uploadId),
    Body: JSON.stringify(upload),
    ContentType: 'application/json',
  }));
}

/** Whether `key` is a note of pendingUploadKey's. */
export function isPendingUploadKey(jobId: string, key: string): boolean {
  return key.startsWith(pendingUploadsPrefix(jobId));
}

/**
 * Aborts the uploads noted at `keys`; the keys of notes that are done with (aborted, already
 * gone, or not a note at all). A note whose abort failed is left for the next cleanup, and its
 * failure is returned beside it.
 */
export async function abortPendingUploads(s3: S3Client, jobBucket: string, keys: readonly string[]): Promise<{ done: string[]; failures: string[] }> {
  const done: string[] = [];
  const failures: string[] = [];
  await Promise.all(keys.map(async (key) => {
    let text: string | undefined;
    try {
      text = await readObjectText(s3, jobBucket, key);
    } catch (error) {
      failures.push(`the note ${key} could not be read: ${(error as { name?: string }).name ?? 'Error'}: ${(error as Error).message}`);
      return;
    }
    const upload = parsePendingUpload(text);
    if (!upload) {
      done.push(key);
      return;
    }
    try {
      await s3.send(new AbortMultipartUploadCommand({ Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId }));
      done.push(key);
    } catch (error) {
      const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (name === 'NoSuchUpload' || $metadata?.httpStatusCode === 404) done.push(key);
      else failures.push(`the pending upload of s3://${upload.bucket}/${upload.key} could not be aborted: ${name ?? 'Error'}: ${(error as Error).message}`);
    }
  }));
  return { done, failures };
}

/** The note's upload, or undefined when the text is no note (a program may write under its job's prefix). */
function parsePendingUpload(text: string | undefined): PendingUpload | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<PendingUpload> | null;
    const { bucket, key, uploadId } = value ?? {};
    return typeof bucket === 'string' && typeof key === 'string' && typeof uploadId === 'string' && bucket && key && uploadId ? { bucket, key, uploadId } : undefined;
  } catch {
    return undefined;
  }
}
