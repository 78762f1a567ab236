import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The part of s3rver's filesystem store (CommonJS, untyped) that this wraps. */
export interface S3rverStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  putObject(object: { bucket: string; key: string; content: Buffer | Readable; metadata: unknown }): Promise<{ size: number; md5: string }>;
  getObject(bucket: string, key: string, options?: unknown): Promise<{ content: Readable | null; range?: { start: number; end: number } } | null>;
  deleteObject(bucket: string, key: string): Promise<unknown>;
  putObjectMultipart(bucket: string, uploadId: string, parts: readonly { number: number }[]): Promise<{ size: number; md5: string }>;
  putPart(bucket: string, uploadId: string, partNumber: string | number, content: Readable): Promise<{ size: number; md5: string }>;
}

/**
 * S3 replaces an object atomically: a GET sees the old object or the new one, whole. s3rver
 * truncates the file, writes it (not waiting for the write to finish before answering), then
 * writes the object's metadata apart, so a GET racing an overwrite reads a torn object — a run
 * record rewritten from `running` to `succeeded` while the HTTP function polls it then fails to
 * parse. This gives the store S3's semantics: every operation on one key runs alone, and an
 * object is written to a fresh file and renamed into place. A GET (and a HEAD, which s3rver
 * serves as a GET whose body it drops) holds the key only while it reads the metadata and opens
 * the file: the open file is that version's, whatever is renamed over it or deleted later, so the
 * body then streams as S3's does: a HEAD reads no body, and a GET's first bytes leave before its
 * last are read.
 *
 * Completing a multipart upload writes the object the same way: its parts joined into a fresh
 * file, renamed into place. The ETag is S3's for a multipart object (the MD5 of the parts' MD5s,
 * a dash, the number of parts), from the digests s3rver kept of each part, so the object is
 * not hashed again as s3rver does (which made a completion cost as much as all its parts' uploads).
 *
 * A part is written the same way, to a fresh file renamed into place, and a part whose file
 * cannot be written fails its request only: s3rver recreated the upload's folder for it and left
 * its file stream's errors unheard, so an abort that removed the folder as a part began (a failed
 * job's clean-up aborting its pending uploads) ended the whole server with an uncaught error. (A
 * part of an upload that is not there is refused before it gets here, multipart-gaps.ts.)
 */
export function makeObjectWritesAtomic(store: S3rverStore): void {
  const tails = new Map<string, Promise<unknown>>();
  const exclusive = <T>(bucket: string, key: string, work: () => Promise<T>): Promise<T> => {
    const id = `${bucket}/${key}`;
    const run = (tails.get(id) ?? Promise.resolve()).then(work, work);
    const tail = run.catch(() => undefined);
    tails.set(id, tail);
    void tail.then(() => {
      if (tails.get(id) === tail) tails.delete(id);
    });
    return run;
  };
  const getObject = store.getObject.bind(store);
  const deleteObject = store.deleteObject.bind(store);

  /**
   * Writes the object at `key` to a fresh file, renames it into place, then writes its metadata
   * and ETag (`etag` is asked once every chunk is written). Chunks stream to the file as they
   * come: the server holds one at a time, not the object.
   */
  const replaceObject = (bucket: string, key: string, metadata: unknown, chunks: AsyncIterable<Buffer>, etag: () => string) => exclusive(bucket, key, async () => {
    const path = store.getResourcePath(bucket, key, 'object');
    await mkdir(dirname(path), { recursive: true });
    const scratch = `${path}.${randomBytes(6).toString('hex')}.partial`;
    const size = await writeNewFile(scratch, chunks).catch(async (error: unknown) => {
      await rm(scratch, { force: true });
      throw error;
    });
    await rename(scratch, path);
    const md5 = etag();
    await store.putMetadata(bucket, key, metadata, md5);
    return { size, md5 };
  });

  store.putObject = (object) => {
    const hash = createHash('md5');
    const content = Buffer.isBuffer(object.content) ? [object.content] : (object.content as AsyncIterable<Buffer>);
    return replaceObject(object.bucket, object.key, object.metadata, hashing(content, hash), () => hash.digest('hex'));
  };
  // s3rver's getObject resolves once the file is open (its metadata read just before).
  store.getObject = (bucket, key, options) => exclusive(bucket, key, async () => {
    const object = await getObject(bucket, key, options);
    // s3rver reads a range's end 0 as "no end" (`end || Infinity`): `bytes=0-0` would be the whole
    // object. S3 answers the first byte.
    if (object?.content && object.range && (options as { end?: number } | undefined)?.end === 0) {
      object.range.end = 0;
      object.content = firstBytes(object.content, 1);
    }
    return object;
  });
  store.deleteObject = (bucket, key) => exclusive(bucket, key, () => deleteObject(bucket, key));
  const uploadDirOf = (bucket: string, uploadId: string) => join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
  store.putPart = async (bucket, uploadId, partNumber, content) => {
    const partPath = join(uploadDirOf(bucket, uploadId), String(partNumber));
    // A part uploaded again replaces the last one whole.
    const scratch = `${partPath}.${randomBytes(6).toString('hex')}.partial`;
    const hash = createHash('md5');
    try {
      const size = await writeNewFile(scratch, hashing(content as AsyncIterable<Buffer>, hash));
      const md5 = hash.digest('hex');
      await rename(scratch, partPath);
      await writeFile(`${partPath}.md5`, md5);
      return { size, md5 };
    } catch (error) {
      await rm(scratch, { force: true });
      throw error;
    }
  };
  store.putObjectMultipart = async (bucket, uploadId, parts) => {
    const uploadDir = uploadDirOf(bucket, uploadId);
    const [key, metadata] = await Promise.all([
      readFile(join(uploadDir, 'key'), 'utf8'),
      readFile(join(uploadDir, 'metadata'), 'utf8').then((text) => JSON.parse(text) as unknown),
    ]);
    const partFiles = [...parts].sort((a, b) => a.number - b.number).map((part) => join(uploadDir, String(part.number)));
    const digests = await Promise.all(partFiles.map((file) => readFile(`${file}.md5`, 'utf8')));
    const etag = `${createHash('md5').update(Buffer.from(digests.join(''), 'hex')).digest('hex')}-${partFiles.length}`;
    const written = await replaceObject(bucket, key, metadata, filesInOrder(partFiles), () => etag);
    await rm(uploadDir, { recursive: true, force: true });
    return written;
  };
}

/** Writes `chunks` to a file at `path`, which must not exist yet; its size. */
async function writeNewFile(path: string, chunks: AsyncIterable<Buffer>): Promise<number> {
  let size = 0;
  await pipeline(chunks, async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      size += chunk.length;
      yield chunk;
    }
  }, createWriteStream(path, { flags: 'wx' }));
  return size;
}

/** The chunks, each added to `hash` as it goes by. */
async function* hashing(chunks: Iterable<Buffer> | AsyncIterable<Buffer>, hash: Hash): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    hash.update(chunk);
    yield chunk;
  }
}

/** The bytes of `files`, one after another. */
async function* filesInOrder(files: readonly string[]): AsyncGenerator<Buffer> {
  for (const file of files) yield* createReadStream(file, { highWaterMark: 4 << 20 }) as AsyncIterable<Buffer>;
}

/** The first `count` bytes of `source`, which is let go (its file closed) once they are read. */
function firstBytes(source: Readable, count: number): Readable {
  return Readable.from((async function* () {
    let left = count;
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        yield chunk.subarray(0, left);
        left -= Math.min(left, chunk.length);
        if (left === 0) return;
      }
    } finally {
      source.destroy();
    }
  })());
}
