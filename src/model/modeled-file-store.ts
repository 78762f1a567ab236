import { readFile } from 'node:fs/promises';
import { concatBytes } from '../file/concat-bytes.ts';
import { FileError } from '../file/file-errors.ts';
import type { FileStore, UploadedPart } from '../file/file-store.ts';
import type { FileLocation } from '../file/file-url.ts';
import { parseFileUrl } from '../file/file-url.ts';
import { S3_PART_LIMITS } from '../file/write-plan.ts';
import { InvalidArgumentError } from '../mpi/errors.ts';
import type { ModeledAws } from './modeled-aws.ts';

/**
 * An object the modeled job finds in place when it starts: `size` bytes of generated text
 * (lines of words, the same bytes on every run), a local file's bytes (read once when the
 * model starts), or the given bytes.
 */
export type ModeledFileSource = { size: number } | { path: string } | { bytes: Uint8Array };

/** An object's bytes as the modeled S3 holds them. */
export interface ModeledObject {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}

/** The file requests by S3 price tier: GET and HEAD, PUT and POST; aborts and deletes are free. */
export const FILE_REQUEST_TIERS: Readonly<Record<string, 'get' | 'put' | 'free'>> = Object.freeze({
  HeadObject: 'get',
  GetObject: 'get',
  CreateMultipartUpload: 'put',
  UploadPart: 'put',
  CompleteMultipartUpload: 'put',
  AbortMultipartUpload: 'free',
  DeleteObject: 'free',
});

/** Where an object lives, as one name: `s3://bucket/key`, or a local file's absolute path. */
function objectName(location: FileLocation): string {
  return location.kind === 's3' ? `s3://${location.bucket}/${location.key}` : location.path;
}

/**
 * The objects a modeled job's files see, on the model's S3: a file's requests take the modeled
 * time of S3's (the first byte's latency, the body through the rank's link, one prefix's request
 * rate) on the rank's clock, are counted as the job's file requests, and their bytes are kept in
 * memory. Nothing reaches S3 or the disk: what the job writes lives until the model ends.
 */
export class ModeledFiles {
  private readonly uploads = new Map<string, { name: string; parts: Map<number, Uint8Array> }>();
  private uploadCount = 0;

  constructor(
    readonly aws: ModeledAws,
    private readonly objects: Map<string, ModeledObject> = new Map(),
    /** A file's bytes count as this many on the links (the model's payloadScale: large files modeled from small ones). */
    readonly bytesScale = 1,
  ) {}

  /** The store of one rank's file at `location`. */
  store(location: FileLocation): FileStore {
    return new ModeledFileStore(this, location);
  }

  /** @internal The store's side: the object named, if any. */
  object(name: string): ModeledObject | undefined {
    return this.objects.get(name);
  }

  /** @internal */
  startUpload(name: string): string {
    const id = `modeled-upload-${++this.uploadCount}`;
    this.uploads.set(id, { name, parts: new Map() });
    return id;
  }

  /** @internal */
  keepPart(url: string, uploadId: string, partNumber: number, bytes: Uint8Array): void {
    const upload = this.uploads.get(uploadId);
    if (!upload) throw new FileError(url, 'failed', `UploadPart ${partNumber}: there is no upload ${uploadId} (NoSuchUpload)`);
    upload.parts.set(partNumber, bytes.slice());
  }

