import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { File, FileError, defineProgram, runLocal } from '../../src/index.ts';
import { openFile } from '../../src/file/file.ts';
import type { RunResult } from '../../src/index.ts';
import type { FileStore } from '../../src/file/file-store.ts';
import { S3Store } from '../../src/file/s3-store.ts';
import { parseFileUrl } from '../../src/file/file-url.ts';
import { localS3Client } from '../../tools/local-aws/clients.ts';
import { localAwsOptions } from '../aws/local-aws-options.ts';
import fileIo, { patternBytes, type FileIoInput } from '../fixtures/file-io.ts';

const FIXTURE = new URL('../fixtures/file-io.ts', import.meta.url).pathname;
const NOTES_FIXTURE = new URL('../fixtures/notes-its-upload.ts', import.meta.url).pathname;
const MiB = 1024 * 1024;
const local = inject('localAws');
// Programs reach S3 through the SDK's standard configuration, as on a stage (threads copy it).
Object.assign(process.env, {
  AWS_ENDPOINT_URL_S3: local.s3Endpoint, AWS_REGION: local.region,
  AWS_ACCESS_KEY_ID: local.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: local.credentials.secretAccessKey,
});
const s3 = localS3Client(local.s3Endpoint);
// A bucket of its own, which the local server creates on its first use.
const BUCKET = 'lambda-mpi-file-test';
let serial = 0;
const url = (name: string) => `s3://${BUCKET}/${name}-${process.pid}-${serial++}`;
const keyOf = (u: string) => u.slice(`s3://${BUCKET}/`.length);

async function put(u: string, body: Uint8Array | string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: keyOf(u), Body: body }));
}
async function get(u: string): Promise<Uint8Array> {
  return (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: keyOf(u) }))).Body!.transformToByteArray();
}
async function exists(u: string): Promise<boolean> {
  return s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: keyOf(u) })).then(() => true, () => false);
}
async function pendingUploads(): Promise<string[]> {
  const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
  return (listed.Uploads ?? []).map((upload) => upload.Key!);
}
/** The job's file requests, from its result's request counts: reads (HEAD, GET) and writes (the rest), and bytes. */
function fileRequests(result: RunResult): { gets: number; puts: number; bytesRead: number; bytesWritten: number; byOperation: Record<string, number> } {
  const files = Object.entries(result.requests?.files ?? {});
  const sum = (pick: (count: { requests: number; bytesSent: number; bytesReceived: number }, operation: string) => number) => files.reduce((total, [operation, count]) => total + pick(count, operation), 0);
  const reads = new Set(['HeadObject', 'GetObject']);
  return {
    gets: sum((count, operation) => (reads.has(operation) ? count.requests : 0)),
    puts: sum((count, operation) => (reads.has(operation) ? 0 : count.requests)),
    bytesRead: sum((count) => count.bytesReceived),
    bytesWritten: sum((count) => count.bytesSent),
    byOperation: Object.fromEntries(files.map(([operation, count]) => [operation, count.requests])),
  };
}
/** Large byte arrays compared without a diff of millions of elements: their lengths and first difference. */
function difference(actual: unknown, expected: Uint8Array): string {
  const bytes = actual instanceof Uint8Array ? actual : new Uint8Array(actual as ArrayBuffer);
  if (bytes.length !== expected.length) return `length ${bytes.length}, expected ${expected.length}`;
  const at = bytes.findIndex((byte, i) => byte !== expected[i]);
  return at < 0 ? 'same' : `byte ${at} is ${bytes[at]}, expected ${expected[at]}`;
}
function concat(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let at = 0;
  for (const piece of pieces) { out.set(piece, at); at += piece.length; }
  return out;
}
/** The real store, but for its uploadPart: where a test plants a failure. */
function withUploadPart(u: string, uploadPart: (real: S3Store, id: string, part: number, bytes: Uint8Array) => Promise<{ partNumber: number; etag: string }>): FileStore {
  const real = new S3Store(parseFileUrl(u) as never);
  return {
    location: real.location,
    size: () => real.size(),
    read: (offset, length) => real.read(offset, length),
    startUpload: () => real.startUpload(),
    uploadPart: (id, part, bytes) => uploadPart(real, id, part, bytes),
    completeUpload: (id, parts, exclusive) => real.completeUpload(id, parts, exclusive),
    abortUpload: (id) => real.abortUpload(id),
    delete: () => real.delete(),
  };
}
const run = (input: FileIoInput, size: number, threads = false) => runLocal(threads ? FIXTURE : fileIo, { size, input, threads, timeoutMs: 120_000 });

