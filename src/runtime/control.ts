import { decode, encode } from '../mpi/codec/codec.ts';
import type { RemoteErrorInfo } from '../mpi/errors.ts';
import type { DataTraffic, WaitDescription } from '../mpi/p2p/engine.ts';
import type { LinkStats } from '../mpi/p2p/link.ts';
import type { RankEvent } from './job-events.ts';
import type { UnreceivedMessages } from './unreceived.ts';
import type { RankSpans } from './trace/rank-tracer.ts';
import type { RequestCounts } from '../transport/request-counts.ts';

/**
 * The runtime's own messages, carried as control frames on the same links as data (so they are
 * deduplicated and ordered too) but never matched against receives. A worker's output travels
 * in its `events` (job-events.ts), flushed before its report, so the report finds it all there.
 */
export type ControlMessage =
  /** A worker's check-in, output, heartbeats: the watcher channel's rank side. */
  | { type: 'events'; rank: number; events: RankEvent[] }
  /** A worker's program returned. */
  | {
    type: 'done';
    rank: number;
    result: Uint8Array;
    durationMs: number;
    link: LinkStats;
    /** When its program returned and its first frame arrived (epoch ms). */
    endAt: number;
    firstMessageAt?: number;
    /** The requests its own clients sent (a worker on Lambda). */
    requests?: RequestCounts;
    /** Its MPI calls, when the job is traced. */
    trace?: RankSpans;
    /** The data frames it sent and took in all (rank 0's deadlock judge counts what is still in flight). */
    traffic?: DataTraffic;
    /** Messages that reached it and that it never received; absent when none. */
    unreceived?: UnreceivedMessages[];
  }
  /** A worker's program threw. */
  | { type: 'failed'; rank: number; error: RemoteErrorInfo }
  /** Stop: rank `origin` failed or called comm.abort. */
  | { type: 'abort'; origin: number; reason: string }
  /** At the deadline, what a still-running rank was blocked on. */
  | { type: 'timeout-report'; rank: number; wait?: WaitDescription };

export function encodeControl(message: ControlMessage): Uint8Array {
  return encode(message);
}

export function decodeControl(body: Uint8Array): ControlMessage {
  return decode(body) as ControlMessage;
}