  /** @internal Makes the object from the listed parts, as S3's completion does (and refuses what it refuses). */
  complete(url: string, uploadId: string, parts: readonly UploadedPart[], exclusive: boolean): void {
    const upload = this.uploads.get(uploadId);
    if (!upload) throw new FileError(url, 'failed', `CompleteMultipartUpload: there is no upload ${uploadId} (NoSuchUpload)`);
    if (exclusive && this.objects.has(upload.name)) throw new FileError(url, 'exists', "the object appeared while the file was open for 'wx'; nothing was written");
    const bodies = parts.map((part, index) => {
      const body = upload.parts.get(part.partNumber);
      if (!body) throw new FileError(url, 'failed', `CompleteMultipartUpload: part ${part.partNumber} was never uploaded (InvalidPart)`);
      if (index < parts.length - 1 && body.length < S3_PART_LIMITS.minPartBytes) {
        throw new FileError(url, 'failed', `CompleteMultipartUpload: part ${part.partNumber} has ${body.length} bytes; every part but the last needs ${S3_PART_LIMITS.minPartBytes} (EntityTooSmall)`);
      }
      return body;
    });
    const whole = concatBytes(bodies);
    this.uploads.delete(uploadId);
    this.objects.set(upload.name, bytesObject(whole));
  }

  /** @internal */
  abort(uploadId: string): void {
    this.uploads.delete(uploadId);
  }

  /** @internal */
  remove(name: string): void {
    this.objects.delete(name);
  }
}

/**
 * One rank's file on the modeled S3. Each call is a request the rank's program starts: it leaves
 * when the rank's turn ends and answers on the rank's clock; the bytes cross the rank's link.
 */
class ModeledFileStore implements FileStore {
  jobId?: string;
  private readonly name: string;
  /** What S3's request rates are partitioned by: the bucket and the key's prefix. */
  private readonly rateKey: string;

  constructor(
    private readonly files: ModeledFiles,
    readonly location: FileLocation,
  ) {
    this.name = objectName(location);
    this.rateKey = location.kind === 's3' ? `${location.bucket}/${location.key}` : location.path;
  }

  size(): Promise<number | undefined> {
    return this.request('HeadObject', (rank, time, answer) => {
      answer(this.files.aws.s3Small('get', time), () => this.files.object(this.name)?.size);
    });
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    if (length === 0) return Promise.resolve(new Uint8Array(0));
    return this.request('GetObject', (rank, time, answer) => {
      const modeled = length * this.files.bytesScale;
      this.files.aws.counts.fileBytesRead += modeled;
      this.files.aws.s3Get(rank, this.rateKey, modeled, time, (arrived) => answer(arrived, () => {
        const object = this.files.object(this.name);
        if (!object) throw new FileError(this.location.url, 'not-found', 'GET: there is no such object');
        if (offset + length > object.size) {
          throw new FileError(this.location.url, 'failed', `a ranged GET of bytes ${offset}..${offset + length - 1} is past the object's ${object.size} bytes (the object changed while open?)`);
        }
        return object.read(offset, length);
      }));
    });
  }

  startUpload(): Promise<string> {
    return this.request('CreateMultipartUpload', (rank, time, answer) => {
      this.files.aws.counts.s3Put++;
      answer(time + this.files.aws.latency(this.files.aws.constants.s3PutMs), () => this.files.startUpload(this.name));
    });
  }

  uploadPart(uploadId: string, partNumber: number, bytes: Uint8Array): Promise<UploadedPart> {
    return this.request('UploadPart', (rank, time, answer) => {
      const modeled = bytes.length * this.files.bytesScale;
      this.files.aws.counts.fileBytesWritten += modeled;
      this.files.aws.s3Put(rank, this.rateKey, modeled, time, (stored) => answer(stored, () => {
        this.files.keepPart(this.location.url, uploadId, partNumber, bytes);
        return { partNumber, etag: `"modeled-${partNumber}"` };
      }), false);
    });
  }

  completeUpload(uploadId: string, parts: readonly UploadedPart[], exclusive: boolean): Promise<void> {
    return this.request('CompleteMultipartUpload', (rank, time, answer) => {
      this.files.aws.counts.s3Put++;
      answer(time + this.files.aws.latency(this.files.aws.constants.s3PutMs), () => this.files.complete(this.location.url, uploadId, parts, exclusive));
    });
  }

  abortUpload(uploadId: string): Promise<void> {
    return this.request('AbortMultipartUpload', (rank, time, answer) => {
      answer(this.files.aws.s3Delete(time), () => this.files.abort(uploadId));
    });
  }

