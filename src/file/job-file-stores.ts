import { AsyncLocalStorage } from 'node:async_hooks';
import type { PendingUploadNotes } from '../transport/transport.ts';
import type { FileStore } from './file-store.ts';
import type { FileLocation } from './file-url.ts';

/** Makes the store of one rank's file at `location` (a placement that is not AWS: the model). */
export type FileStoreFactory = (location: FileLocation) => FileStore;

/**
 * Where a program's files live when its placement says so: the model runs each rank's program
 * with its modeled S3, so the program's File calls (File.delete too, which names no job) take
 * modeled time and touch neither S3 nor the disk. Programs run without one use S3 or the local path.
 */
const ofRunningProgram = new AsyncLocalStorage<FileStoreFactory>();

/** Runs a rank's `program` so that every File call it makes uses `factory`. */
export function runWithFileStores<T>(factory: FileStoreFactory, program: () => T): T {
  return ofRunningProgram.run(factory, program);
}

/** The factory of the program running in this async context, if its placement gave one. */
export function fileStoresOf(): FileStoreFactory | undefined {
  return ofRunningProgram.getStore();
}

/**
 * Where the program's S3 uploads are noted while pending: given by a placement whose job has
 * working objects in S3 that its cleanup deletes (the AWS and Valkey transports). Without one
 * (inline, threads, the model) the process that runs the job aborts its uploads itself.
 */
const pendingUploadNotes = new AsyncLocalStorage<PendingUploadNotes>();

/** Runs a rank's `program` so that its files note their uploads in `notes`. */
export function runNotingUploads<T>(notes: PendingUploadNotes, program: () => T): T {
  return pendingUploadNotes.run(notes, program);
}

/** How the program running in this async context notes its uploads, if its placement keeps notes. */
export function pendingUploadNotesOf(): PendingUploadNotes | undefined {
  return pendingUploadNotes.getStore();
}
