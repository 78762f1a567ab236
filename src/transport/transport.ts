/**
 * The channel interface every backend implements: it moves opaque frames between the ranks of
 * one job. It may deliver a frame more than once and out of order (SQS standard queues do);
 * the link layer above (src/p2p/link.ts) restores order and drops duplicates.
 */
export type FrameKind = 'data' | 'ctrl';

export interface Frame {
  kind: FrameKind;
  /** World ranks. */
  source: number;
  dest: number;
  /** Position in the source→dest stream, assigned by the link layer; starts at 0. */
  seq: number;
  /** Communicator context of a data frame ('' for control frames). */
  context: string;
  tag: number;
  /** The encoded value (src/codec) or control message. */
  body: Uint8Array;
}

export interface Transport {
  readonly rank: number;
  readonly size: number;
  /** Resolves once the frame is stored for its destination (standard-mode send). */
  send(frame: Frame): Promise<void>;
  /**
   * Starts delivering incoming frames; called once. `onError` hears of a failure that makes
   * the channel unusable (the rank then fails with it).
   */
  start(deliver: (frame: Frame) => void, onError: (error: Error) => void): void;
  /** Stops receiving and releases what this rank holds; idempotent. */
  close(): Promise<void>;
  /**
   * How long rank 0 waits, after the job's deadline, for the other ranks to report what they
   * were blocked on: about one message latency of this transport.
   */
  readonly reportGraceMs: number;
}
