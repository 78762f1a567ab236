/**
 * What collectives are written over: a channel carries values between the ranks of one
 * communicator on a context of its own, so collective traffic never matches a user's receive.
 */
export const COLLECTIVE_NAMES = [
  'barrier', 'bcast', 'scatter', 'gather', 'allgather', 'alltoall',
  'reduce', 'allreduce', 'scan', 'exscan', 'split',
  'scatterv', 'gatherv', 'allgatherv', 'alltoallv', 'reduceScatter', 'reduceScatterBlock',
  'createGroup', 'neighborAllgather', 'neighborAlltoall',
] as const;

/**
 * The collective calls, by the name a mismatch error shows. A call's messages carry its name's
 * index in COLLECTIVE_NAMES (collective-calls.ts): append new names, never reorder.
 */
export type CollectiveName = (typeof COLLECTIVE_NAMES)[number];

/** What a collective sends in place of a value stored as a shared object. */
export interface SharedRef {
  readonly 'lambda-mpi/shared-object': string;
  readonly bytes: number;
}

export function isSharedRef(value: unknown): value is SharedRef {
  return typeof value === 'object' && value !== null && typeof (value as SharedRef)['lambda-mpi/shared-object'] === 'string';
}

export interface CollectiveChannel {
  readonly rank: number;
  readonly size: number;
  /**
   * Whether large reductions split the vector (Rabenseifner) or send whole vectors along
   * binomial trees (see VectorReduction).
   */
  readonly splitVectors: boolean;
  /**
   * Whether `lend` hands over views without copying them: the ranks share one thread, so the
   * receiver reads the sender's memory in place. The receiver must then neither keep nor
   * recycle what it got by `lend`, and the sender must not change it until the receiver is done.
   */
  readonly lendsViews: boolean;
  /**
   * Signals per rank and round of the barrier, plus one. In one process a message costs
   * microseconds: 2 (the fewest messages, ⌈log2 p⌉ rounds). Where each message is a request to a
   * queue (~15 ms), fewer rounds of more messages, sent together and received in batches, win:
   * 16 (the model: 1,000 ranks in 8 hops instead of 18; docs/architecture.md).
   */
  readonly barrierRadix: number;
  /**
   * Present where the transport has a store every rank reads (S3): `share` stores a value too
   * large for a queue message once and returns a small reference to send instead (undefined for
   * a value small enough to send), `fetch` reads the value back.
   */
  readonly objects?: {
    share(value: unknown): Promise<SharedRef | undefined>;
    fetch(ref: SharedRef): Promise<unknown>;
  };
  /** Encodes `value` before returning, so the caller may change it right after the call. */
  send(value: unknown, dest: number, operation: CollectiveName): Promise<void>;
  /**
   * `send` without the copy when `lendsViews` (see there), or when the view is over shared memory
   * (`sharedScratch`) and the ranks share the process; a plain send otherwise.
   */
  lend(value: ArrayBufferView, dest: number, operation: CollectiveName): Promise<void>;
  /**
   * Ranks in threads of one process: a view of the type of `like` and `length` elements over
   * shared memory, which the other ranks read in place once it is lent; the collective's until it
   * gives it back with `releaseShared`, once every rank it was lent to is done with it. Memory
   * given back is taken again by later calls. Absent where the ranks share no memory, or share
   * their thread.
   */
  takeShared?(like: ArrayBufferView, length: number): ArrayBufferView;
  releaseShared?(view: ArrayBufferView): void;
  /**
   * Ranks in threads of one process: sends `frame`, an encoding the collective built itself (a
   * codec frame, at offset 0 of a buffer of its own), and lets go of it: the transport moves the
   * buffer to the receiver's thread instead of copying it. The caller must not touch it again.
   */
  handOver?(frame: Uint8Array, dest: number, operation: CollectiveName): Promise<void>;
  recv(source: number, operation: CollectiveName): Promise<unknown>;
}
