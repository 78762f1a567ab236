import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FileError } from './file-errors.ts';
import { countFileRequest } from './file-requests.ts';
import type { FileStore, UploadedPart } from './file-store.ts';
import type { FileLocation } from './file-url.ts';

/**
 * A file on this machine behaves as an S3 object does: parts go to a scratch folder beside it,
 * and completion writes them into one file renamed into place (or linked, for 'wx', which fails
 * if the path exists), so nothing is visible before close and an aborted upload leaves nothing.
 */
export class LocalStore implements FileStore {
  jobId?: string;
  readonly location: FileLocation & { kind: 'local' };

  constructor(location: FileLocation & { kind: 'local' }) {
    this.location = location;
  }

  async size(): Promise<number | undefined> {
    countFileRequest(this.jobId, 'HeadObject');
    try {
      const info = await stat(this.location.path);
      if (!info.isFile()) throw new FileError(this.location.url, 'failed', 'is not a regular file');
      return info.size;
    } catch (error) {
      if (code(error) === 'ENOENT') return undefined;
      throw this.#failure(error);
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (length === 0) return new Uint8Array(0);
    const handle = await open(this.location.path, 'r').catch((error: unknown) => { throw this.#failure(error); });
    try {
      const bytes = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(bytes, filled, length - filled, offset + filled);
        if (bytesRead === 0) throw new FileError(this.location.url, 'failed', `bytes ${offset}..${offset + length - 1} reach past the file's end (the file changed while open?)`);
        filled += bytesRead;
      }
      countFileRequest(this.jobId, 'GetObject', 0, length);
      return bytes;
    } finally {
      await handle.close();
    }
  }

  async startUpload(): Promise<string> {
    countFileRequest(this.jobId, 'CreateMultipartUpload');
    const uploadId = randomBytes(8).toString('hex');
    await mkdir(this.#scratch(uploadId), { recursive: true }).catch((error: unknown) => { throw this.#failure(error); });
    return uploadId;
  }

  async uploadPart(uploadId: string, partNumber: number, bytes: Uint8Array): Promise<UploadedPart> {
    countFileRequest(this.jobId, 'UploadPart', bytes.length);
    await writeFile(join(this.#scratch(uploadId), String(partNumber)), bytes).catch((error: unknown) => { throw this.#failure(error); });
    return { partNumber, etag: String(partNumber) };
  }

  async completeUpload(uploadId: string, parts: readonly UploadedPart[], exclusive: boolean): Promise<void> {
    countFileRequest(this.jobId, 'CompleteMultipartUpload');
    const scratch = this.#scratch(uploadId);
    const whole = join(scratch, 'object');
    const out = await open(whole, 'w');
    try {
      for (const part of [...parts].sort((a, b) => a.partNumber - b.partNumber)) {
        const partPath = join(scratch, String(part.partNumber));
        const source = await open(partPath, 'r');
        try {
          await out.write(await source.readFile());
        } finally {
          await source.close();
        }
      }
    } finally {
      await out.close();
    }
    try {
      if (exclusive) await link(whole, this.location.path);
      else await rename(whole, this.location.path);
    } catch (error) {
      if (code(error) === 'EEXIST') throw new FileError(this.location.url, 'exists', "the file appeared while it was open for 'wx'; nothing was written");
      throw this.#failure(error);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async abortUpload(uploadId: string): Promise<void> {
    countFileRequest(this.jobId, 'AbortMultipartUpload');
    await rm(this.#scratch(uploadId), { recursive: true, force: true });
  }

  async delete(): Promise<void> {
    countFileRequest(this.jobId, 'DeleteObject');
    await unlink(this.location.path).catch((error: unknown) => { throw this.#failure(error); });
  }

  /** Pending uploads of this path (for tests and cleanup checks): their scratch folders' names. */
  async pendingUploads(): Promise<string[]> {
    const prefix = `.${basename(this.location.path)}.upload-`;
    const names = await readdir(dirname(this.location.path)).catch(() => [] as string[]);
    return names.filter((name) => name.startsWith(prefix)).map((name) => name.slice(prefix.length));
  }

  #scratch(uploadId: string): string {
    return join(dirname(this.location.path), `.${basename(this.location.path)}.upload-${uploadId}`);
  }

  #failure(error: unknown): FileError {
    const url = this.location.url;
    if (error instanceof FileError) return error;
    if (code(error) === 'ENOENT') return new FileError(url, 'not-found', 'there is no such file', { cause: error });
    if (code(error) === 'EACCES' || code(error) === 'EPERM') return new FileError(url, 'access-denied', 'permission denied', { cause: error });
    return new FileError(url, 'failed', error instanceof Error ? error.message : String(error), { cause: error });
  }
}

function code(error: unknown): string | undefined {
  return (error as { code?: string })?.code;
}