beforeAll(async () => {
  await put(`s3://${BUCKET}/created-on-first-use`, 'x');
});
afterAll(async () => {
  // Every case leaves no upload behind, whatever it did.
  expect(await pendingUploads()).toEqual([]);
  s3.destroy();
});

describe('File on S3: reads', () => {
  const lines = Array.from({ length: 5000 }, (_, i) => `${'é'.repeat(i % 7)}line ${i} ${'x'.repeat(i % 13)}\n`).join('');
  const object = new TextEncoder().encode(lines);

  it('readPartition gives every rank a share of whole lines, and the shares concatenate to the object (inline and in threads)', async () => {
    const u = url('lines');
    await put(u, object);
    for (const threads of [false, true]) {
      const r = await run({ action: 'partition', url: u, delimiter: '\n' }, 5, threads);
      const pieces = r.results as Uint8Array[];
      expect(concat(pieces.map((piece) => new Uint8Array(piece)))).toEqual(object);
      for (const piece of pieces) expect(piece[piece.length - 1]).toBe(10);
      // One HEAD at open (rank 0), one ranged GET a rank, wherever the ranks run.
      expect(fileRequests(r)).toMatchObject({ gets: 1 + 5, puts: 0 });
      expect(fileRequests(r).bytesRead).toBeGreaterThanOrEqual(object.length);
    }
  });

  it('readAt is one ranged GET under 64 MiB, and returns exactly the bytes', async () => {
    const u = url('long');
    const bytes = patternBytes(20 * MiB, 3);
    await put(u, bytes);
    const r = await runLocal(defineProgram(async (comm) => {
      const file = await File.open(comm, u);
      const read = await file.readAt(1000, file.size - 2000);
      await file.close();
      return read;
    }), { size: 1 });
    expect(difference(r.result, bytes.subarray(1000, bytes.length - 1000))).toBe('same');
    expect(fileRequests(r).gets).toBe(1 + 1); // the HEAD, then the range
  });

  it('readAtAll merges the touching ranges of the ranks into one GET and hands each rank its bytes', async () => {
    const u = url('merge');
    await put(u, object);
    const ranges: Array<[number, number]> = Array.from({ length: 8 }, (_, rank) => [rank * 1000, 1000]);
    ranges[5] = [100_000, 50]; // not touching the others: a read of its own
    const r = await run({ action: 'readAtAll', url: u, ranges }, 8);
    for (const [rank, [offset, length]] of ranges.entries()) expect(r.results[rank]).toEqual(object.subarray(offset, offset + length));
    expect(fileRequests(r).gets).toBe(1 + 3); // the HEAD; ranks 0-4, rank 5, ranks 6-7
  });

  it('opening a missing object fails on every rank with an error naming the url', async () => {
    const u = url('missing');
    const r = await runLocal(defineProgram(async (comm) => {
      try {
        await File.open(comm, u);
        return 'opened';
      } catch (error) {
        return error instanceof FileError ? `${error.reason} ${error.url}` : String(error);
      }
    }), { size: 3 });
    expect(r.results).toEqual([`not-found ${u}`, `not-found ${u}`, `not-found ${u}`]);
  });
});

