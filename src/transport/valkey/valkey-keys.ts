/**
 * The Valkey keys of a job, spelled once. Every key holds the job's id in braces, a hash tag: a
 * Valkey cluster (ElastiCache Serverless shards by it) keeps all of one job's keys in one slot,
 * so one pipeline reaches them all.
 */
export function inboxKey(prefix: string, jobId: string, rank: number): string {
  return `${jobPattern(prefix, jobId).slice(0, -1)}${rank}`;
}

/** A pattern (SCAN MATCH) for every key of the job. */
export function jobPattern(prefix: string, jobId: string): string {
  return `${prefix}:{${jobId}}:*`;
}

/**
 * The job's "still on" key on a stage over Valkey: set by rank 0 before any worker starts, deleted
 * with the job's lists at its end. A worker started late finds it gone, as an SQS stage's worker
 * finds its queue gone.
 */
export function jobOnKey(prefix: string, jobId: string): string {
  return `${jobPattern(prefix, jobId).slice(0, -1)}on`;
}

/** The job id a key of the job's belongs to (the hash tag), or undefined for a key of another layout. */
export function jobIdOfKey(prefix: string, key: string): string | undefined {
  const head = `${prefix}:{`;
  const end = key.indexOf('}:', head.length);
  return key.startsWith(head) && end > head.length ? key.slice(head.length, end) : undefined;
}
