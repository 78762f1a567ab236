import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { JobEventSink, JobProgress, RankEvent } from '../runtime/job-events.ts';
import { EVENT_CHUNK_FORMAT, toLoggedEvents, type EventChunk, type JobEndStatus, type LoggedEvent } from './event-chunk.ts';
import { eventChunkKey } from '../job-store/keys.ts';

export interface EventLogWriterOptions {
  s3: S3Client;
  bucket: string;
  jobId: string;
  /** A chunk goes out at most this often while there is news. */
  flushMs?: number;
  /** With no news, a chunk (empty but for the progress) goes out this often: rank 0's heartbeat. */
  idleMs?: number;
  /** A chunk holds at most about this many bytes of events; more news makes more chunks. */
  maxChunkBytes?: number;
  /** Hears of a chunk that could not be written (it is tried again at the next tick). */
  onWriteError?: (error: Error) => void;
  /** The first chunk's number: a job's later generation carries on its log where the last one handed it over. */
  firstSeq?: number;
}

export const DEFAULT_LOG_FLUSH_MS = 250;
export const DEFAULT_LOG_IDLE_MS = 5_000;
export const DEFAULT_MAX_CHUNK_BYTES = 1024 * 1024;
const CLOSE_ATTEMPTS = 3;

/**
 * Rank 0's side of a job's event log on S3 (event-chunk.ts): it collects the events rank 0
 * receives and writes them as numbered chunks, one PUT at a time, at most every `flushMs` while
 * there is news and every `idleMs` when there is none. So a job costs at most 1000/flushMs PUTs a
 * second however many ranks print, and an idle one a PUT every few seconds.
 */
export class EventLogWriter implements JobEventSink {
  private pending: Array<{ event: LoggedEvent; bytes: number }> = [];
  private progress: JobProgress;
  /** When `progress` was current: its elapsed time is brought forward to each write. */
  private progressStampedAt = Date.now();
  private progressChanged = true;
  private seq = 0;
  private lastWriteAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;
  private readonly flushMs: number;
  private readonly idleMs: number;
  private readonly maxChunkBytes: number;

  constructor(private readonly options: EventLogWriterOptions, initial: JobProgress) {
    this.progress = initial;
    this.flushMs = options.flushMs ?? DEFAULT_LOG_FLUSH_MS;
    this.idleMs = options.idleMs ?? DEFAULT_LOG_IDLE_MS;
    this.maxChunkBytes = options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES;
    this.seq = options.firstSeq ?? 0;
  }

  /** Chunks written so far: the cursor a reader reaches at the end. */
  get chunks(): number {
    return this.seq;
  }

  /** Writes chunk 0 at once (the job is watched from its first second), then keeps the pace. */
  start(): void {
    this.timer = setInterval(() => void this.tick(), this.flushMs);
    void this.tick();
  }

  onEvents(events: RankEvent[], progress: JobProgress): void {
    if (this.closed) return;
    for (const event of toLoggedEvents(events)) this.pending.push({ event, bytes: JSON.stringify(event).length });
    if (progress.started !== this.progress.started || progress.finished !== this.progress.finished || progress.generation !== this.progress.generation) this.progressChanged = true;
    this.progress = progress;
    this.progressStampedAt = Date.now();
  }

  /**
   * Writes what is left, the last chunk saying how the job ended; nothing is written after it.
   * Resolves once it is stored (or could not be, after a few attempts).
   */
  async close(status: JobEndStatus, progress?: JobProgress): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    if (progress) {
      this.progress = progress;
      this.progressStampedAt = Date.now();
    }
    await this.writing;
    for (let failures = 0; failures < CLOSE_ATTEMPTS;) {
      const written = await this.writeNext(status);
      if (written === 'last') return;
      if (written === 'failed') failures++;
    }
  }

  /**
   * Writes what is pending without ending the log, and stops: the job's next generation writes
   * on from the number this resolves to. Rejects when a chunk could not be stored (the next
   * generation would overwrite or skip it).
   */
  async handOver(): Promise<number> {
    this.closed = true;
    clearInterval(this.timer);
    await this.writing;
    for (let failures = 0; this.pending.length > 0 || this.progressChanged;) {
      if ((await this.writeNext(undefined)) === 'failed' && ++failures >= CLOSE_ATTEMPTS) throw new Error(`the event log's chunk ${this.seq} could not be written`);
    }
    return this.seq;
  }

  private async tick(): Promise<void> {
    if (this.writing || this.closed) return;
    const due = this.pending.length > 0 || this.progressChanged || Date.now() - this.lastWriteAt >= this.idleMs;
    if (!due) return;
    this.writing = this.writeNext(undefined).then(() => undefined);
    await this.writing;
    this.writing = undefined;
  }

  /** How many pending events fit the next chunk (at least one, splitting none). */
  private sizeOfNextChunk(): number {
    let bytes = 0;
    let count = 0;
    for (const { bytes: size } of this.pending) {
      if (count > 0 && bytes + size > this.maxChunkBytes) break;
      bytes += size;
      count++;
    }
    return count;
  }

  /**
   * Writes the next chunk; with `end`, the chunk that takes the last pending events says so.
   * Says whether it was stored, and whether it was the last.
   */
  private async writeNext(end: JobEndStatus | undefined): Promise<'written' | 'last' | 'failed'> {
    this.splitOversizedHead();
    const count = this.sizeOfNextChunk();
    const last = end !== undefined && count === this.pending.length;
    const chunk: EventChunk = {
      format: EVENT_CHUNK_FORMAT,
      jobId: this.options.jobId,
      seq: this.seq,
      at: Date.now(),
      progress: { ...this.progress, elapsedMs: this.progress.elapsedMs + (Date.now() - this.progressStampedAt) },
      events: this.pending.slice(0, count).map((p) => p.event),
      ...(last ? { end: { status: end } } : {}),
    };
    const progressChanged = this.progressChanged;
    this.progressChanged = false;
    try {
      await this.options.s3.send(new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: eventChunkKey(this.options.jobId, this.seq),
        Body: JSON.stringify(chunk),
        ContentType: 'application/json',
      }));
    } catch (error) {
      this.progressChanged ||= progressChanged;
      this.options.onWriteError?.(error as Error);
      return 'failed';
    }
    this.pending.splice(0, count);
    this.seq++;
    this.lastWriteAt = Date.now();
    return last ? 'last' : 'written';
  }

  /** An output entry larger than a chunk is cut into entries that fit. */
  private splitOversizedHead(): void {
    const head = this.pending[0];
    if (!head || head.bytes <= this.maxChunkBytes || head.event.kind !== 'output') return;
    const { event } = head;
    const pieces: Array<{ event: LoggedEvent; bytes: number }> = [];
    let lines: string[] = [];
    let bytes = 64;
    for (const line of event.lines) {
      const size = JSON.stringify(line).length + 1;
      if (lines.length > 0 && bytes + size > this.maxChunkBytes) {
        pieces.push({ event: { ...event, lines }, bytes });
        lines = [];
        bytes = 64;
      }
      lines.push(line);
      bytes += size;
    }
    pieces.push({ event: { ...event, lines }, bytes });
    this.pending.splice(0, 1, ...pieces);
  }
}
