/**
 * What collectives are written over: a channel carries values between the ranks of one
 * communicator on a context of its own, so collective traffic never matches a user's receive.
 */
export type CollectiveName =
  | 'barrier' | 'bcast' | 'scatter' | 'gather' | 'allgather' | 'alltoall'
  | 'reduce' | 'allreduce' | 'scan' | 'exscan' | 'split';

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
  recv(source: number, operation: CollectiveName): Promise<unknown>;
}
