import { decode, encode } from '../mpi/codec/codec.ts';
import type { RemoteErrorInfo } from '../mpi/errors.ts';
import type { WaitDescription } from '../mpi/p2p/engine.ts';
import type { LinkStats } from '../mpi/p2p/link.ts';
import type { OutputLine } from './output.ts';

/** An output line in transit, stamped so rank 0 can interleave all ranks' lines by time. */
export interface StampedLine extends OutputLine {
  at: number;
}

/**
 * The runtime's own messages, carried as control frames on the same links as data (so they are
 * deduplicated and ordered too) but never matched against receives.
 */
export type ControlMessage =
  /** A worker's program returned. */
  | { type: 'done'; rank: number; result: Uint8Array; output: StampedLine[]; durationMs: number; link: LinkStats }
  /** A worker's program threw. */
  | { type: 'failed'; rank: number; error: RemoteErrorInfo; output: StampedLine[] }
  /** Stop: rank `origin` failed or called comm.abort. */
  | { type: 'abort'; origin: number; reason: string }
  /** At the deadline, what a still-running rank was blocked on. */
  | { type: 'timeout-report'; rank: number; wait?: WaitDescription; output: StampedLine[] };

export function encodeControl(message: ControlMessage): Uint8Array {
  return encode(message);
}

export function decodeControl(body: Uint8Array): ControlMessage {
  return decode(body) as ControlMessage;
}
