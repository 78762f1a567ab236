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
