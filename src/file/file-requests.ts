import type { RequestCounts } from '../transport/request-counts.ts';

/**
 * The file requests of each job's ranks in this process (the `files` service of the job's request
 * counts: S3 operation names, so the cost estimate prices them as S3 requests). Each rank takes
 * what is there when it reports its end: ranks that share a process (inline) share one tally, and
 * whoever takes first takes it, so every request is counted once, wherever the ranks run.
 */
const byJob = new Map<string, RequestCounts>();

/** Notes one request of a job's file (HeadObject, GetObject, UploadPart, …) and its bytes. */
export function countFileRequest(jobId: string | undefined, operation: string, bytesSent = 0, bytesReceived = 0): void {
  if (jobId === undefined) return;
  const files = ((byJob.get(jobId) ?? byJob.set(jobId, {}).get(jobId)!).files ??= {});
  const count = (files[operation] ??= { requests: 0, bytesSent: 0, bytesReceived: 0 });
  count.requests += 1;
  count.bytesSent += bytesSent;
  count.bytesReceived += bytesReceived;
}

/** The job's file requests not taken yet (and forgets them), or undefined when there were none. */
export function takeFileRequests(jobId: string): RequestCounts | undefined {
  const counts = byJob.get(jobId);
  byJob.delete(jobId);
  return counts;
}

/** The job's file requests so far, summed (for tests and figures), without taking them. */
export function fileRequestTotals(jobId: string): { requests: number; bytesRead: number; bytesWritten: number; byOperation: Record<string, number> } {
  const files = byJob.get(jobId)?.files ?? {};
  const byOperation = Object.fromEntries(Object.entries(files).map(([operation, count]) => [operation, count.requests]));
  const all = Object.values(files);
  return {
    requests: all.reduce((sum, count) => sum + count.requests, 0),
    bytesRead: all.reduce((sum, count) => sum + count.bytesReceived, 0),
    bytesWritten: all.reduce((sum, count) => sum + count.bytesSent, 0),
    byOperation,
  };
}

/** A rank's request counts with its job's file requests taken into them. */
export function withFileRequests(counts: RequestCounts | undefined, jobId: string): RequestCounts | undefined {
  const files = takeFileRequests(jobId);
  if (!files) return counts;
  return { ...counts, files: { ...counts?.files, ...files.files } };
}
