import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';

/** The part of s3rver's filesystem store (CommonJS, untyped) that this wraps. */
export interface S3rverStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  putObject(object: { bucket: string; key: string; content: Buffer | Readable; metadata: unknown }): Promise<{ size: number; md5: string }>;
  getObject(bucket: string, key: string, options?: unknown): Promise<{ content: Readable | null; range?: { start: number; end: number } } | null>;
  deleteObject(bucket: string, key: string): Promise<unknown>;
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

  store.putObject = (object) => exclusive(object.bucket, object.key, async () => {
    const body = Buffer.isBuffer(object.content) ? object.content : await bufferOf(object.content);
    const md5 = createHash('md5').update(body).digest('hex');
    const path = store.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(path), { recursive: true });
    const scratch = `${path}.${randomBytes(6).toString('hex')}.partial`;
    await writeFile(scratch, body);
    await rename(scratch, path);
    await store.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size: body.length, md5 };
  });
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
}

async function bufferOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
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
