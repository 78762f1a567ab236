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
