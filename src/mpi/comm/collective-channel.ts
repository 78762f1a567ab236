/**
 * What collectives are written over: a channel carries values between the ranks of one
 * communicator on a context of its own, so collective traffic never matches a user's receive.
 */
export type CollectiveName =
  | 'barrier' | 'bcast' | 'scatter' | 'gather' | 'allgather' | 'alltoall'
  | 'reduce' | 'allreduce' | 'scan' | 'exscan' | 'split';

export interface CollectiveChannel {
  readonly rank: number;
  readonly size: number;
  /**
   * Whether large reductions split the vector (Rabenseifner) — right where messages are cheap and
   * bytes cost copies (ranks sharing a process) — or send whole vectors along binomial trees —
   * right where every message is a request to a queue or an object store.
   */
  readonly splitVectors: boolean;
  /**
   * Whether `lend` hands over views without copying them: the ranks share one thread, so the
   * receiver reads the sender's memory in place. The receiver must then neither keep nor
   * recycle what it got by `lend`, and the sender must not change it until the receiver is done.
   */
  readonly lendsViews: boolean;
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
  recv(source: number, operation: CollectiveName): Promise<unknown>;
}
