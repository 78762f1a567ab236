/**
 * The job bucket's key layout, every key spelled here once: whoever reads or writes a job's
 * objects (the service, the transport, the watchers, the CLI, the model) names them through
 * these functions, so every reader and writer agrees.
 *
 * Two spaces, by lifetime:
 * - `jobs/<jobId>/…`: the job's working objects (claim checks, shared objects, rank claims,
 *   stored input, liveness marks), deleted when the job ends, so cleanup is one listing;
 * - `runs/…`: what outlives the job (its record, trace, event log, cancel request, start claim,
 *   request claims), expired by the bucket's lifecycle rule, so GET /runs/{jobId} answers later;
 * and `programs/`, the shipped program bundles, content-addressed and shared by jobs.
 *
 * This module is a leaf (no imports): the AWS transport and the model use it as the service does.
 */

/** The prefix of every job's working objects (the sweeper lists it). */
export const WORKING_OBJECTS_PREFIX = 'jobs/';

/** Every working object of a job lives under this prefix, so cleanup is one listing. */
export function jobPrefix(jobId: string): string {
  return `${WORKING_OBJECTS_PREFIX}${jobId}/`;
}

/** The job id of a working object's key (`jobs/<jobId>/…`), or undefined for any other key. */
export function jobIdOfWorkingKey(key: string): string | undefined {
  if (!key.startsWith(WORKING_OBJECTS_PREFIX)) return undefined;
  const rest = key.slice(WORKING_OBJECTS_PREFIX.length);
  const slash = rest.indexOf('/');
  return slash > 0 ? rest.slice(0, slash) : undefined;
}

/**
 * S3 sustains its request rates per key prefix; a job's bodies are spread over this many
 * (by sender), so thousands of ranks storing at once do not queue behind one prefix's rate.
 */
export const CLAIM_CHECK_PREFIXES = 16;

/**
 * A frame's body object: named by its link position, so a retried put overwrites itself, under
 * one of CLAIM_CHECK_PREFIXES prefixes.
 */
export function claimCheckKey(jobId: string, frame: { source: number; dest: number; seq: number }): string {
  const shard = (frame.source % CLAIM_CHECK_PREFIXES).toString(16);
  return `${jobPrefix(jobId)}frames/${shard}/${frame.source}-${frame.dest}-${frame.seq}`;
}

/** A shared object (SharedObjects) stored by `rank` as its `index`-th, spread like claim checks. */
export function sharedObjectKey(jobId: string, rank: number, index: number): string {
  return `${jobPrefix(jobId)}shared/${(rank % CLAIM_CHECK_PREFIXES).toString(16)}/${rank}-${index}`;
}

/** A rank's part of a checkpoint (comm.checkpoint). */
export function checkpointPartKey(jobId: string, checkpoint: number, rank: number): string {
  return `${jobPrefix(jobId)}checkpoints/${checkpoint}/${rank}`;
}

/** Where the manifests of a job's complete checkpoints are listed. */
export function checkpointManifestPrefix(jobId: string): string {
  return `${jobPrefix(jobId)}checkpoints/manifests/`;
}

/** The manifest rank 0 writes once every rank's part of a checkpoint is stored: the checkpoint is complete. */
export function checkpointManifestKey(jobId: string, checkpoint: number): string {
  return `${checkpointManifestPrefix(jobId)}${checkpoint}.json`;
}

/** A worker rank's start claim (conditional write): only the first delivery of its start serves it. */
export function rankClaimKey(jobId: string, rank: number, generation = 0): string {
  // Each generation starts every rank again: its starts are claimed apart from the last one's.
  return generation === 0 ? `${jobPrefix(jobId)}claims/${rank}` : `${jobPrefix(jobId)}claims/g${generation}/${rank}`;
}

/** What the generations before the running one handed on: their output, requests, ranks' time and trace. */
export function generationsCarriedKey(jobId: string): string {
  return `${jobPrefix(jobId)}generations/carried.json`;
}

/** An input too large for an invocation's event, stored once for every rank to fetch. */
export function storedInputKey(jobId: string): string {
  return `${jobPrefix(jobId)}input.json`;
}

/** Rank 0's pulse: the time its pulse thread last wrote it. */
export function pulseKey(jobId: string): string {
  return `${jobPrefix(jobId)}alive`;
}

/** A worker busy in synchronous code: the time its pulse thread last saw its process alive. */
export function busyKey(jobId: string, rank: number): string {
  return `${jobPrefix(jobId)}busy/${rank}`;
}

/** Where a job notes each multipart upload its files start (pending-uploads.ts): cleanup aborts those still pending. */
export function pendingUploadsPrefix(jobId: string): string {
  return `${jobPrefix(jobId)}uploads/`;
}

/** The note of one upload: its id, escaped (S3's ids are URL-safe base64, but nothing promises it). */
export function pendingUploadKey(jobId: string, uploadId: string): string {
  return `${pendingUploadsPrefix(jobId)}${encodeURIComponent(uploadId)}`;
}

/** The job's record (job-record.ts): its status, then its result. */
export function jobRecordKey(jobId: string): string {
  return `runs/${jobId}.json`;
}

/** Rank 0's start claim: a second delivery of the job's invocation finds it taken and does nothing. */
export function jobStartClaimKey(jobId: string, generation = 0): string {
  // A later generation's run function is started under the same job id: it claims its own start.
  return generation === 0 ? `runs/${jobId}.started` : `runs/${jobId}.g${generation}.started`;
}

/** The job's cancel request, written by whoever asks and read by rank 0. */
export function cancelRequestKey(jobId: string): string {
  return `runs/${jobId}.cancel`;
}

/** A traced job's timeline (Chrome trace-event JSON), beside its record. */
export function jobTraceKey(jobId: string): string {
  return `runs/${jobId}/trace.json`;
}

/** Where rank 0's event log of the job lies: numbered chunks under it. */
export function eventLogPrefix(jobId: string): string {
  return `runs/${jobId}/events/`;
}

/** The `seq`-th chunk of the event log (zero-padded, so a listing is in log order). */
export function eventChunkKey(jobId: string, seq: number): string {
  return `${eventLogPrefix(jobId)}${String(seq).padStart(10, '0')}.json`;
}

/** The seq of an event chunk's key, or undefined for any other key. */
export function seqOfEventChunkKey(jobId: string, key: string): number | undefined {
  const prefix = eventLogPrefix(jobId);
  if (!key.startsWith(prefix)) return undefined;
  const match = /^(\d{10})\.json$/.exec(key.slice(prefix.length));
  return match ? Number(match[1]) : undefined;
}

/** The claim of a request started without a job id (`sls invoke`), by the request's fingerprint. */
export function requestClaimKey(fingerprint: string): string {
  return `runs/requests/${fingerprint}.json`;
}

/** Where a shipped program lives in its stage's bucket, by its bundle's SHA-256. */
export function programBundleKey(hash: string): string {
  return `programs/sha256-${hash}.mjs`;
}
