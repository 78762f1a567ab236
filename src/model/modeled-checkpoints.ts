import { checkpointManifestKey, checkpointPartKey } from '../job-store/keys.ts';
import type { CheckpointManifest, CheckpointObjects } from '../transport/transport.ts';
import type { ModeledAws } from './modeled-aws.ts';
import type { Scheduler } from './scheduler.ts';

/** What modeled checkpoints need of their job (ModelTransportHost has it). */
export interface CheckpointHost {
  readonly jobId: string;
  readonly scheduler: Scheduler;
  readonly aws: ModeledAws;
  readonly sharedBytes: Map<string, Uint8Array>;
  readonly checkpointManifests: Map<number, CheckpointManifest>;
  modeledObjectBytes(bytes: Uint8Array): number;
}

/**
 * A rank's checkpoints in the model, as S3CheckpointObjects makes them on AWS: each part one PUT
 * through the rank's link, the manifest one small PUT by rank 0, a restore one GET of the
 * manifest and one of the part. The bytes stay in this process; the modeled S3 holds their times.
 */
export function modeledCheckpoints(job: CheckpointHost, rank: number): CheckpointObjects {
  const { scheduler, aws, jobId } = job;
  const manifests = job.checkpointManifests;
  const put = (key: string, bytes: number) => new Promise<void>((resolve) => {
    scheduler.afterTurn(rank, (time) => aws.s3Put(rank, key, bytes, time, (stored) => scheduler.atTurn(rank, stored, () => resolve())));
  });
  const get = (key: string, bytes: number) => new Promise<void>((resolve) => {
    scheduler.afterTurn(rank, (time) => aws.s3Get(rank, key, bytes, time, (fetched) => scheduler.atTurn(rank, fetched, () => resolve())));
  });
  return {
    async write(checkpoint, owner, bytes) {
      job.sharedBytes.set(`checkpoint ${checkpoint}/${owner}`, bytes);
      await put(checkpointPartKey(jobId, checkpoint, owner), job.modeledObjectBytes(bytes));
      return String(bytes.byteLength);
    },
    async read(checkpoint, owner) {
      const bytes = job.sharedBytes.get(`checkpoint ${checkpoint}/${owner}`);
      if (!bytes || !manifests.has(checkpoint)) throw new Error(`checkpoint ${checkpoint} has no part of rank ${owner}`);
      await get(checkpointManifestKey(jobId, checkpoint), manifestBytes(manifests.get(checkpoint)!));
      await get(checkpointPartKey(jobId, checkpoint, owner), job.modeledObjectBytes(bytes));
      return new Uint8Array(bytes);
    },
    async complete(manifest) {
      await put(checkpointManifestKey(jobId, manifest.checkpoint), manifestBytes(manifest));
      manifests.set(manifest.checkpoint, manifest);
    },
    async latest() {
      return manifests.get(Math.max(0, ...manifests.keys()));
    },
  };
}

function manifestBytes(manifest: CheckpointManifest): number {
  return JSON.stringify(manifest).length;
}
