import { recycle, takeBuffer } from '../mpi/codec/buffer-pool.ts';
import type { Comm } from '../mpi/comm/comm.ts';
import { InvalidArgumentError } from '../mpi/errors.ts';
import { writeCollectively, type Piece, type WriteSummary } from './collective-write.ts';
import { FileError, fileErrorFrom, fileErrorInfo, type FileErrorInfo } from './file-errors.ts';
import type { FileStore } from './file-store.ts';
import { parseFileUrl } from './file-url.ts';
import { fileStoresOf } from './job-file-stores.ts';
import { LocalStore } from './local-store.ts';
import { readShare } from './partition.ts';
import { mergeReads, readRange } from './read-plan.ts';
import { S3Store } from './s3-store.ts';
import { S3_PART_LIMITS, type PartLimits } from './write-plan.ts';

/** `'r'` read; `'w'` create or replace; `'wx'` create, failing if the file exists. */
export type FileMode = 'r' | 'w' | 'wx';

/** Bytes to write: a Uint8Array (or any ArrayBufferView), or a string (written as UTF-8). */
export type FileData = ArrayBufferView | string;

const MODES: readonly FileMode[] = ['r', 'w', 'wx'];

/** @internal What tests may change: the part limits (S3's by default) and the store. */
export interface FileInternals {
  limits?: PartLimits;
  store?: FileStore;
}

function storeFor(url: string): FileStore {
  const location = parseFileUrl(url);
  const provided = fileStoresOf();
  if (provided) return provided(location);
  return location.kind === 's3' ? new S3Store(location) : new LocalStore(location);
}

/**
 * A file with MPI-IO semantics on an S3 object (or a local path when the ranks run here).
 * Collective calls (`open`, `readAtAll`, `readPartition`, `writeAtAll`, `writeOrdered`, `close`)
 * are made by every rank of the communicator, in the same order. Written bytes stay with the
 * rank that wrote them until `close`, which makes the object, whole, as one multipart upload.
 */
export class File {
  readonly url: string;
  readonly mode: FileMode;
  /** The file's own communicator: its messages never meet the program's. */
  readonly #comm: Comm;
  readonly #store: FileStore;
  readonly #size: number;
  readonly #limits: PartLimits;
  readonly #pieces: Piece[] = [];
  /** Where the next writeOrdered starts: MPI's shared file pointer, the same on every rank. */
  #orderedOffset = 0;
  #closed = false;
  /** What the collective write did (write mode, after close). */
  written?: WriteSummary;

  private constructor(comm: Comm, store: FileStore, mode: FileMode, size: number, limits: PartLimits) {
    this.#comm = comm;
    this.#store = store;
    this.url = store.location.url;
    this.mode = mode;
    this.#size = size;
    this.#limits = limits;
  }

  /** Opens `url` on every rank of `comm` (collective). A missing file (read mode), an existing one ('wx') or no access is a FileError naming the url, on every rank. */
  static async open(comm: Comm, url: string, mode: FileMode = 'r'): Promise<File> {
    return openFile(comm, url, mode);
  }

  /** Deletes the object (or local file). */
  static async delete(url: string): Promise<void> {
    await storeFor(url).delete();
  }

  /** The file's size in bytes (read mode). */
  get size(): number {
    this.#assertMode('size', 'r');
    return this.#size;
  }

