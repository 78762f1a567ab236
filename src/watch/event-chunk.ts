import type { OutputStream } from '../runtime/output.ts';
import type { JobProgress, RankEvent } from '../runtime/job-events.ts';

/**
 * One numbered object of a job's event log: `runs/<jobId>/events/<seq>.json`, seq 0, 1, 2, …
 * with no gaps, written by rank 0 only, each once. JSON, so the HTTP API and any tool read it
 * as is. A watcher's cursor is the seq of the next chunk it has not read.
 */
export interface EventChunk {
  format: typeof EVENT_CHUNK_FORMAT;
  jobId: string;
  seq: number;
  /** When rank 0 wrote it (epoch ms): a chunk comes at least every few seconds, rank 0's heartbeat. */
  at: number;
  /** The job's progress after this chunk's events. */
  progress: JobProgress;
  events: LoggedEvent[];
  /** On the last chunk only: how the job ended. Nothing follows it. */
  end?: { status: JobEndStatus };
}

export type JobEndStatus = 'succeeded' | 'failed' | 'cancelled';

/** A rank event as the log keeps it: output as runs of lines of one rank and stream, without stamps. */
export type LoggedEvent =
  | { kind: 'output'; rank: number; stream: OutputStream; lines: string[] }
  | { kind: 'started'; rank: number; at: number }
  | { kind: 'finished'; rank: number; at: number; ok: boolean };

export const EVENT_CHUNK_FORMAT = 'lambda-mpi/events@1';

/**
 * The events as the log keeps them. Heartbeats stay with rank 0 (they say a rank lives; the
 * log's own chunks say that rank 0 does); consecutive lines of one rank and stream share an entry.
 */
export function toLoggedEvents(events: RankEvent[]): LoggedEvent[] {
  const logged: LoggedEvent[] = [];
  for (const event of events) {
    if (event.kind === 'heartbeat') continue;
    if (event.kind === 'started') logged.push({ kind: 'started', rank: event.rank, at: event.at });
    else if (event.kind === 'finished') logged.push({ kind: 'finished', rank: event.rank, at: event.at, ok: event.ok });
    else {
      for (const line of event.lines) {
        const last = logged.at(-1);
        if (last?.kind === 'output' && last.rank === line.rank && last.stream === line.stream) last.lines.push(line.line);
        else logged.push({ kind: 'output', rank: line.rank, stream: line.stream, lines: [line.line] });
      }
    }
  }
  return logged;
}

/** The output lines of chunks, in log order: `{ rank, stream, line }` as RunResult.output has them. */
export function linesOfChunks(chunks: EventChunk[]): Array<{ rank: number; stream: OutputStream; line: string }> {
  const lines: Array<{ rank: number; stream: OutputStream; line: string }> = [];
  for (const chunk of chunks) {
    for (const event of chunk.events) {
      if (event.kind !== 'output') continue;
      for (const line of event.lines) lines.push({ rank: event.rank, stream: event.stream, line });
    }
  }
  return lines;
}

/** Parses a chunk's text, refusing what is not one (a foreign object under the prefix). */
export function parseEventChunk(text: string, key: string): EventChunk {
  const chunk = JSON.parse(text) as EventChunk;
  if (chunk?.format !== EVENT_CHUNK_FORMAT || !Array.isArray(chunk.events)) {
    throw new Error(`${key} is not a lambda-mpi event chunk (format ${JSON.stringify(chunk?.format)}, expected ${EVENT_CHUNK_FORMAT})`);
  }
  return chunk;
}
