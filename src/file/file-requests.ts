/** The file requests and bytes of the ranks in this process: the job's time breakdown and cost line read them. */
export interface FileRequestCounts {
  /** HEAD and GET requests. */
  gets: number;
  /** PUT, POST (multipart start and completion) and DELETE requests. */
  puts: number;
  bytesRead: number;
  bytesWritten: number;
}

const counts: FileRequestCounts = { gets: 0, puts: 0, bytesRead: 0, bytesWritten: 0 };

export function countFileRequest(kind: 'get' | 'put', bytes = 0): void {
  if (kind === 'get') {
    counts.gets += 1;
    counts.bytesRead += bytes;
  } else {
    counts.puts += 1;
    counts.bytesWritten += bytes;
  }
}

/** A copy of the counts so far; subtract two copies to get what happened between them. */
export function fileRequestCounts(): FileRequestCounts {
  return { ...counts };
}