  /** The bytes [offset, offset + length): one ranged GET, or a few in parallel for a long range. */
  async readAt(offset: number, length: number): Promise<Uint8Array> {
    return this.#comm.tracedCall('File.readAt', async () => {
      this.#assertMode('readAt', 'r');
      this.#assertRange('readAt', offset, length);
      return readRange((at, count) => this.#store.read(at, count), offset, length);
    }, (bytes) => bytes.length);
  }

  /** readAt on every rank (collective): small ranges that touch are read once and handed out. */
  async readAtAll(offset: number, length: number): Promise<Uint8Array> {
    return this.#comm.tracedCall('File.readAtAll', async () => {
      this.#assertMode('readAtAll', 'r');
      this.#assertRange('readAtAll', offset, length);
      const ranges = (await this.#comm.allgather([offset, length] as const)).map(([at, count], rank) => ({ rank, offset: at, length: count }));
      let mine: Uint8Array = new Uint8Array(0);
      for (const group of mergeReads(ranges)) {
        const own = group.members.find((member) => member.rank === this.#comm.rank);
        if (group.reader === this.#comm.rank) {
          const bytes = await readRange((at, count) => this.#store.read(at, count), group.offset, group.length);
          for (const member of group.members) {
            const slice = bytes.subarray(member.offset - group.offset, member.offset - group.offset + member.length);
            if (member.rank === this.#comm.rank) mine = slice;
            else await this.#comm.send(slice, member.rank, 0);
          }
        } else if (own) {
          mine = await this.#comm.recv<Uint8Array>(group.reader, 0);
        }
      }
      return mine;
    }, (bytes) => bytes.length);
  }

  /**
   * This rank's share of the whole file (collective): about size/N bytes, each boundary moved
   * to just after the next `delimiter`, so the shares concatenate to the file and no record is
   * cut or read twice. Without a delimiter the shares are plain byte ranges.
   */
  async readPartition(options: { delimiter?: string | Uint8Array } = {}): Promise<Uint8Array> {
    return this.#comm.tracedCall('File.readPartition', async () => {
      this.#assertMode('readPartition', 'r');
      const { delimiter } = options;
      if (delimiter !== undefined && !(typeof delimiter === 'string' || delimiter instanceof Uint8Array) || delimiter?.length === 0) {
        throw new InvalidArgumentError('delimiter', delimiter, "a non-empty string (e.g. '\\n') or Uint8Array");
      }
      return readShare({
        size: this.#size,
        ranks: this.#comm.size,
        rank: this.#comm.rank,
        ...(delimiter === undefined ? {} : { delimiter: typeof delimiter === 'string' ? new TextEncoder().encode(delimiter) : delimiter }),
        read: (at, count) => readRange((offset, length) => this.#store.read(offset, length), at, count),
      });
    }, (bytes) => bytes.length);
  }

  /** Writes `data` at `offset`; the bytes appear, with the others', at close. */
  async writeAt(offset: number, data: FileData): Promise<void> {
    return this.#comm.tracedCall('File.writeAt', async () => {
      this.#assertMode('writeAt', 'w');
      assertOffset('writeAt', offset);
      this.#keep(offset, data);
    });
  }

  /** writeAt on every rank (collective); the two-phase exchange happens at close. */
  async writeAtAll(offset: number, data: FileData): Promise<void> {
    return this.#comm.tracedCall('File.writeAtAll', async () => {
      this.#assertMode('writeAtAll', 'w');
      assertOffset('writeAtAll', offset);
      this.#keep(offset, data);
    });
  }

  /** Every rank's data, concatenated in rank order after what earlier writeOrdered calls wrote (collective; MPI_File_write_ordered). */
  async writeOrdered(data: FileData): Promise<void> {
    return this.#comm.tracedCall('File.writeOrdered', async () => {
      this.#assertMode('writeOrdered', 'w');
      const bytes = bytesOf('writeOrdered', data);
      const lengths = await this.#comm.allgather(bytes.length);
      const offset = this.#orderedOffset + lengths.slice(0, this.#comm.rank).reduce((sum, length) => sum + length, 0);
      this.#orderedOffset += lengths.reduce((sum, length) => sum + length, 0);
      if (bytes.length > 0) this.#pieces.push({ offset, bytes: ownCopy(bytes, data) });
    });
  }

  /** Collective. For writing: makes the object from every rank's writes, atomically (one multipart upload), or fails leaving nothing. */
  async close(): Promise<void> {
    return this.#comm.tracedCall('File.close', async () => {
      if (this.#closed) throw new FileError(this.url, 'closed', 'close() was called twice');
      this.#closed = true;
      if (this.mode === 'r') return;
      const pieces = this.#pieces.splice(0);
      this.written = await writeCollectively(this.#comm, this.#store, pieces, this.mode === 'wx', this.#limits);
      // Every upload has settled and the stores keep no part (FileStore.uploadPart): the memory
      // serves the next write's copies. After a failure it is left to the collector instead, as
      // a request may still be reading it.
      for (const piece of pieces) recycle(piece.bytes);
    });
  }

  #keep(offset: number, data: FileData): void {
    const bytes = bytesOf('data', data);
    if (bytes.length > 0) this.#pieces.push({ offset, bytes: ownCopy(bytes, data) });
  }

  #assertMode(call: string, wanted: 'r' | 'w'): void {
    if (this.#closed) throw new FileError(this.url, 'closed', `${call}() after close()`);
    const reading = this.mode === 'r';
    if ((wanted === 'r') !== reading) {
      throw new FileError(this.url, 'wrong-mode', `${call}() needs a file opened ${wanted === 'r' ? "for reading ('r')" : "for writing ('w' or 'wx')"}; this one was opened with '${this.mode}'`);
    }
  }

  #assertRange(call: string, offset: number, length: number): void {
    assertOffset(call, offset);
    if (!Number.isSafeInteger(length) || length < 0 || offset + length > this.#size) {
      throw new InvalidArgumentError(`${call} length`, length, `an integer in 0..${Math.max(0, this.#size - offset)} (the file has ${this.#size} bytes, the read starts at ${offset})`);
    }
  }
}

