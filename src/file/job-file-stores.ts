import type { FileStore } from './file-store.ts';
import type { FileLocation } from './file-url.ts';

/** Makes the store of one rank's file at `location` (a placement that is not AWS: the model). */
export type FileStoreFactory = (location: FileLocation) => FileStore;

/**
 * Where a job's files live when its placement says so: the model registers its modeled S3 for
 * its job, so a program's File calls take modeled time and touch neither S3 nor the disk. Jobs
 * without an entry use S3 or the local path.
 */
const byJob = new Map<string, FileStoreFactory>();

/** Every File the job `jobId` opens is made by `factory` until the returned function is called. */
export function provideFileStores(jobId: string, factory: FileStoreFactory): () => void {
  byJob.set(jobId, factory);
  return () => {
    if (byJob.get(jobId) === factory) byJob.delete(jobId);
  };
}

/** The factory registered for the job, if any. */
export function fileStoresOf(jobId: string | undefined): FileStoreFactory | undefined {
  return jobId === undefined ? undefined : byJob.get(jobId);
}
