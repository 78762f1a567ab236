import { AsyncLocalStorage } from 'node:async_hooks';
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

/**
 * The same for calls that name no job (File.delete takes a url, no communicator): the factory of
 * the program running in this async context, if its placement gave one.
 */
const ofRunningProgram = new AsyncLocalStorage<FileStoreFactory>();

/** Every File the job `jobId` opens is made by `factory` until the returned function is called. */
export function provideFileStores(jobId: string, factory: FileStoreFactory): () => void {
  byJob.set(jobId, factory);
  return () => {
    if (byJob.get(jobId) === factory) byJob.delete(jobId);
  };
}

/** Runs a rank's `program` so that its File calls without a communicator use `factory` too. */
export function runWithFileStores<T>(factory: FileStoreFactory, program: () => T): T {
  return ofRunningProgram.run(factory, program);
}

/** The factory registered for the job, or else the running program's, if any. */
export function fileStoresOf(jobId: string | undefined): FileStoreFactory | undefined {
  return (jobId === undefined ? undefined : byJob.get(jobId)) ?? ofRunningProgram.getStore();
}
