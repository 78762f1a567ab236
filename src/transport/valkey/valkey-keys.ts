/**
 * The Valkey keys of a job, spelled once. Every key holds the job's id in braces, a hash tag: a
 * Valkey cluster (ElastiCache Serverless shards by it) keeps all of one job's keys in one slot,
 * so one pipeline reaches them all.
 */

/**
 * A rank's list in one generation of the job. A job longer than one Lambda (or retried) runs in
 * generations, and each has lists of its own, as each has queues of its own over SQS: a rank of
 * an ended or abandoned generation may still be in a blocking pop, which would take whatever the
 * next generation pushes to a list they shared. The first generation's lists keep the plain name.
 */
export function inboxKey(prefix: string, jobId: string, rank: number, generation = 0): string {
  return `${jobKeyStem(prefix, jobId)}${generation === 0 ? '' : `g${generation}:`}${rank}`;
}

/** Every list of one generation of a job of `size` ranks (what a hand-over deletes of the generation it ends). */
export function generationInboxKeys(prefix: string, jobId: string, generation: number, size: number): string[] {
  return Array.from({ length: size }, (_, rank) => inboxKey(prefix, jobId, rank, generation));
}

/** A pattern (SCAN MATCH) for every key of the job, every generation's lists included. */
export function jobPattern(prefix: string, jobId: string): string {
  return `${jobKeyStem(prefix, jobId)}*`;
}

/**
 * The job's "still on" key on a stage over Valkey: set by rank 0 before any worker starts, deleted
 * with the job's lists at its end. A worker started late finds it gone, as an SQS stage's worker
 * finds its queue gone. It is the job's, not a generation's: it stays through hand-overs.
 */
export function jobOnKey(prefix: string, jobId: string): string {
  return `${jobKeyStem(prefix, jobId)}on`;
}

function jobKeyStem(prefix: string, jobId: string): string {
  return `${prefix}:{${jobId}}:`;
}

/** The job id a key of the job's belongs to (the hash tag), or undefined for a key of another layout. */
export function jobIdOfKey(prefix: string, key: string): string | undefined {
  const head = `${prefix}:{`;
  const end = key.indexOf('}:', head.length);
  return key.startsWith(head) && end > head.length ? key.slice(head.length, end) : undefined;
}
