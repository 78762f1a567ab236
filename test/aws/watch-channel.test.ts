import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { newJobId } from '../../src/runtime/job-id.ts';
import type { JobProgress, RankEvent } from '../../src/runtime/job-events.ts';
import type { StampedLine } from '../../src/runtime/output.ts';
import { CancelWatch, readCancelRequest, requestCancel } from '../../src/watch/cancel-request.ts';
import { linesOfChunks, type EventChunk } from '../../src/watch/event-chunk.ts';
import { EventLogReader, listEventChunks, readEventLogPage } from '../../src/watch/event-log-reader.ts';
import { EventLogWriter } from '../../src/watch/event-log-writer.ts';
import { localS3Client } from '../../tools/local-aws/clients.ts';
import { eventLogPrefix } from '../../src/job-store/keys.ts';

/**
 * The watcher channel's S3 side on the real local S3 server: rank 0's event log written in
 * numbered chunks and read back from a cursor, and the cancel request.
 */
const local = inject('localAws');
const s3: S3Client = localS3Client(local.s3Endpoint);
const bucket = local.bucket;

afterAll(() => s3.destroy());

const progress = (started: number, finished: number, size = 3): JobProgress => ({ size, started, finished, elapsedMs: 0 });
const line = (rank: number, text: string, stream: 'stdout' | 'stderr' = 'stdout'): StampedLine => ({ rank, stream, line: text, at: Date.now() });
const output = (rank: number, ...texts: string[]): RankEvent => ({ kind: 'output', rank, lines: texts.map((t) => line(rank, t)) });

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function objectSizes(jobId: string): Promise<number[]> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: eventLogPrefix(jobId) }));
  return (page.Contents ?? []).map((o) => o.Size!);
}

