import type { FileLocation } from './file-url.ts';

/** One uploaded part: its number (1-based, the file domain's order) and the store's tag for it. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
}

/**
 * What a file needs of where it lives: S3's object calls (HEAD, ranged GET, multipart upload),
 * or the same on a local path. The collective algorithms are written once over this.
 * Failures are `FileError`s naming the url.
 */
export interface FileStore {
  readonly location: FileLocation;
  /** The job whose requests these are (its request counts and cost line); none for File.delete. */
  jobId?: string;
  /** The object's size in bytes; undefined when there is none. */
  size(): Promise<number | undefined>;
  /** The bytes [offset, offset + length): one ranged GET. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Starts the one upload a written file becomes; its id. */
  startUpload(): Promise<string>;
  /** Uploads part `partNumber`; `bytes` are the caller's again once the promise settles (a store that keeps them copies them). */
  uploadPart(uploadId: string, partNumber: number, bytes: Uint8Array): Promise<UploadedPart>;
  /** Makes the object, whole; `exclusive`: only if there is none yet. */
  completeUpload(uploadId: string, parts: readonly UploadedPart[], exclusive: boolean): Promise<void>;
  /** Drops the upload and its parts; an upload already gone is no error. */
  abortUpload(uploadId: string): Promise<void>;
  delete(): Promise<void>;
}
