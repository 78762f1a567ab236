/** Matches a message from any sender (MPI_ANY_SOURCE). */
export const ANY_SOURCE = -1;
/** Matches a message with any tag (MPI_ANY_TAG). */
export const ANY_TAG = -1;
/**
 * A peer that does not exist (MPI_PROC_NULL): a send to it does nothing, a receive from it
 * completes at once with no value. A non-periodic shift at a grid's edge gives it.
 */
export const PROC_NULL = -2;
/**
 * The largest number of ranks a job may have. On Lambda each rank is one concurrent execution:
 * the service also refuses a job larger than the account's free concurrency.
 */
export const MAX_SIZE = 10_000;
/** The largest tag a user may use (MPI_TAG_UB is at least 32767; ours is the int32 maximum). */
export const MAX_TAG = 2 ** 31 - 1;
/** The largest message, in encoded bytes, that a send accepts. */
export const MAX_MESSAGE_BYTES = 2 ** 31;
/** runLocal's job timeout when none is given. */
export const DEFAULT_TIMEOUT_MS = 300_000;
/** The most retries a job may ask for (`retries`): each one is a whole restart of every rank. */
export const MAX_RETRIES = 10;
