import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { JobProgress } from '../runtime/job-events.ts';
import type { OutputStream } from '../runtime/output.ts';
import { linesOfChunks, parseEventChunk, type EventChunk } from './event-chunk.ts';
import { eventChunkKey, eventLogPrefix, seqOfEventChunkKey } from '../job-store/keys.ts';
import { readObjectText } from '../job-store/object-text.ts';

/**
 * A watcher's side of a job's event log: reads chunks in order from a cursor (the seq of the
 * next chunk not read yet). Each `next()` is one GET; a chunk that is not there yet answers
 * NoSuchKey, which costs a GET too, so a follower polls at a steady pace (`follow`).
 */
export class EventLogReader {
  cursor: number;
  /** The last chunk read said how the job ended: there is nothing more. */
  ended = false;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    readonly jobId: string,
    cursor = 0,
  ) {
    this.cursor = cursor;
  }

  /** The chunk at the cursor, moving past it; undefined when it is not written (yet). */
  async next(): Promise<EventChunk | undefined> {
    const chunk = await readEventChunk(this.s3, this.bucket, this.jobId, this.cursor);
    if (!chunk) return undefined;
    this.cursor++;
    if (chunk.end) this.ended = true;
    return chunk;
  }

  /** Every chunk written after the cursor, up to `max`. */
  async available(max = Infinity): Promise<EventChunk[]> {
    const chunks: EventChunk[] = [];
    while (chunks.length < max && !this.ended) {
      const chunk = await this.next();
      if (!chunk) break;
      chunks.push(chunk);
    }
    return chunks;
  }

  /**
   * Reads chunks as they come, every `intervalMs`, until the last one (or `signal` aborts);
   * `onChunk` gets each in order.
   */
  async follow(onChunk: (chunk: EventChunk) => void, options: { intervalMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const intervalMs = options.intervalMs ?? DEFAULT_FOLLOW_INTERVAL_MS;
    while (!this.ended && !options.signal?.aborted) {
      for (const chunk of await this.available()) onChunk(chunk);
      if (this.ended || options.signal?.aborted) return;
      await sleep(intervalMs, options.signal);
    }
  }
}

/** A follower looks for new chunks this often: with rank 0's 250 ms writes, lines show within ~0.7 s. */
export const DEFAULT_FOLLOW_INTERVAL_MS = 250;

export async function readEventChunk(s3: S3Client, bucket: string, jobId: string, seq: number): Promise<EventChunk | undefined> {
  const key = eventChunkKey(jobId, seq);
  const text = await readObjectText(s3, bucket, key);
  return text === undefined ? undefined : parseEventChunk(text, key);
}

/**
 * The seqs of chunks after `after` (-1: from the first), in order, up to `max` (one LIST of up to
 * 1,000 keys): what a reader that may not poll, such as GET /runs/{jobId}, reads to find the end.
 */
export async function listEventChunks(s3: S3Client, bucket: string, jobId: string, after: number, max = 1000): Promise<number[]> {
  const page = await s3.send(new ListObjectsV2Command({
    Bucket: bucket,
    Prefix: eventLogPrefix(jobId),
    ...(after >= 0 ? { StartAfter: eventChunkKey(jobId, after) } : {}),
    MaxKeys: Math.min(max, 1000),
  }));
  const seqs: number[] = [];
  for (const object of page.Contents ?? []) {
    const seq = seqOfEventChunkKey(jobId, object.Key ?? '');
    if (seq !== undefined) seqs.push(seq);
  }
  return seqs;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** What one page of a job's event log says: the lines after a cursor, and the newest progress. */
export interface EventLogPage {
  output: Array<{ rank: number; stream: OutputStream; line: string }>;
  /** Where the next page starts: pass it back as the cursor. */
  cursor: number;
  /** More chunks were written than this page holds: ask again at once. */
  more: boolean;
  /** The newest progress in the log, and when rank 0 wrote it (its heartbeat). */
  progress?: JobProgress;
  lastChunkAt?: number;
  /** The log's last chunk was read: the job ended with this status. */
  end?: EventChunk['end'];
}

/** A page holds at most this many lines, so an answer stays well within Lambda's 6 MB. */
export const MAX_PAGE_LINES = 10_000;
const READ_CONCURRENCY = 8;

/**
 * The lines after `cursor` as one page (one LIST, then the chunks' GETs, several at a time), for
 * a reader that answers requests rather than following: GET /runs/{jobId}?cursor=N.
 */
export async function readEventLogPage(s3: S3Client, bucket: string, jobId: string, cursor: number, maxLines = MAX_PAGE_LINES): Promise<EventLogPage> {
  const seqs = (await listEventChunks(s3, bucket, jobId, cursor - 1)).filter((seq) => seq >= cursor);
  const page: EventLogPage = { output: [], cursor, more: false };
  let newest: EventChunk | undefined;
  for (let i = 0; i < seqs.length; i += READ_CONCURRENCY) {
    const batch = seqs.slice(i, i + READ_CONCURRENCY);
    const chunks = await Promise.all(batch.map((seq) => readEventChunk(s3, bucket, jobId, seq)));
    for (const chunk of chunks) {
      // Chunks are written in order: one that is missing ends what can be read now.
      if (!chunk || chunk.seq !== page.cursor) return finish(page, newest, seqs, s3, bucket, jobId);
      for (const line of linesOfChunks([chunk])) page.output.push(line);
      page.cursor = chunk.seq + 1;
      newest = chunk;
      if (page.output.length >= maxLines) return finish(page, newest, seqs, s3, bucket, jobId);
    }
  }
  return finish(page, newest, seqs, s3, bucket, jobId);
}

async function finish(page: EventLogPage, newest: EventChunk | undefined, seqs: number[], s3: S3Client, bucket: string, jobId: string): Promise<EventLogPage> {
  const lastSeq = seqs.at(-1);
  page.more = lastSeq !== undefined && lastSeq >= page.cursor;
  // The progress is the newest chunk's, also when this page stops short of it.
  const latest = page.more && lastSeq !== undefined ? (await readEventChunk(s3, bucket, jobId, lastSeq)) ?? newest : newest;
  if (latest) {
    page.progress = latest.progress;
    page.lastChunkAt = latest.at;
  }
  if (newest?.end) page.end = newest.end;
  return page;
}
