import { LambdaMpiError } from '../mpi/errors.ts';

/** Why a file call was refused or failed. */
export type FileErrorReason =
  | 'not-found' // read mode: no object (or file) at the url
  | 'access-denied' // the credentials may not touch the bucket
  | 'exists' // 'wx': the object is already there
  | 'overlap' // two writes cover the same bytes
  | 'wrong-mode' // a read on a file opened for writing, or the other way round
  | 'closed' // a call after close
  | 'failed'; // the store answered with another error

/**
 * A file call that could not be done, naming the file's url: every rank of a collective call
 * that fails this way throws the same error, so a program may catch it and go on.
 */
export class FileError extends LambdaMpiError {
  readonly url: string;
  readonly reason: FileErrorReason;
  constructor(url: string, reason: FileErrorReason, message: string, options?: { cause?: unknown }) {
    super(`FILE_${reason.toUpperCase().replace('-', '_')}`, `${url}: ${message}`, options);
    this.url = url;
    this.reason = reason;
  }
}

/** A FileError as plain data, to travel from the rank that met it to the others. */
export interface FileErrorInfo {
  url: string;
  reason: FileErrorReason;
  message: string;
}

export function fileErrorInfo(error: unknown, url: string): FileErrorInfo {
  if (error instanceof FileError) return { url: error.url, reason: error.reason, message: error.message.slice(error.url.length + 2) };
  return { url, reason: 'failed', message: error instanceof Error ? error.message : String(error) };
}

export function fileErrorFrom(info: FileErrorInfo): FileError {
  return new FileError(info.url, info.reason, info.message);
}
