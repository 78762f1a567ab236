import { systemClock, type Clock } from '../transport/clock.ts';
import type { StampedLine } from './output.ts';
import type { DataTraffic, WaitDescription } from '../mpi/p2p/engine.ts';

/**
 * What a rank was doing when it sent a heartbeat: the call it waits in (absent: running), and the
 * data frames it sent and took so far. Rank 0 names a deadlock from these (deadlock-judge.ts);
 * a rank 0 that does not know the field ignores it.
 */
export interface RankActivity extends DataTraffic {
  wait?: WaitDescription;
}

/**
 * The watcher channel, rank side: what the ranks tell rank 0 while a job runs, and rank 0 tells
 * whoever watches (the CLI, GET /runs/{jobId}). One stream carries live output, check-ins,
 * heartbeats and the progress that follows from them, so each costs no request of its own:
 * a worker batches its events into control frames to rank 0 (on the links the job already has,
 * ordered and exactly once), rank 0 hands every event to its `JobEventSink` (on Lambda the S3
 * event log of src/watch/), and a watcher reads that with a cursor.
 */
export type RankEvent =
  /** The rank's program starts: its check-in, with where its start-up time went. */
  | { kind: 'started'; rank: number; at: number; start: RankStartTiming }
  /** Lines the rank printed, in its order. */
  | { kind: 'output'; rank: number; lines: StampedLine[] }
  /** The rank is alive and has had nothing else to say for a while. */
  | { kind: 'heartbeat'; rank: number; at: number; activity?: RankActivity }
  /** Rank 0 received the rank's report (`ok`: it reported `done`). Made by rank 0 only. */
  | { kind: 'finished'; rank: number; at: number; ok: boolean };

/** Where a rank's start-up time went, in epoch milliseconds (what the rank knows of it). */
export interface RankStartTiming {
  /** When its parent asked Lambda to start it (a worker on Lambda). */
  invokedAt?: number;
  /** When its function's handler began: after Lambda's init phase on a cold start. */
  handlerAt?: number;
  /** True when this invocation was the first of its execution environment. */
  coldStart?: boolean;
  /** The init phase of a cold start (module loading), billed by Lambda, in ms. */
  initMs?: number;
  /** When its program began. */
  programAt: number;
  /** Its function's memory in MB (on Lambda), for the cost of its GB-seconds. */
  memoryMb?: number;
}

/** How far a job got: what `GET /runs/{jobId}` and the CLI's progress line show. */
export interface JobProgress {
  size: number;
  /** Ranks that checked in (their program started), in the generation running. */
  started: number;
  /**
   * Ranks whose report rank 0 has (done or failed), rank 0's own program included; a rank whose
   * generation ended at a checkpoint has not finished (the job goes on in the next).
   */
  finished: number;
  /** Since the job started (its first generation's start, whichever generation runs). */
  elapsedMs: number;
  /** A job in generations (docs/long-jobs.md): the one running, when not the first. */
  generation?: number;
}

/** Where rank 0 sends the job's events as they come; every call carries the progress after them. */
export interface JobEventSink {
  onEvents(events: RankEvent[], progress: JobProgress): void;
}

/** A worker's events go out at most this often (batching), so live output lags by about this much. */
export const DEFAULT_EVENT_FLUSH_MS = 200;
/** A rank with nothing to say sends a heartbeat this often (in jobs small enough: heartbeatMsFor). */
export const DEFAULT_HEARTBEAT_MS = 5_000;
/**
 * Every rank's heartbeats land in rank 0's queue, which its pollers drain at a few thousand
 * messages a second: above this many a second they would delay the job's own messages to rank 0
 * (the model's barrier at 10,000 ranks), so larger jobs beat more slowly.
 */
export const MAX_HEARTBEATS_PER_SECOND = 400;

/** How often each rank of a job of `size` ranks beats: `baseMs`, or slower so that rank 0 hears at most MAX_HEARTBEATS_PER_SECOND. */
export function heartbeatMsFor(size: number, baseMs = DEFAULT_HEARTBEAT_MS): number {
  return Math.max(baseMs, Math.ceil((size * 1000) / MAX_HEARTBEATS_PER_SECOND));
}
/**
 * Output bytes that make a batch go out at once: 96 KiB of text stays one SQS message of 256 KiB
 * after packing and base64, and below the claim-check threshold (no S3 request).
 */
export const MAX_EVENT_BATCH_BYTES = 96 * 1024;