describe("a job's event log on S3", () => {
  it('carries every line in order per rank, with progress, to a reader that follows it to the last chunk', async () => {
    const jobId = newJobId();
    const writer = new EventLogWriter({ s3, bucket, jobId, flushMs: 20, idleMs: 60_000 }, progress(0, 0));
    writer.start();
    const seen: EventChunk[] = [];
    const reader = new EventLogReader(s3, bucket, jobId);
    const following = reader.follow((chunk) => seen.push(chunk), { intervalMs: 20 });
    writer.onEvents([{ kind: 'started', rank: 0, at: 1, start: { programAt: 1 } }, output(0, 'a0')], progress(1, 0));
    await until(() => linesOfChunks(seen).length === 1, 'the first line read while the job runs');
    for (let i = 1; i < 50; i++) writer.onEvents([output(i % 3, `line ${i}`)], progress(3, 0));
    writer.onEvents([{ kind: 'finished', rank: 2, at: 2, ok: true }], progress(3, 1));
    await writer.close('succeeded', progress(3, 3));
    await following;
    expect(reader.ended).toBe(true);
    expect(seen.map((c) => c.seq)).toEqual(seen.map((_, i) => i));
    expect(seen.at(-1)).toMatchObject({ end: { status: 'succeeded' }, progress: { started: 3, finished: 3, size: 3 } });
    const lines = linesOfChunks(seen);
    expect(lines).toHaveLength(50);
    for (let rank = 0; rank < 3; rank++) {
      const expected = rank === 0 ? ['a0'] : [];
      for (let i = 1; i < 50; i++) if (i % 3 === rank) expected.push(`line ${i}`);
      expect(lines.filter((l) => l.rank === rank).map((l) => l.line)).toEqual(expected);
    }
    expect(seen.flatMap((c) => c.events).filter((e) => e.kind !== 'output')).toEqual([
      { kind: 'started', rank: 0, at: 1 },
      { kind: 'finished', rank: 2, at: 2, ok: true },
    ]);
    expect(writer.chunks).toBe(seen.length);
  });

  it('gives a reader that starts at a cursor only the chunks after it', async () => {
    const jobId = newJobId();
    const writer = new EventLogWriter({ s3, bucket, jobId, flushMs: 10, idleMs: 60_000 }, progress(0, 0));
    writer.start();
    writer.onEvents([output(1, 'old')], progress(1, 0));
    await until(async () => (await listEventChunks(s3, bucket, jobId, -1)).length >= 2, 'two chunks');
    const first = new EventLogReader(s3, bucket, jobId);
    const before = await first.available();
    expect(linesOfChunks(before).map((l) => l.line)).toEqual(['old']);
    writer.onEvents([output(1, 'new')], progress(1, 0));
    await writer.close('failed');
    const resumed = new EventLogReader(s3, bucket, jobId, first.cursor);
    const after = await resumed.available();
    expect(linesOfChunks(after).map((l) => l.line)).toEqual(['new']);
    expect(after[0]!.seq).toBe(first.cursor);
    expect(after.at(-1)!.end).toEqual({ status: 'failed' });
    expect(await listEventChunks(s3, bucket, jobId, first.cursor - 1)).toEqual(after.map((c) => c.seq));
  });

  it('cuts a burst into chunks no larger than the limit, losing no line (30,000 lines of one rank)', async () => {
    const jobId = newJobId();
    const limit = 64 * 1024;
    const writer = new EventLogWriter({ s3, bucket, jobId, flushMs: 10, idleMs: 60_000, maxChunkBytes: limit }, progress(0, 0, 1));
    writer.start();
    const texts = Array.from({ length: 30_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`);
    writer.onEvents([{ kind: 'output', rank: 0, lines: texts.map((t) => line(0, t)) }], progress(1, 0, 1));
    await writer.close('succeeded', progress(1, 1, 1));
    const chunks = await new EventLogReader(s3, bucket, jobId).available();
    expect(linesOfChunks(chunks).map((l) => l.line)).toEqual(texts);
    const sizes = await objectSizes(jobId);
    expect(sizes.length).toBeGreaterThan(10);
    // The limit bounds a chunk's events; its header (progress, seq) adds a few hundred bytes.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(limit + 512);
  });

  it('writes a chunk every idle period while nothing happens (rank 0 heartbeat), and none after the last', async () => {
    const jobId = newJobId();
    const writer = new EventLogWriter({ s3, bucket, jobId, flushMs: 10, idleMs: 150 }, progress(0, 0));
    writer.start();
    await until(async () => (await listEventChunks(s3, bucket, jobId, -1)).length >= 3, 'three idle chunks');
    await writer.close('cancelled');
    const written = await listEventChunks(s3, bucket, jobId, -1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await listEventChunks(s3, bucket, jobId, -1)).toEqual(written);
    const chunks = await new EventLogReader(s3, bucket, jobId).available();
    expect(chunks.slice(0, -1).every((c) => c.events.length === 0 && c.end === undefined)).toBe(true);
  });

  it('keeps a chunk that could not be written and writes it with the same number later', async () => {
    const jobId = newJobId();
    let failNext = true;
    const errors: string[] = [];
    const flaky = {
      send: (command: unknown) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('503 SlowDown'));
        }
        return s3.send(command as GetObjectCommand);
      },
    } as unknown as S3Client;
    const writer = new EventLogWriter({ s3: flaky, bucket, jobId, flushMs: 10, idleMs: 60_000, onWriteError: (e) => errors.push(e.message) }, progress(0, 0, 1));
    writer.onEvents([output(0, 'kept')], progress(1, 0, 1));
    writer.start();
    await until(() => writer.chunks === 1, 'the chunk written on the second try');
    await writer.close('succeeded');
    const chunks = await new EventLogReader(s3, bucket, jobId).available();
    expect(errors).toEqual(['503 SlowDown']);
    expect(chunks.map((c) => c.seq)).toEqual([0, 1]);
    expect(linesOfChunks(chunks).map((l) => l.line)).toEqual(['kept']);
  });
});

describe('a page of the event log (GET /runs/{jobId}?cursor=N)', () => {
  it('gives the lines after the cursor up to a limit, says there is more, and the newest progress', async () => {
    const jobId = newJobId();
    const writer = new EventLogWriter({ s3, bucket, jobId, flushMs: 5, idleMs: 60_000 }, progress(0, 0));
    writer.start();
    for (let i = 0; i < 6; i++) {
      writer.onEvents([output(1, `a${i}`, `b${i}`)], progress(3, i < 5 ? 0 : 2));
      await until(() => writer.chunks >= i + 2, `chunk ${i + 1}`);
    }
    await writer.close('succeeded', progress(3, 3));
    const first = await readEventLogPage(s3, bucket, jobId, 0, 3);
    // Chunk 0 has no lines; chunks 1 and 2 have two each: the page stops once it holds 3 or more.
    expect(first.output.map((l) => l.line)).toEqual(['a0', 'b0', 'a1', 'b1']);
    expect([first.cursor, first.more]).toEqual([3, true]);
    expect(first.progress).toMatchObject({ started: 3, finished: 3 });
    const rest = await readEventLogPage(s3, bucket, jobId, first.cursor);
    expect(rest.output.map((l) => l.line)).toEqual(['a2', 'b2', 'a3', 'b3', 'a4', 'b4', 'a5', 'b5']);
    expect([rest.more, rest.end]).toEqual([false, { status: 'succeeded' }]);
    expect(await readEventLogPage(s3, bucket, jobId, rest.cursor)).toMatchObject({ output: [], cursor: rest.cursor, more: false });
  });
});

describe('a cancel request', () => {
  it('is found by the watch of rank 0, once, with who asked', async () => {
    const jobId = newJobId();
    expect(await readCancelRequest(s3, bucket, jobId)).toBeUndefined();
    const heard: string[] = [];
    const watch = new CancelWatch(s3, bucket, jobId, 20);
    watch.start((request) => heard.push(request.by));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(heard).toEqual([]);
    await requestCancel(s3, bucket, jobId, 'lambda-mpi cancel');
    await until(() => heard.length > 0, 'the cancel request seen');
    await new Promise((resolve) => setTimeout(resolve, 100));
    watch.stop();
    expect(heard).toEqual(['lambda-mpi cancel']);
    expect(await readCancelRequest(s3, bucket, jobId)).toMatchObject({ jobId, by: 'lambda-mpi cancel' });
    const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `runs/${jobId}.cancel` }));
    expect(JSON.parse(await stored.Body!.transformToString())).toMatchObject({ jobId });
  });
});