  delete(): Promise<void> {
    return this.request('DeleteObject', (rank, time, answer) => {
      answer(this.files.aws.s3Delete(time), () => this.files.remove(this.name));
    });
  }

  /**
   * One request by the rank whose program runs now: `start` runs when its turn ends, with the
   * time, and names when S3's answer is back and what it is (computed then, so an object
   * completed by another rank meanwhile is seen).
   */
  private request<T>(operation: string, start: (rank: number, time: number, answer: (at: number, value: () => T) => void) => void): Promise<T> {
    const { scheduler, counts } = this.files.aws;
    const rank = scheduler.runningRank;
    if (rank === undefined) return Promise.reject(new Error(`a modeled file request (${operation} of ${this.location.url}) outside any rank's program`));
    counts.fileRequest(operation);
    return new Promise<T>((resolve, reject) => {
      scheduler.afterTurn(rank, (time) => start(rank, time, (at, value) => {
        // The answer is made by the modeled S3 (outside the rank's turn: its CPU is not the
        // program's), then the program goes on.
        scheduler.atService(at, () => {
          let answer: { value: T } | { error: unknown };
          try {
            answer = { value: value() };
          } catch (error) {
            answer = { error };
          }
          scheduler.atTurn(rank, at, () => ('value' in answer ? resolve(answer.value) : reject(answer.error)));
        });
      }));
    });
  }
}

/** The objects in place when a modeled job starts, by name; local files are read here, once. */
export async function modeledObjects(sources: Readonly<Record<string, ModeledFileSource>> = {}): Promise<Map<string, ModeledObject>> {
  const objects = new Map<string, ModeledObject>();
  for (const [url, source] of Object.entries(sources)) objects.set(objectName(parseFileUrl(url)), await objectFrom(url, source));
  return objects;
}

async function objectFrom(url: string, source: ModeledFileSource): Promise<ModeledObject> {
  if ('bytes' in source && source.bytes instanceof Uint8Array) return bytesObject(source.bytes);
  if ('path' in source && typeof source.path === 'string') {
    try {
      return bytesObject(new Uint8Array(await readFile(source.path)));
    } catch (error) {
      throw new InvalidArgumentError(`files[${url}].path`, source.path, 'a readable local file', `could not be read: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if ('size' in source && Number.isSafeInteger(source.size) && source.size >= 0) return generatedObject(source.size);
  throw new InvalidArgumentError(`files[${url}]`, source, '{ size: bytes ≥ 0 } (generated text), { path: a local file } or { bytes: Uint8Array }');
}

function bytesObject(bytes: Uint8Array): ModeledObject {
  return { size: bytes.length, read: (offset, length) => bytes.slice(offset, offset + length) };
}

/** One block of text lines; a generated object repeats it, so any range is made without the whole. */
const GENERATED_BLOCK = generatedBlock(64 * 1024);

function generatedBlock(bytes: number): Uint8Array {
  const words = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'lambda', 'message', 'passing', 'interface', 'object', 'storage', 'rank', 'file'];
  let text = '';
  let seed = 1;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16;
  while (text.length < bytes) {
    const line = Array.from({ length: 4 + (next() % 9) }, () => words[next() % words.length]).join(' ');
    text += `${line}\n`;
  }
  // End the block on a line's end, so the repeats stay whole lines.
  return new TextEncoder().encode(text.slice(0, text.lastIndexOf('\n', bytes - 1) + 1));
}

function generatedObject(size: number): ModeledObject {
  const block = GENERATED_BLOCK;
  return {
    size,
    read(offset, length) {
      const out = new Uint8Array(length);
      let at = 0;
      while (at < length) {
        const from = (offset + at) % block.length;
        const count = Math.min(block.length - from, length - at);
        out.set(block.subarray(from, from + count), at);
        at += count;
      }
      return out;
    },
  };
}