export interface RankEventStreamOptions {
  rank: number;
  /** Sends a batch (a control frame to rank 0; on rank 0 itself, a local hand-over). */
  send(events: RankEvent[]): Promise<void>;
  flushMs?: number;
  /** 0 turns heartbeats off. */
  heartbeatMs?: number;
  /** The job's time (stamps, the flush delay, heartbeats); real time when absent. */
  clock?: Clock;
  /** A batch sent at `at` (the stamp rank 0 judges silence by) was stored: the rank's own pulse watches this. */
  onSent?: (at: number) => void;
  /** What the rank is doing, told with each heartbeat. */
  activity?: () => RankActivity;
}

/**
 * One rank's side of the channel: check-in at once, output lines batched (a batch goes out
 * `flushMs` after its first line, or at once when it reaches MAX_EVENT_BATCH_BYTES), and a
 * heartbeat whenever `heartbeatMs` passed without anything sent. Batches go out in order: the
 * control frames they travel in share the link's sequence with the rank's reports, so a report
 * sent after `flush()` arrives after every line printed before it.
 */
export class RankEventStream {
  private pending: RankEvent[] = [];
  private lines: StampedLine[] = [];
  private lineBytes = 0;
  private cancelFlush: (() => void) | undefined;
  private cancelHeartbeat: (() => void) | undefined;
  private lastSentAt: number;
  private closed = false;
  private readonly sends = new Set<Promise<void>>();
  private readonly flushMs: number;
  private readonly heartbeatMs: number;
  private readonly clock: Clock;

  constructor(private readonly options: RankEventStreamOptions) {
    this.flushMs = options.flushMs ?? DEFAULT_EVENT_FLUSH_MS;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.clock = options.clock ?? systemClock;
    this.lastSentAt = this.now();
    if (this.heartbeatMs > 0) this.beatLater();
  }

  private now(): number {
    return this.clock.now();
  }

  private beatLater(): void {
    this.cancelHeartbeat = this.clock.schedule(() => {
      this.heartbeat();
      if (!this.closed) this.beatLater();
    }, this.heartbeatMs, { background: true });
  }

  /** The rank's check-in: goes out at once, with any lines printed before it. */
  checkIn(start: RankStartTiming): void {
    this.add({ kind: 'started', rank: this.options.rank, at: this.now(), start });
    void this.flush();
  }

  /** An event other than output (e.g. what a later module adds); goes with the next batch. */
  add(event: RankEvent): void {
    if (this.closed) return;
    this.takeLines();
    this.pending.push(event);
    this.schedule();
  }

  output(line: StampedLine): void {
    if (this.closed) return;
    this.lines.push(line);
    this.lineBytes += line.line.length + 16;
    if (this.lineBytes >= MAX_EVENT_BATCH_BYTES) void this.flush();
    else this.schedule();
  }

  /** Sends what is buffered now; resolves when every batch sent so far was stored. */
  async flush(): Promise<void> {
    this.cancelFlush?.();
    this.cancelFlush = undefined;
    this.takeLines();
    if (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      this.sendBatch(batch);
    }
    await Promise.allSettled([...this.sends]);
  }

  /** Flushes, then stops: later events are dropped (the rank's report follows). */
  async close(): Promise<void> {
    this.cancelHeartbeat?.();
    await this.flush();
    this.closed = true;
  }

  /** Stops at once, dropping what is buffered (the rank was stopped: rank 0 no longer listens). */
  discard(): void {
    this.closed = true;
    this.cancelFlush?.();
    this.cancelHeartbeat?.();
    this.pending = [];
    this.lines = [];
  }

  private heartbeat(): void {
    if (this.closed || this.now() - this.lastSentAt < this.heartbeatMs) return;
    const activity = this.options.activity?.();
    this.add({ kind: 'heartbeat', rank: this.options.rank, at: this.now(), ...(activity ? { activity } : {}) });
    void this.flush();
  }

  private takeLines(): void {
    if (this.lines.length === 0) return;
    this.pending.push({ kind: 'output', rank: this.options.rank, lines: this.lines });
    this.lines = [];
    this.lineBytes = 0;
  }

  private schedule(): void {
    this.cancelFlush ??= this.clock.schedule(() => void this.flush(), this.flushMs);
  }

  private sendBatch(batch: RankEvent[]): void {
    const at = (this.lastSentAt = this.now());
    // A batch that cannot be sent is lost, not fatal: the rank's transport failing fails the rank anyway.
    const sent = this.options.send(batch).then(() => this.options.onSent?.(at), () => undefined);
    this.sends.add(sent);
    void sent.finally(() => this.sends.delete(sent));
  }
}

/** The lines among `events`, in order. */
export function linesOf(events: RankEvent[]): StampedLine[] {
  const lines: StampedLine[] = [];
  for (const event of events) {
    if (event.kind !== 'output') continue;
    for (const line of event.lines) lines.push(line);
  }
  return lines;
}
