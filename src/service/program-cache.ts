import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as api from '../index.ts';
import { TransportError } from '../mpi/errors.ts';
import type { Program } from '../mpi/program.ts';
import { MAX_PROGRAM_BUNDLE_BYTES, importProgramBundle, provideBundleApi, sha256Hex, shippedProgramId } from '../runtime/program-bundle.ts';
import { programBundleKey } from '../job-store/keys.ts';

/** A shipped program that is not in the stage's bucket (never shipped there, or deleted). */
export class ProgramNotShippedError extends Error {
  constructor(readonly hash: string) {
    super(`no object ${programBundleKey(hash)}`);
  }
}

/**
 * Shipped programs on Lambda, loaded once per execution environment: in memory for the life of
 * the environment, as files in `cacheDir` (/tmp on Lambda) across its invocations and across
 * handlers that share the disk, from the stage's bucket otherwise. Every byte that becomes code
 * is checked against the sha256 its id names, from the bucket and from the disk alike.
 */
export class ProgramCache {
  readonly #loaded = new Map<string, Promise<Program>>();

  constructor(private readonly cacheDir: string) {}

  /** The program of bundle `hash`; `s3` is asked only when the disk does not hold it. */
  load(hash: string, fetchFrom: () => { s3: S3Client; bucket: string }): Promise<Program> {
    let program = this.#loaded.get(hash);
    if (!program) {
      program = this.#loadOnce(hash, fetchFrom);
      this.#loaded.set(hash, program);
      // A failure (not shipped yet, a network error) must not stick: the next job asks again.
      program.catch(() => this.#loaded.delete(hash));
    }
    return program;
  }

  async #loadOnce(hash: string, fetchFrom: () => { s3: S3Client; bucket: string }): Promise<Program> {
    provideBundleApi(api);
    // Bundles carry an inline source map: a rank's stack trace then names the program's own
    // files and lines, not the bundle's.
    process.setSourceMapsEnabled(true);
    const file = join(this.cacheDir, `sha256-${hash}.mjs`);
    if (!(await this.#holds(file, hash))) {
      const { s3, bucket } = fetchFrom();
      const bytes = await download(s3, bucket, hash);
      const actual = sha256Hex(bytes);
      if (actual !== hash) {
        throw new TransportError('S3 GetObject', `s3://${bucket}/${programBundleKey(hash)} has sha256 ${actual}, not the ${hash} its name promises: it was altered after it was shipped; delete it and ship the program again`);
      }
      await mkdir(this.cacheDir, { recursive: true });
      // Written aside and renamed: a rank that reads the file while another writes it never
      // sees half a bundle.
      const partial = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.partial`;
      await writeFile(partial, bytes);
      await rename(partial, file);
    }
    return importProgramBundle(file, shippedProgramId(hash));
  }

  async #holds(file: string, hash: string): Promise<boolean> {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      return false;
    }
    if (sha256Hex(bytes) === hash) return true;
    await rm(file, { force: true });
    return false;
  }
}

async function download(s3: S3Client, bucket: string, hash: string): Promise<Uint8Array> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: programBundleKey(hash) }));
    if ((response.ContentLength ?? 0) > MAX_PROGRAM_BUNDLE_BYTES) {
      throw new TransportError('S3 GetObject', `s3://${bucket}/${programBundleKey(hash)} is ${response.ContentLength} bytes, over the ${MAX_PROGRAM_BUNDLE_BYTES}-byte limit of a program bundle`);
    }
    return await response.Body!.transformToByteArray();
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') throw new ProgramNotShippedError(hash);
    if (error instanceof TransportError) throw error;
    throw new TransportError('S3 GetObject', `loading program sha256:${hash} from s3://${bucket}/${programBundleKey(hash)} failed: ${(error as Error).message}`, { cause: error });
  }
}