/** @internal File.open with test hooks. */
export async function openFile(comm: Comm, url: string, mode: FileMode = 'r', internals: FileInternals = {}): Promise<File> {
  if (!MODES.includes(mode)) throw new InvalidArgumentError('mode', mode, "'r', 'w' or 'wx'");
  const store = internals.store ?? storeFor(url);
  store.jobId = comm.jobId;
  const own = comm.dup();
  return own.tracedCall('File.open', () => openOn(own, store, url, mode, internals));
}

async function openOn(own: Comm, store: FileStore, url: string, mode: FileMode, internals: FileInternals): Promise<File> {
  // One rank asks the store; every rank gets the same answer, or the same error.
  let answer: { size: number } | { error: FileErrorInfo } | undefined;
  if (own.rank === 0) {
    try {
      const size = mode === 'w' ? 0 : await store.size();
      if (mode === 'r' && size === undefined) throw new FileError(url, 'not-found', "there is no such object to open for reading ('r')");
      // S3's conditional write guards the completion too; this check fails the open before anything is written.
      if (mode === 'wx' && size !== undefined) throw new FileError(url, 'exists', "the object exists and 'wx' creates only; open with 'w' to replace it");
      answer = { size: size ?? 0 };
    } catch (error) {
      answer = { error: fileErrorInfo(error, url) };
    }
  }
  const agreed = await own.bcast(answer, 0);
  if ('error' in agreed!) throw fileErrorFrom(agreed.error);
  const FileClass = File as unknown as new (comm: Comm, store: FileStore, mode: FileMode, size: number, limits: PartLimits) => File;
  return new FileClass(own, store, mode, agreed!.size, internals.limits ?? S3_PART_LIMITS);
}

function assertOffset(call: string, offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidArgumentError(`${call} offset`, offset, 'an integer ≥ 0');
}

/**
 * The bytes a write keeps until close, in memory of the file's own: the caller may reuse its
 * buffer once the call returns, as in MPI. A string's encoding is already such a copy. Copies come
 * from the pool that close gives them back to, as fresh memory of this size costs more in page
 * faults than the copy itself (bench case files.writeordered-8x32mib.np8).
 */
function ownCopy(bytes: Uint8Array, data: FileData): Uint8Array {
  if (typeof data === 'string') return bytes;
  const copy = takeBuffer(bytes.length);
  copy.set(bytes);
  return copy;
}

function bytesOf(argument: string, data: FileData): Uint8Array {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new InvalidArgumentError(argument, data, 'a Uint8Array (or another ArrayBufferView) or a string');
}