describe('File on S3: writes are one multipart upload, completed at close', () => {
  it('writeAtAll with holes: exactly the bytes, zeros in the holes, every part but the last at least 5 MiB', async () => {
    const u = url('holes');
    const writes = [0, 1, 2].map((rank) => [{ call: 'writeAtAll' as const, offset: rank * 9 * MiB, length: 6 * MiB + rank, seed: rank + 1 }]);
    const r = await run({ action: 'write', url: u, writes }, 3);
    const expected = new Uint8Array(18 * MiB + 6 * MiB + 2);
    for (let rank = 0; rank < 3; rank++) expected.set(patternBytes(6 * MiB + rank, rank + 1), rank * 9 * MiB);
    expect(difference(await get(u), expected)).toBe('same');
    expect(r.result).toMatchObject({ bytes: expected.length, parts: 3 });
    // CreateMultipartUpload, three parts, CompleteMultipartUpload (the local server refuses a part under 5 MiB but the last).
    expect(fileRequests(r).puts).toBe(1 + 3 + 1);
  });

  it('writeOrdered concatenates every rank\'s data in rank order, call after call (in threads)', async () => {
    const u = url('ordered');
    const writes = [0, 1, 2, 3].map((rank) => [
      { call: 'writeOrdered' as const, text: `first from ${rank}${'!'.repeat(rank)}\n` },
      { call: 'writeOrdered' as const, text: rank === 2 ? '' : `second from ${rank}\n` },
    ]);
    await run({ action: 'write', url: u, writes }, 4, true);
    const text = [0, 1, 2, 3].map((rank) => `first from ${rank}${'!'.repeat(rank)}\n`).join('') + [0, 1, 3].map((rank) => `second from ${rank}\n`).join('');
    expect(new TextDecoder().decode(await get(u))).toBe(text);
  });

  it('64 ranks writing small pieces: the pieces are aggregated into parts of at least 5 MiB on a few aggregators', async () => {
    const u = url('small-pieces');
    const piece = 100 * 1024;
    const writes = Array.from({ length: 64 }, (_, rank) => [{ call: 'writeOrdered' as const, length: piece, seed: rank + 7 }]);
    const r = await run({ action: 'write', url: u, writes }, 64);
    const counts = fileRequests(r);
    expect(difference(await get(u), concat(Array.from({ length: 64 }, (_, rank) => patternBytes(piece, rank + 7))))).toBe('same');
    // Each part's aggregator is the rank that wrote most of it: rank 0 for the first, rank 52 for the second (rank 51's piece straddles the two).
    expect(r.result).toEqual({ bytes: 64 * piece, parts: 2, aggregators: [0, 52] });
    expect(counts.puts).toBe(1 + 2 + 1);
    console.log(`64 ranks × 100 KiB: ${JSON.stringify(r.result)}, requests ${JSON.stringify(counts)}`);
  });

  it('an empty file is an empty object', async () => {
    const u = url('empty');
    await run({ action: 'write', url: u, writes: [] }, 2);
    expect(await get(u)).toEqual(new Uint8Array(0));
  });

  it('overlapping writes are refused on every rank naming both, and nothing is written', async () => {
    const u = url('overlap');
    const writes = [[{ call: 'writeAt' as const, offset: 0, length: 100 }], [{ call: 'writeAt' as const, offset: 60, length: 100 }]];
    const r = await runLocal(defineProgram(async (comm) => {
      const file = await File.open(comm, u, 'w');
      await file.writeAt(writes[comm.rank]![0]!.offset, new Uint8Array(100));
      return file.close().then(() => 'closed', (error: unknown) => (error instanceof FileError ? `${error.reason}: ${error.message}` : String(error)));
    }), { size: 2 });
    expect(r.results[0]).toBe(r.results[1]);
    expect(r.results[0]).toBe(`overlap: ${u}: rank 0 writes bytes 0..99 and rank 1 writes bytes 60..159: writes to one file may not overlap (nothing was written)`);
    expect(await exists(u)).toBe(false);
  });

  it("'wx' on an existing object fails at open, before anything is written; on a new one it creates", async () => {
    const u = url('exclusive');
    await put(u, 'keep me');
    await expect(run({ action: 'write', url: u, mode: 'wx', writes: [[{ call: 'writeAt', text: 'new' }]] }, 2)).rejects.toThrow(/exists and 'wx' creates only/);
    expect(new TextDecoder().decode(await get(u))).toBe('keep me');
    const fresh = url('exclusive-new');
    await run({ action: 'write', url: fresh, mode: 'wx', writes: [[{ call: 'writeAt', text: 'made' }]] }, 2);
    expect(new TextDecoder().decode(await get(fresh))).toBe('made');
  });

  it("'wx' whose object appears while open fails at close by S3's conditional completion, leaving the other object and no upload", async () => {
    const u = url('exclusive-race');
    const r = await runLocal(defineProgram(async (comm) => {
      const file = await File.open(comm, u, 'wx');
      if (comm.rank === 0) await put(u, 'the other writer');
      await comm.barrier();
      await file.writeAt(comm.rank, 'ab'[comm.rank]!);
      return file.close().then(() => 'closed', (error: unknown) => (error instanceof FileError ? error.reason : String(error)));
    }), { size: 2 });
    expect(r.results).toEqual(['exists', 'exists']);
    expect(new TextDecoder().decode(await get(u))).toBe('the other writer');
  });

  it('a part that fails to upload fails close on every rank and aborts the upload: no object, no parts left', async () => {
    const u = url('failing-part');
    const r = await runLocal(defineProgram(async (comm) => {
      const failing = withUploadPart(u, async (real, id, part, bytes) => {
        if (part === 2) throw new Error('planted: part 2 lost');
        return real.uploadPart(id, part, bytes);
      });
      const file = await openFile(comm, u, 'w', { store: failing });
      await file.writeAt(comm.rank * 6 * MiB, new Uint8Array(6 * MiB));
      return file.close().then(() => 'closed', (error: unknown) => (error instanceof FileError ? error.message : String(error)));
    }), { size: 3 });
    expect(r.results).toEqual([0, 1, 2].map(() => `${u}: planted: part 2 lost`));
    expect(await exists(u)).toBe(false);
    expect(await pendingUploads()).toEqual([]);
  });

  it('a job that fails while the parts upload aborts the upload: no object, no parts left', async () => {
    const u = url('failing-job');
    const job = runLocal(defineProgram(async (comm) => {
      const dying = withUploadPart(u, async (real, id, part, bytes) => {
        if (part === 3) await comm.abort('planted: rank lost during the upload');
        return real.uploadPart(id, part, bytes);
      });
      const file = await openFile(comm, u, 'w', { store: dying });
      await file.writeAt(comm.rank * 6 * MiB, new Uint8Array(6 * MiB));
      await file.close();
    }), { size: 3 });
    await expect(job).rejects.toThrow(/planted/);
    // The abort is best effort from the ranks that saw the failure: give it a moment to land.
    for (let i = 0; i < 50 && (await pendingUploads()).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await pendingUploads()).toEqual([]);
    expect(await exists(u)).toBe(false);
  });

  it('over the AWS transport, an upload whose ranks are stuck inside close is aborted by the job\'s cleanup: no object, no parts, no note left', async () => {
    const u = url('stuck-job');
    const aws = localAwsOptions({ queuePrefix: 'lmfile' });
    let jobId = '';
    const job = runLocal(defineProgram(async (comm) => {
      jobId = comm.jobId;
      // Every rank's part is sent and never answered, as when the functions are killed by their
      // timeout: no rank is left to abort the upload.
      const stuck = withUploadPart(u, async (real, id, part, bytes) => {
        await real.uploadPart(id, part, bytes);
        return new Promise<never>(() => undefined);
      });
      const file = await openFile(comm, u, 'w', { store: stuck });
      await file.writeAt(comm.rank * 6 * MiB, new Uint8Array(6 * MiB));
      await file.close();
    }), { size: 3, transport: 'aws', aws, timeoutMs: 4_000 });
    await expect(job).rejects.toThrow(/timed out/);
    expect(await pendingUploads()).toEqual([]);
    expect(await exists(u)).toBe(false);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: `jobs/${jobId}/` }));
    expect((left.Contents ?? []).map((object) => object.Key)).toEqual([]);
  });

  it('over the AWS transport, inline and in threads, rank 0 notes the upload among the job\'s objects, and the cleanup takes the note', async () => {
    const aws = localAwsOptions({ queuePrefix: 'lmfile' });
    for (const threads of [false, true]) {
      const u = url(threads ? 'noted-threads' : 'noted-inline');
      const r = await runLocal(NOTES_FIXTURE, { size: 3, threads, transport: 'aws', aws, input: { url: u, jobBucket: aws.bucket }, timeoutMs: 60_000 });
      expect(r.results[0]).toBe(1);
      expect(new TextDecoder().decode(await get(u))).toBe('rank 0\nrank 1\nrank 2\n');
      const left = await s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: `jobs/${r.jobId}/` }));
      expect((left.Contents ?? []).map((object) => object.Key)).toEqual([]);
    }
  });

  it('File.delete removes the object', async () => {
    const u = url('delete');
    await put(u, 'x');
    await File.delete(u);
    expect(await exists(u)).toBe(false);
  });
});
